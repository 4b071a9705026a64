package postgres_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluicedata/sluice/plugins/postgres/pgtest"
)

// hostConfig is a source body that connects with host, port, database,
// user and password rather than a URL, plus extra lines.
func hostConfig(t *testing.T, dbURL, query string, extra ...string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := u.User.Password()
	return fmt.Sprintf("host = %q\nport = %s\ndatabase = %q\nuser = %q\npassword = %q\nquery = %q\n%s",
		u.Hostname(), u.Port(), strings.TrimPrefix(u.Path, "/"), u.User.Username(), pw, query, strings.Join(extra, "\n"))
}

const sslQuery = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"

// TestSSLModesReachTheConnection checks, from the server's side, whether
// each sslmode gave a TLS connection, and that verification uses ca_file.
func TestSSLModesReachTheConnection(t *testing.T) {
	if server.External() {
		t.Skip("skipped: the server named by SLUICE_TEST_POSTGRES_URL is not ours, so its TLS setup is unknown")
	}
	db := server.CreateDatabase(t)
	for _, c := range []struct {
		extra []string
		ssl   string
	}{
		{[]string{`sslmode = "disable"`}, "false"},
		{[]string{`sslmode = "prefer"`}, "true"},
		{[]string{`sslmode = "require"`}, "true"},
		{[]string{`sslmode = "verify-ca"`, fmt.Sprintf("ca_file = %q", server.CAFile())}, "true"},
		{[]string{`sslmode = "verify-full"`, fmt.Sprintf("ca_file = %q", server.CAFile())}, "true"},
	} {
		r := read(t, hostConfig(t, db, sslQuery, c.extra...), nil)
		if got := r.rows(); !slices.Equal(got, []string{c.ssl}) {
			t.Errorf("%v: ssl = %v, want %s", c.extra, got, c.ssl)
		}
	}
	// The attributes override the URL's own sslmode.
	r := read(t, config(db, sslQuery, `sslmode = "require"`), nil)
	if got := r.rows(); !slices.Equal(got, []string{"true"}) {
		t.Errorf("url with sslmode=disable and sslmode = require: ssl = %v", got)
	}

	otherCA := writeOtherCA(t)
	for _, c := range []struct {
		extra []string
		want  string
	}{
		{[]string{`sslmode = "verify-full"`}, "certificate signed by unknown authority"},
		{[]string{`sslmode = "verify-ca"`, fmt.Sprintf("ca_file = %q", otherCA)}, "certificate signed by unknown authority"},
		{[]string{`sslmode = "verify-full"`, `ca_file = "/nonexistent/ca.pem"`}, "/nonexistent/ca.pem"},
		{[]string{`sslmode = "require"`, fmt.Sprintf("cert_file = %q", otherCA), `key_file = "/nonexistent/client.key"`}, "/nonexistent/client.key"},
	} {
		_, _, err := open(t, hostConfig(t, db, sslQuery, c.extra...))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want an error saying %q", c.extra, err, c.want)
		}
	}
}

// TestClientCertificateAuthenticates connects as a role that the server
// lets in only with a client certificate: cert_file and key_file must reach
// the TLS handshake, and without them the login fails.
func TestClientCertificateAuthenticates(t *testing.T) {
	if server.External() {
		t.Skip("skipped: the server named by SLUICE_TEST_POSTGRES_URL is not ours, so it has no certificate role")
	}
	db, err := url.Parse(server.CreateDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := server.ClientCert()
	body := func(extra ...string) string {
		return fmt.Sprintf("host = %q\nport = %s\ndatabase = %q\nuser = %q\nquery = %q\n%s",
			db.Hostname(), db.Port(), strings.TrimPrefix(db.Path, "/"), pgtest.CertUser,
			"SELECT current_user::text || ' ' || ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
			strings.Join(append([]string{`sslmode = "verify-full"`, fmt.Sprintf("ca_file = %q", server.CAFile())}, extra...), "\n"))
	}
	r := read(t, body(fmt.Sprintf("cert_file = %q", certFile), fmt.Sprintf("key_file = %q", keyFile)), nil)
	if got := r.rows(); !slices.Equal(got, []string{pgtest.CertUser + " true"}) {
		t.Errorf("with the client certificate: %v, want %s over TLS", got, pgtest.CertUser)
	}
	if _, _, err := open(t, body()); err == nil || !strings.Contains(err.Error(), "requires a valid client certificate") {
		t.Errorf("without the client certificate: %v, want the login refused for want of a certificate", err)
	}
}

// writeOtherCA writes a CA certificate that did not sign the server's.
func writeOtherCA(t *testing.T) string {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "another CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "other-ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
