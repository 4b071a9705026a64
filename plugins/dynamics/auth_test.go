package dynamics_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	pkcs12 "software.sslmate.com/src/go-pkcs12"

	"github.com/sluicedata/sluice/plugins/dynamics/emulator"
	"github.com/sluicedata/sluice/plugins/dynamics/emulator/emulatortest"
	"github.com/sluicedata/sluice/plugins/internal/testhost"
)

// authBlock writes the url and an auth block with the given credential
// lines.
func authBlock(srv *emulator.Server, credential string) string {
	return fmt.Sprintf(`
url = %q
auth {
  tenant_id = %q
  client_id = %q
  authority = %q
  ca_file   = %q
%s
}
table = "contact"
key   = { emailaddress1 = "email" }
mapping {
  lastname = "email"
}
`, srv.URL(), srv.TenantID, srv.ClientID, srv.Authority(), srv.CAFile(), credential)
}

// upsertOne opens a sink and upserts one contact, returning the error of
// Open or Write.
func upsertOne(t *testing.T, body string) error {
	t.Helper()
	host := testhost.New(t)
	s, err := build(t, body)
	if err != nil {
		return err
	}
	defer s.Close(t.Context())
	schema := schemaOf(col{"email", text})
	if err := s.Open(t.Context(), host, schema); err != nil {
		return err
	}
	rec := record(host.Mem, schema, []any{"cert@example.com"})
	defer rec.Release()
	res, err := s.Write(t.Context(), rec)
	if err == nil && len(res.Rejects) > 0 {
		err = fmt.Errorf("rejected: %+v", res.Rejects)
	}
	return err
}

func TestCertificateCredentials(t *testing.T) {
	srv := emulatortest.Start(t)
	certPEM, err := srv.ClientCertificatePEM()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pemFile := filepath.Join(dir, "app.pem")
	if err := os.WriteFile(pemFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	var cert *x509.Certificate
	var key any
	for rest := certPEM; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		switch b.Type {
		case "CERTIFICATE":
			cert, _ = x509.ParseCertificate(b.Bytes)
		case "PRIVATE KEY":
			key, _ = x509.ParsePKCS8PrivateKey(b.Bytes)
		}
	}
	pfx, err := pkcs12.Modern.Encode(key, cert, nil, "pfx-pass")
	if err != nil {
		t.Fatal(err)
	}
	pfxFile := filepath.Join(dir, "app.pfx")
	if err := os.WriteFile(pfxFile, pfx, 0o600); err != nil {
		t.Fatal(err)
	}

	for name, cred := range map[string]string{
		"pem text": fmt.Sprintf("  certificate = <<EOT\n%sEOT", certPEM),
		"pem file": fmt.Sprintf("  certificate_file = %q", pemFile),
		"pfx file": fmt.Sprintf("  certificate_file = %q\n  certificate_password = \"pfx-pass\"", pfxFile),
	} {
		t.Run(name, func(t *testing.T) {
			if err := upsertOne(t, authBlock(srv, cred)); err != nil {
				t.Errorf("%v", err)
			}
		})
	}
	t.Run("wrong pfx password", func(t *testing.T) {
		err := upsertOne(t, authBlock(srv, fmt.Sprintf("  certificate_file = %q\n  certificate_password = \"nope\"", pfxFile)))
		if err == nil || !strings.Contains(err.Error(), "auth.certificate_password: app.pfx: the PFX password is wrong") || strings.Contains(err.Error(), "nope") {
			t.Errorf("error %v", err)
		}
	})
	t.Run("certificate not registered", func(t *testing.T) {
		other, err := pkcs12.Modern.Encode(mustRSA(t), cert, nil, "x")
		if err != nil {
			t.Fatal(err)
		}
		// The key does not match the certificate; the authority refuses
		// the signature.
		bad := filepath.Join(dir, "other.pfx")
		_ = os.WriteFile(bad, other, 0o600)
		err = upsertOne(t, authBlock(srv, fmt.Sprintf("  certificate_file = %q\n  certificate_password = \"x\"", bad)))
		if err == nil {
			t.Error("a certificate with the wrong key was accepted")
		}
	})
}

func TestWrongCredentialsGiveAdvice(t *testing.T) {
	srv := emulatortest.Start(t)
	cases := []struct {
		name, body string
		parts      []string
	}{
		{"wrong secret", authBlock(srv, `  client_secret = "wrong-secret-value"`), []string{"AADSTS7000215", "client secret is wrong", "Certificates & secrets", "Value (not its Secret ID)"}},
		{"unknown client", strings.Replace(authBlock(srv, fmt.Sprintf("  client_secret = %q", srv.ClientSecret)), srv.ClientID, "11111111-2222-3333-4444-555555555555", 1),
			[]string{"AADSTS700016", "has no application with client id 11111111-2222-3333-4444-555555555555", "auth.client_id"}},
		{"unknown tenant", strings.Replace(strings.Replace(authBlock(srv, fmt.Sprintf("  client_secret = %q", srv.ClientSecret)), srv.TenantID, "99999999-2222-3333-4444-555555555555", 2), srv.Authority(), srv.URL()+"/99999999-2222-3333-4444-555555555555", 1),
			[]string{"AADSTS90002", "does not exist", "auth.tenant_id"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := upsertOne(t, c.body)
			if err == nil {
				t.Fatal("accepted")
			}
			mustContain(t, "error", err.Error(), c.parts...)
			if strings.Contains(err.Error(), "wrong-secret-value") || strings.Contains(err.Error(), srv.ClientSecret) {
				t.Errorf("the error shows the secret: %v", err)
			}
		})
	}
}

func mustRSA(t *testing.T) any {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return key
}
