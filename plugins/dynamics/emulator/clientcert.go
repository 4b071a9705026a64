package emulator

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"time"
)

// clientCertificate is a certificate credential registered on the main application, for clients that
// authenticate with a certificate instead of a secret (MSAL's NewCredFromCert needs RSA).
type clientCertificate struct {
	cert *x509.Certificate
	pem  []byte // certificate and private key
}

func newClientCertificate(name string) (*clientCertificate, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate client key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(2, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("create client certificate: %w", err)
	}
	p := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	p = append(p, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: mustPKCS8(key)})...)
	return loadClientCertificate(p)
}

func mustPKCS8(key *rsa.PrivateKey) []byte {
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	return der
}

func loadClientCertificate(p []byte) (*clientCertificate, error) {
	b, _ := pem.Decode(p)
	if b == nil {
		return nil, fmt.Errorf("load client certificate: invalid PEM")
	}
	cert, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("load client certificate: %w", err)
	}
	return &clientCertificate{cert: cert, pem: p}, nil
}

func (s *Server) clientCert() *clientCertificate {
	s.clientCertMu.Lock()
	defer s.clientCertMu.Unlock()
	return s.clientCertificate
}

// ClientCertificatePEM returns a certificate and its RSA private key (PEM) registered as a credential of the main
// application (ClientID), generating it on first use. Use it with MSAL's confidential.CertFromPEM and
// NewCredFromCert to test certificate authentication.
func (s *Server) ClientCertificatePEM() ([]byte, error) {
	s.clientCertMu.Lock()
	defer s.clientCertMu.Unlock()
	if s.clientCertificate == nil {
		cc, err := newClientCertificate("sluice-emulator-client")
		if err != nil {
			return nil, err
		}
		s.clientCertificate = cc
		if s.persist != nil {
			if err := s.persist.saveIdentity(s); err != nil {
				return nil, err
			}
		}
	}
	return s.clientCertificate.pem, nil
}
