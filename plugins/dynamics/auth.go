package dynamics

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"
	pkcs12 "software.sslmate.com/src/go-pkcs12"

	"github.com/sluicedata/sluice/sdk"
)

// tokenSource gets access tokens for the environment from Microsoft Entra ID
// (or another authority) with MSAL's confidential client, and keeps the
// current one until shortly before it expires. MSAL caches tokens too; the
// copy here spares every request MSAL's cache lookup and lets a 401 from the
// Web API drop a token the service no longer accepts.
type tokenSource struct {
	app       confidential.Client
	scopes    []string
	authority string
	clientID  string
	// newApp builds a client with an empty cache. MSAL offers no way to
	// evict one token, and AcquireTokenByCredential answers from its cache
	// first: after a 401 the token it holds is the one refused, so the next
	// token comes from a fresh client.
	newApp func() (confidential.Client, error)

	mu      sync.Mutex
	token   string
	expires time.Time
	refused bool // the last token was refused: bypass MSAL's cache once
}

// refreshMargin is how long before expiry a token is replaced; MSAL itself
// treats tokens as expired five minutes early.
const refreshMargin = 5 * time.Minute

// newTokenSource builds the MSAL client. It reads the certificate file, but
// does not contact the authority.
func newTokenSource(a *AuthConfig, scope string, hc *http.Client) (*tokenSource, error) {
	cred, err := credential(a)
	if err != nil {
		return nil, err
	}
	authority := a.authority()
	opts := []confidential.Option{confidential.WithHTTPClient(hc)}
	if !knownAuthority(authority) {
		// Instance discovery asks login.microsoftonline.com about the
		// authority, which fails for the emulator and private authorities.
		opts = append(opts, confidential.WithInstanceDiscovery(false))
	}
	newApp := func() (confidential.Client, error) {
		return confidential.New(authority, strings.TrimSpace(a.ClientID), cred, opts...)
	}
	app, err := newApp()
	if err != nil {
		return nil, fmt.Errorf("token authority %s: %w", authority, err)
	}
	return &tokenSource{app: app, newApp: newApp, scopes: []string{scope}, authority: authority, clientID: strings.TrimSpace(a.ClientID)}, nil
}

// knownAuthorities are the Microsoft authority hosts MSAL trusts without
// instance discovery.
var knownAuthorities = []string{"login.microsoftonline.com", "login.microsoft.com", "login.windows.net", "sts.windows.net",
	"login.microsoftonline.us", "login.chinacloudapi.cn", "login.partner.microsoftonline.cn", "login.microsoftonline.de",
	"login-us.microsoftonline.com", "login.usgovcloudapi.net"}

func knownAuthority(authority string) bool {
	u, err := url.Parse(authority)
	if err != nil {
		return false
	}
	for _, h := range knownAuthorities {
		if strings.EqualFold(u.Hostname(), h) {
			return true
		}
	}
	return false
}

// credential builds the MSAL credential from the secret or certificate.
// Problems with the certificate are diagnostics at its attribute.
func credential(a *AuthConfig) (confidential.Credential, error) {
	switch {
	case a.ClientSecret != "":
		return confidential.NewCredFromSecret(a.ClientSecret)
	case a.Certificate != "":
		certs, key, err := certFromPEM([]byte(a.Certificate))
		if err != nil {
			return confidential.Credential{}, sdk.Errorf(sdk.Path{"auth", "certificate"}, "%v", err)
		}
		return confidential.NewCredFromCert(certs, key)
	case a.CertificateFile != "":
		path := sdk.Path{"auth", "certificate_file"}
		data, err := os.ReadFile(a.CertificateFile)
		if err != nil {
			return confidential.Credential{}, sdk.Errorf(path, "reading the certificate: %v", err)
		}
		var certs []*x509.Certificate
		var key crypto.PrivateKey
		if isPEM(data) {
			certs, key, err = certFromPEM(data)
		} else {
			certs, key, err = certFromPFX(data, a.CertificatePassword)
			if err != nil && strings.Contains(err.Error(), "password") {
				path = sdk.Path{"auth", "certificate_password"}
			}
		}
		if err != nil {
			return confidential.Credential{}, sdk.Errorf(path, "%s: %v", filepath.Base(a.CertificateFile), err)
		}
		return confidential.NewCredFromCert(certs, key)
	}
	return confidential.Credential{}, sdk.Errorf(sdk.Path{"auth"}, "no client_secret, certificate or certificate_file")
}

