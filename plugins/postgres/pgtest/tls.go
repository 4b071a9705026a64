package pgtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// certificates are the PEM files writeCertificates writes.
type certificates struct {
	serverCert, serverKey string // for localhost and 127.0.0.1
	ca                    string // the CA that signed both certificates
	clientCert, clientKey string // for the role CertUser
}

// writeCertificates writes a CA, a server certificate it signed for
// localhost and 127.0.0.1, and a client certificate it signed for CertUser,
// into dir. PostgreSQL wants the server's key readable by its owner only.
func writeCertificates(dir string) (certificates, error) {
	var c certificates
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return c, fmt.Errorf("pgtest: %w", err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "sluice pgtest CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return c, fmt.Errorf("pgtest: %w", err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	// issue makes a key and a certificate the CA signs for it.
	issue := func(serial int64, tmpl *x509.Certificate) (der, keyDER []byte, err error) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, nil, fmt.Errorf("pgtest: %w", err)
		}
		tmpl.SerialNumber = big.NewInt(serial)
		tmpl.NotBefore, tmpl.NotAfter = now.Add(-time.Hour), now.Add(24*time.Hour)
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		if der, err = x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey); err != nil {
			return nil, nil, fmt.Errorf("pgtest: %w", err)
		}
		if keyDER, err = x509.MarshalECPrivateKey(key); err != nil {
			return nil, nil, fmt.Errorf("pgtest: %w", err)
		}
		return der, keyDER, nil
	}
	serverDER, serverKeyDER, err := issue(2, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "localhost"},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err != nil {
		return c, err
	}
	// PostgreSQL's cert authentication takes the role from the common name.
	clientDER, clientKeyDER, err := issue(3, &x509.Certificate{
		Subject:     pkix.Name{CommonName: CertUser},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		return c, err
	}
	c = certificates{
		serverCert: filepath.Join(dir, "server.crt"), serverKey: filepath.Join(dir, "server.key"),
		ca:         filepath.Join(dir, "ca.crt"),
		clientCert: filepath.Join(dir, "client.crt"), clientKey: filepath.Join(dir, "client.key"),
	}
	for _, f := range []struct {
		path, kind string
		der        []byte
		mode       os.FileMode
	}{
		{c.serverCert, "CERTIFICATE", serverDER, 0o644},
		{c.serverKey, "EC PRIVATE KEY", serverKeyDER, 0o600},
		{c.ca, "CERTIFICATE", caDER, 0o644},
		{c.clientCert, "CERTIFICATE", clientDER, 0o644},
		{c.clientKey, "EC PRIVATE KEY", clientKeyDER, 0o600},
	} {
		data := pem.EncodeToMemory(&pem.Block{Type: f.kind, Bytes: f.der})
		if err := os.WriteFile(f.path, data, f.mode); err != nil {
			return c, fmt.Errorf("pgtest: %w", err)
		}
	}
	return c, nil
}
