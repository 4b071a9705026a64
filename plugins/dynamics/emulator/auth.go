package emulator

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// tokenIssuer signs and checks access tokens. Tokens are JWTs signed with ES256, carrying the claims an Entra
// app-only token carries (aud, iss, appid, tid, oid, exp), so clients that peek into them see familiar content.
type tokenIssuer struct {
	key      *ecdsa.PrivateKey
	keyPEM   []byte
	tenantID string

	// verified caches the claims of tokens whose signature was checked: verifying ECDSA on every request
	// cost more than serving it.
	mu       sync.Mutex
	verified map[string]*tokenClaims
}

const maxVerifiedTokens = 4096

func newSigningKey() (*ecdsa.PrivateKey, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate signing key: %w", err)
	}
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("encode signing key: %w", err)
	}
	return key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}

func loadSigningKey(p []byte) (*ecdsa.PrivateKey, error) {
	b, _ := pem.Decode(p)
	if b == nil {
		return nil, fmt.Errorf("load signing key: invalid PEM")
	}
	return x509.ParseECPrivateKey(b.Bytes)
}

// tokenClaims are the claims the emulator puts in and reads from its tokens.
type tokenClaims struct {
	Aud   string `json:"aud"`
	Iss   string `json:"iss"`
	Iat   int64  `json:"iat"`
	Nbf   int64  `json:"nbf"`
	Exp   int64  `json:"exp"`
	AppID string `json:"appid"`
	IDTyp string `json:"idtyp"`
	OID   string `json:"oid"`
	Sub   string `json:"sub"`
	TID   string `json:"tid"`
	Ver   string `json:"ver"`
}

var b64 = base64.RawURLEncoding

func (ti *tokenIssuer) kid() string {
	sum := sha256.Sum256(elliptic.MarshalCompressed(elliptic.P256(), ti.key.X, ti.key.Y))
	return b64.EncodeToString(sum[:12])
}

// issue signs a token for user, valid for lifetime, for the resource (audience) aud.
func (ti *tokenIssuer) issue(user *appUser, aud string, lifetime time.Duration) (string, time.Time, error) {
	now := time.Now()
	exp := now.Add(lifetime)
	claims := tokenClaims{
		Aud: aud, Iss: "https://sts.windows.net/" + ti.tenantID + "/", Iat: now.Unix(), Nbf: now.Add(-5 * time.Minute).Unix(),
		Exp: exp.Unix(), AppID: user.ClientID, IDTyp: "app", OID: user.objectID, Sub: user.objectID, TID: ti.tenantID, Ver: "1.0",
	}
	header, _ := json.Marshal(map[string]string{"typ": "JWT", "alg": "ES256", "kid": ti.kid()})
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("encode token claims: %w", err)
	}
	signing := b64.EncodeToString(header) + "." + b64.EncodeToString(payload)
	sum := sha256.Sum256([]byte(signing))
	r, s, err := ecdsa.Sign(rand.Reader, ti.key, sum[:])
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign token: %w", err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return signing + "." + b64.EncodeToString(sig), exp, nil
}

// verify checks a token's signature and lifetime and returns its claims.
func (ti *tokenIssuer) verify(token string) (*tokenClaims, error) {
	ti.mu.Lock()
	c, ok := ti.verified[token]
	ti.mu.Unlock()
	if ok {
		if time.Now().Unix() >= c.Exp {
			return nil, errTokenExpired
		}
		return c, nil
	}
	c, err := ti.verifySignature(token)
	if err != nil {
		return nil, err
	}
	ti.mu.Lock()
	if ti.verified == nil || len(ti.verified) >= maxVerifiedTokens {
		ti.verified = map[string]*tokenClaims{}
	}
	ti.verified[token] = c
	ti.mu.Unlock()
	return c, nil
}

func (ti *tokenIssuer) verifySignature(token string) (*tokenClaims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("malformed token")
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return nil, fmt.Errorf("malformed signature")
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(&ti.key.PublicKey, sum[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return nil, fmt.Errorf("invalid signature")
	}
	payload, err := b64.DecodeString(parts[1])
	if err != nil {
		return nil, fmt.Errorf("malformed payload")
	}
	var c tokenClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, fmt.Errorf("malformed claims: %w", err)
	}
	if time.Now().Unix() >= c.Exp {
		return nil, errTokenExpired
	}
	return &c, nil
}

var errTokenExpired = fmt.Errorf("token expired")

