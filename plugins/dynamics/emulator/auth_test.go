package emulator_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"
	"github.com/sluicedata/sluice/plugins/dynamics/emulator"
	"github.com/sluicedata/sluice/plugins/dynamics/emulator/emulatortest"
)

// msalToken gets a token the way the Dynamics sink does: MSAL Go's confidential client against the emulator's
// authority over TLS.
func msalToken(t *testing.T, srv *emulator.Server, cred confidential.Credential) (string, error) {
	t.Helper()
	app, err := confidential.New(srv.Authority(), srv.ClientID, cred,
		confidential.WithHTTPClient(srv.HTTPClient()), confidential.WithInstanceDiscovery(false))
	if err != nil {
		return "", err
	}
	scopes := []string{srv.URL() + "/.default"}
	ctx := context.Background()
	res, err := app.AcquireTokenSilent(ctx, scopes)
	if err != nil {
		res, err = app.AcquireTokenByCredential(ctx, scopes)
	}
	if err != nil {
		return "", err
	}
	if res.ExpiresOn.Before(time.Now().Add(30 * time.Minute)) {
		t.Fatalf("token expires too soon for MSAL to cache it: %v", res.ExpiresOn)
	}
	return res.AccessToken, nil
}

func TestMSALClientSecretOverTLS(t *testing.T) {
	srv := emulatortest.Start(t)
	if !strings.HasPrefix(srv.Authority(), "https://") || srv.CAFile() == "" || len(srv.CAPEM()) == 0 {
		t.Fatalf("TLS authority %q, CA file %q", srv.Authority(), srv.CAFile())
	}
	cred, err := confidential.NewCredFromSecret(srv.ClientSecret)
	if err != nil {
		t.Fatal(err)
	}
	token, err := msalToken(t, srv, cred)
	if err != nil {
		t.Fatalf("MSAL: %v", err)
	}
	c := newClient(t, srv)
	c.token = token
	r := expect(t, c.do("GET", "WhoAmI", nil), http.StatusOK)
	who := r.json(t)
	if who["UserId"] != srv.SystemUserID(srv.ClientID) || who["OrganizationId"] == "" || who["BusinessUnitId"] == "" {
		t.Fatalf("WhoAmI: %v", who)
	}
	if r.header.Get("x-ms-dop-hint") == "" {
		t.Fatal("no x-ms-dop-hint on WhoAmI")
	}
	// POST WhoAmI is not a resource
	r = expect(t, c.do("POST", "WhoAmI", map[string]any{}), http.StatusNotFound)
	if _, msg := r.errorCode(t); !strings.HasPrefix(msg, "No HTTP resource was found") {
		t.Fatalf("message %q", msg)
	}
}

func TestMSALWrongSecretIsRejected(t *testing.T) {
	srv := emulatortest.Start(t)
	cred, _ := confidential.NewCredFromSecret("not-the-secret")
	_, err := msalToken(t, srv, cred)
	if err == nil || !strings.Contains(err.Error(), "AADSTS7000215") {
		t.Fatalf("want invalid_client AADSTS7000215, got %v", err)
	}
}

func TestMSALCertificateCredential(t *testing.T) {
	srv := emulatortest.Start(t)
	pemData, err := srv.ClientCertificatePEM()
	if err != nil {
		t.Fatal(err)
	}
	certs, key, err := confidential.CertFromPEM(pemData, "")
	if err != nil {
		t.Fatal(err)
	}
	cred, err := confidential.NewCredFromCert(certs, key)
	if err != nil {
		t.Fatal(err)
	}
	token, err := msalToken(t, srv, cred)
	if err != nil {
		t.Fatalf("MSAL with certificate: %v", err)
	}
	c := newClient(t, srv)
	c.token = token
	expect(t, c.do("GET", "WhoAmI", nil), http.StatusOK)
}

func TestUnauthenticatedRequestsGetTheBearerChallenge(t *testing.T) {
	srv := emulatortest.Start(t)
	c := newClient(t, srv)
	expired, err := srv.TokenFor(srv.ClientID, -time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	forged := srv.Token()
	forged = forged[:len(forged)-4] + "AAAA"
	for name, token := range map[string]string{"missing": "", "garbage": "abc.def.ghi", "expired": expired, "forged": forged} {
		t.Run(name, func(t *testing.T) {
			c.token = token
			r := expect(t, c.do("GET", "contacts", nil), http.StatusUnauthorized)
			want := "Bearer authorization_uri=" + srv.Authority() + "/oauth2/authorize, resource_id=" + srv.URL() + "/"
			if got := r.header.Get("WWW-Authenticate"); got != want {
				t.Fatalf("WWW-Authenticate %q, want %q", got, want)
			}
		})
	}
}

func TestTokenForAnotherResourceIsRejected(t *testing.T) {
	srv := emulatortest.Start(t, emulatortest.WithoutTLS())
	form := "grant_type=client_credentials&client_id=" + srv.ClientID + "&client_secret=" + srv.ClientSecret + "&scope=https://other.crm.dynamics.com/.default"
	resp, err := http.Post(srv.Authority()+"/oauth2/v2.0/token", "application/x-www-form-urlencoded", strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d, want 400 (AADSTS500011)", resp.StatusCode)
	}
}

func TestUserWithoutPrivilegeGets403(t *testing.T) {
	restricted := emulator.AppUser{Name: "# restricted", Deny: map[string][]emulator.Privilege{"contact": nil, "account": {emulator.PrivilegeCreate}}}
	srv, c := start(t, emulatortest.WithUsers(restricted))
	users := srv.Users()
	if len(users) != 1 || users[0].ClientSecret == "" {
		t.Fatalf("users %+v", users)
	}
	token, err := srv.TokenFor(users[0].ClientID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	rc := newClient(t, srv)
	rc.token = token
	for _, call := range []struct{ method, path string }{{"GET", "contacts"}, {"POST", "contacts"}, {"POST", "accounts"}} {
		r := expect(t, rc.do(call.method, call.path, map[string]any{"name": "x"}), http.StatusForbidden)
		code, msg := r.errorCode(t)
		if code != "0x80040220" || !strings.Contains(msg, "is missing prv") {
			t.Fatalf("%s %s: %s %s", call.method, call.path, code, msg)
		}
	}
	// what is not denied works, and the privileged user is unaffected
	expect(t, rc.do("GET", "accounts", nil), http.StatusOK)
	expect(t, c.do("POST", "contacts", map[string]any{"lastname": "x"}), http.StatusNoContent)
}

func TestAppWithoutApplicationUserGets403(t *testing.T) {
	srv, _ := start(t, emulatortest.WithUsers(emulator.AppUser{NotInEnvironment: true}))
	token, _ := srv.TokenFor(srv.Users()[0].ClientID, time.Hour)
	c := newClient(t, srv)
	c.token = token
	r := expect(t, c.do("GET", "WhoAmI", nil), http.StatusForbidden)
	if code, _ := r.errorCode(t); code != "0x80072560" {
		t.Fatalf("code %s", code)
	}
}
