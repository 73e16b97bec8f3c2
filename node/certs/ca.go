package certs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"path/filepath"
	"time"
)

// authority is the cluster CA: its certificate and the key that signs node certificates.
type authority struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func caPaths(dir string) (cert, key string) {
	return filepath.Join(dir, caName+".crt"), filepath.Join(dir, caName+".key")
}

// loadOrCreateCA reuses ca.crt and ca.key in dir when both exist, creates both when neither does, and refuses a
// directory that holds only one of them.
func loadOrCreateCA(dir string, now time.Time) (*authority, error) {
	certPath, keyPath := caPaths(dir)
	certErr, keyErr := mustNotExist(certPath), mustNotExist(keyPath)
	switch {
	case certErr != nil && keyErr != nil:
		return loadCA(certPath, keyPath)
	case certErr == nil && keyErr == nil:
		return createCA(certPath, keyPath, now)
	case certErr != nil:
		return nil, fmt.Errorf("%s exists without %s: %w", certPath, keyPath, certErr)
	default:
		return nil, fmt.Errorf("%s exists without %s: %w", keyPath, certPath, keyErr)
	}
}

func createCA(certPath, keyPath string, now time.Time) (*authority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating CA key: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "portico cluster CA", Organization: []string{"portico"}},
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              now.Add(caValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("creating CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parsing new CA certificate: %w", err)
	}
	if err := writeKey(keyPath, key); err != nil {
		return nil, err
	}
	if err := writeCert(certPath, der); err != nil {
		return nil, err
	}
	return &authority{cert: cert, key: key}, nil
}

// loadCA reads an existing CA and checks that its key matches its certificate.
func loadCA(certPath, keyPath string) (*authority, error) {
	cert, err := readCert(certPath)
	if err != nil {
		return nil, err
	}
	if !cert.IsCA {
		return nil, fmt.Errorf("reading %s: not a CA certificate", certPath)
	}
	key, err := readKey(keyPath)
	if err != nil {
		return nil, err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", keyPath, err)
	}
	if !bytes.Equal(pub, cert.RawSubjectPublicKeyInfo) {
		return nil, errors.New("CA key " + keyPath + " does not match certificate " + certPath)
	}
	return &authority{cert: cert, key: key}, nil
}