// jwk is the signing key as a JSON Web Key, for the discovery document's jwks_uri.
func (ti *tokenIssuer) jwk() map[string]any {
	return map[string]any{"kty": "EC", "crv": "P-256", "use": "sig", "kid": ti.kid(),
		"x": b64.EncodeToString(ti.key.X.FillBytes(make([]byte, 32))), "y": b64.EncodeToString(ti.key.Y.FillBytes(make([]byte, 32)))}
}

// appUser is a registered application (client id) and its application user in the environment.
type appUser struct {
	AppUser
	systemUserID string
	objectID     string
}

// audienceMatches reports whether a token's audience names this environment. Entra takes everything before the
// last "/" of a ".default" scope as the audience, so "https://org/" and "https://org" are both accepted, and the
// loopback names are interchangeable.
func audienceMatches(aud, host string) bool {
	u, err := url.Parse(strings.TrimRight(aud, "/"))
	if err != nil || u.Host == "" {
		return false
	}
	return sameHost(u.Host, host)
}

func sameHost(a, b string) bool {
	ah, ap := splitHostPort(a)
	bh, bp := splitHostPort(b)
	if ap != bp {
		return false
	}
	loop := func(h string) bool { return h == "127.0.0.1" || h == "localhost" || h == "[::1]" || h == "::1" }
	return strings.EqualFold(ah, bh) || loop(ah) && loop(bh)
}

func splitHostPort(h string) (string, string) {
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.HasSuffix(h, "]") {
		return strings.ToLower(h[:i]), h[i+1:]
	}
	return strings.ToLower(h), ""
}

// authError is a 401 from the Web API; its challenge tells clients where to get a token.
func (s *Server) challenge(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("WWW-Authenticate", fmt.Sprintf("Bearer authorization_uri=%s/oauth2/authorize, resource_id=%s/", s.Authority(), s.requestBase(r)))
	w.WriteHeader(http.StatusUnauthorized)
}

// authenticate finds the application user of a Web API request's bearer token.
func (s *Server) authenticate(r *http.Request) (*appUser, error) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return nil, fmt.Errorf("no bearer token")
	}
	claims, err := s.tokens.verify(strings.TrimSpace(token))
	if err != nil {
		return nil, err
	}
	if claims.TID != s.TenantID {
		return nil, fmt.Errorf("token from another tenant")
	}
	if !audienceMatches(claims.Aud, r.Host) && !audienceMatches(claims.Aud, s.hostPort) {
		return nil, fmt.Errorf("token audience %q is not this environment", claims.Aud)
	}
	u := s.userByClientID(claims.AppID)
	if u == nil {
		return nil, fmt.Errorf("unknown application %s", claims.AppID)
	}
	return u, nil
}

func (s *Server) userByClientID(id string) *appUser {
	for _, u := range s.users {
		if strings.EqualFold(u.ClientID, id) {
			return u
		}
	}
	return nil
}

// handleDiscovery serves the OpenID configuration MSAL reads (GET {authority}/v2.0/.well-known/openid-configuration).
func (s *Server) handleDiscovery(w http.ResponseWriter, r *http.Request, tenant string, v2 bool) {
	base := s.requestBase(r) + "/" + tenant
	doc := map[string]any{
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"issuer":                                base + "/v2.0",
		"jwks_uri":                              base + "/discovery/v2.0/keys",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256", "ES256"},
		"tenant_region_scope":                   "NA",
		"cloud_instance_name":                   "microsoftonline.com",
	}
	if !v2 {
		doc["token_endpoint"] = base + "/oauth2/token"
		doc["authorization_endpoint"] = base + "/oauth2/authorize"
		doc["issuer"] = "https://sts.windows.net/" + s.TenantID + "/"
	}
	writeJSON(w, http.StatusOK, doc)
}

// tokenError writes an Entra-style OAuth error.
func tokenError(w http.ResponseWriter, status int, code, aadsts string, codes int) {
	writeJSON(w, status, map[string]any{
		"error": code, "error_description": aadsts, "error_codes": []int{codes},
		"timestamp": time.Now().UTC().Format("2006-01-02 15:04:05Z"), "trace_id": newGUID(), "correlation_id": newGUID(),
	})
}