func isPEM(data []byte) bool {
	return strings.Contains(string(data[:min(len(data), 4096)]), "-----BEGIN")
}

func certFromPEM(data []byte) ([]*x509.Certificate, crypto.PrivateKey, error) {
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type == "ENCRYPTED PRIVATE KEY" || strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED") {
			return nil, nil, errors.New("the private key is encrypted; give an unencrypted PEM key, or a PFX file with certificate_password")
		}
	}
	certs, key, err := confidential.CertFromPEM(data, "")
	if err != nil {
		return nil, nil, fmt.Errorf("reading the PEM certificate and key: %w", err)
	}
	return certs, key, checkRSA(key)
}

func certFromPFX(data []byte, password string) ([]*x509.Certificate, crypto.PrivateKey, error) {
	key, cert, chain, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		if errors.Is(err, pkcs12.ErrIncorrectPassword) {
			return nil, nil, errors.New("the PFX password is wrong (certificate_password)")
		}
		return nil, nil, fmt.Errorf("reading the PFX file: %w", err)
	}
	return append([]*x509.Certificate{cert}, chain...), key, checkRSA(key)
}

func checkRSA(key crypto.PrivateKey) error {
	if _, ok := key.(*rsa.PrivateKey); !ok {
		return fmt.Errorf("the private key is %T; Microsoft Entra ID client certificates need an RSA key", key)
	}
	return nil
}

// get returns a token valid for at least refreshMargin.
func (ts *tokenSource) get(ctx context.Context) (string, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.token != "" && time.Until(ts.expires) > refreshMargin {
		return ts.token, nil
	}
	if ts.refused {
		app, err := ts.newApp()
		if err != nil {
			return "", &authError{authority: ts.authority, clientID: ts.clientID, err: err}
		}
		ts.app, ts.refused = app, false
	}
	res, err := ts.app.AcquireTokenSilent(ctx, ts.scopes)
	if err != nil {
		res, err = ts.app.AcquireTokenByCredential(ctx, ts.scopes)
	}
	if err != nil {
		return "", &authError{authority: ts.authority, clientID: ts.clientID, err: err}
	}
	ts.token, ts.expires = res.AccessToken, res.ExpiresOn
	return ts.token, nil
}

// drop forgets a token the Web API refused, so the next get asks the
// authority for a new one.
func (ts *tokenSource) drop(token string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.token == token {
		ts.token, ts.refused = "", true
	}
}

// authError is a failure to get a token. Its message carries the
// authority's own error (AADSTS codes), never the credential.
type authError struct {
	authority, clientID string
	err                 error
}

var aadstsPattern = regexp.MustCompile(`AADSTS(\d+)`)

func (e *authError) Error() string {
	return fmt.Sprintf("getting a token for client %s from %s: %s", e.clientID, e.authority, conciseAuthError(e.err))
}

func (e *authError) Unwrap() error { return e.err }

// code is the AADSTS error number, or "".
func (e *authError) code() string {
	if m := aadstsPattern.FindStringSubmatch(e.err.Error()); m != nil {
		return m[1]
	}
	return ""
}

// conciseAuthError shortens MSAL's errors, which quote the authority's whole
// JSON answer, to its description.
func conciseAuthError(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, `"error_description":"`); i >= 0 {
		desc := msg[i+len(`"error_description":"`):]
		if j := strings.Index(desc, `"`); j >= 0 {
			desc = desc[:j]
		}
		desc = strings.ReplaceAll(desc, `\r\n`, " ")
		if k := strings.Index(desc, " Trace ID:"); k >= 0 {
			desc = desc[:k]
		}
		return strings.TrimSpace(desc)
	}
	return msg
}