// handleToken implements the client-credentials grant (secret or certificate assertion), v2 (scope) and v1 (resource).
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request, tenant string, v2 bool) {
	if r.Method != http.MethodPost {
		tokenError(w, http.StatusMethodNotAllowed, "invalid_request", "AADSTS900561: The endpoint only accepts POST requests.", 900561)
		return
	}
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request", "AADSTS900144: The request body must contain the following parameter: 'grant_type'.", 900144)
		return
	}
	if tenant != s.TenantID && tenant != "organizations" {
		tokenError(w, http.StatusBadRequest, "invalid_tenant", fmt.Sprintf("AADSTS90002: Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", tenant), 90002)
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type", fmt.Sprintf("AADSTS70003: The app requested an unsupported grant type '%s'.", gt), 70003)
		return
	}
	clientID, secret, basic := r.BasicAuth()
	if !basic {
		clientID, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	u := s.userByClientID(clientID)
	if u == nil {
		tokenError(w, http.StatusBadRequest, "unauthorized_client", fmt.Sprintf("AADSTS700016: Application with identifier '%s' was not found in the directory '%s'.", clientID, tenant), 700016)
		return
	}
	switch {
	case r.PostForm.Get("client_assertion") != "":
		if err := s.verifyClientAssertion(r.PostForm.Get("client_assertion"), clientID); err != nil {
			tokenError(w, http.StatusUnauthorized, "invalid_client", "AADSTS700027: Client assertion failed signature validation. "+err.Error(), 700027)
			return
		}
	case secret == "" || secret != u.ClientSecret:
		tokenError(w, http.StatusUnauthorized, "invalid_client", fmt.Sprintf("AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", clientID), 7000215)
		return
	case u.SecretExpired:
		tokenError(w, http.StatusUnauthorized, "invalid_client", fmt.Sprintf("AADSTS7000222: The provided client secret keys for app '%s' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.", clientID), 7000222)
		return
	}
	resource := r.PostForm.Get("resource")
	if v2 || resource == "" {
		scope := r.PostForm.Get("scope")
		for _, sc := range strings.Fields(scope) {
			if strings.HasSuffix(sc, "/.default") {
				resource = strings.TrimSuffix(sc, ".default")
			}
		}
		if resource == "" {
			tokenError(w, http.StatusBadRequest, "invalid_scope", fmt.Sprintf("AADSTS1002012: The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", scope), 1002012)
			return
		}
	}
	if !audienceMatches(resource, s.hostPort) && !audienceMatches(resource, r.Host) {
		tokenError(w, http.StatusBadRequest, "invalid_resource", fmt.Sprintf("AADSTS500011: The resource principal named %s was not found in the tenant named %s. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.", resource, tenant), 500011)
		return
	}
	lifetime := s.opts.TokenLifetime
	if lifetime <= 0 {
		lifetime = time.Hour
	}
	token, exp, err := s.tokens.issue(u, strings.TrimRight(resource, "/"), lifetime)
	if err != nil {
		s.logger.Error("issue token", "err", err)
		tokenError(w, http.StatusInternalServerError, "server_error", "AADSTS50000: There was an error issuing a token.", 50000)
		return
	}
	secs := int(time.Until(exp).Seconds())
	writeJSON(w, http.StatusOK, map[string]any{"token_type": "Bearer", "expires_in": secs, "ext_expires_in": secs, "access_token": token})
}

// verifyClientAssertion checks a certificate credential's JWT (PS256 or RS256, x5t#S256 or x5t thumbprint) against
// the emulator's client certificate.
func (s *Server) verifyClientAssertion(assertion, clientID string) error {
	cert := s.clientCert()
	if cert == nil {
		return fmt.Errorf("no certificate is registered for the application")
	}
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return fmt.Errorf("malformed assertion")
	}
	hb, err1 := b64.DecodeString(parts[0])
	pb, err2 := b64.DecodeString(parts[1])
	sig, err3 := b64.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil {
		return fmt.Errorf("malformed assertion")
	}
	var header struct {
		Alg     string `json:"alg"`
		X5t     string `json:"x5t"`
		X5tS256 string `json:"x5t#S256"`
	}
	var claims struct {
		Iss string `json:"iss"`
		Sub string `json:"sub"`
		Exp int64  `json:"exp"`
	}
	if json.Unmarshal(hb, &header) != nil || json.Unmarshal(pb, &claims) != nil {
		return fmt.Errorf("malformed assertion")
	}
	if claims.Iss != clientID || claims.Sub != clientID || time.Now().Unix() > claims.Exp {
		return fmt.Errorf("assertion claims are not valid for the client")
	}
	sum256 := sha256.Sum256(cert.cert.Raw)
	if header.X5tS256 != base64.StdEncoding.EncodeToString(sum256[:]) && header.X5tS256 != b64.EncodeToString(sum256[:]) && header.X5t == "" {
		return fmt.Errorf("the certificate thumbprint does not match a registered certificate")
	}
	pub, ok := cert.cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("registered certificate is not RSA")
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	switch header.Alg {
	case "PS256":
		return rsa.VerifyPSS(pub, crypto.SHA256, digest[:], sig, nil)
	case "RS256":
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig)
	}
	return fmt.Errorf("unsupported algorithm %s", header.Alg)
}
