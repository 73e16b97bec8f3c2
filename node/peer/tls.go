package peer

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// TLSFiles names the PEM files of a node's TLS identity: the cluster CA certificate, the node certificate and the
// node key (as written by certs.Init).
type TLSFiles struct{ CA, Cert, Key string }

// TLS holds the server and client configurations for mutual TLS between nodes. Both sides present the node
// certificate and accept only peers whose certificate chains to the cluster CA; hostnames are not checked, because
// peers are addressed by IP or by name interchangeably.
type TLS struct {
	server *tls.Config
	client *tls.Config
	nodeID string
}

// LoadTLS reads the files, checks that the certificate matches the key and is signed by the CA for both server and
// client authentication, and builds the configurations. Errors name the file that is missing or bad.
func LoadTLS(f TLSFiles) (*TLS, error) {
	roots, err := loadCAPool(f.CA)
	if err != nil {
		return nil, err
	}
	pair, err := loadKeyPair(f.Cert, f.Key)
	if err != nil {
		return nil, err
	}
	if err := verifyLeaf(pair.Leaf, roots); err != nil {
		return nil, fmt.Errorf("certificate %s is not valid under CA %s: %w", f.Cert, f.CA, err)
	}
	return &TLS{
		server: serverConfig(pair, roots),
		client: clientConfig(pair, roots),
		nodeID: pair.Leaf.Subject.CommonName,
	}, nil
}

// NodeID returns the CommonName of the node certificate, which certs.Init sets to the node id.
func (t *TLS) NodeID() string { return t.nodeID }

func loadCAPool(path string) (*x509.CertPool, error) {
	data, err := readFile("CA", path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	found := false
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parsing CA %s: %w", path, err)
		}
		pool.AddCert(cert)
		found = true
	}
	if !found {
		return nil, fmt.Errorf("reading CA %s: no PEM certificate", path)
	}
	return pool, nil
}

func loadKeyPair(certPath, keyPath string) (tls.Certificate, error) {
	certPEM, err := readFile("certificate", certPath)
	if err != nil {
		return tls.Certificate{}, err
	}
	keyPEM, err := readFile("key", keyPath)
	if err != nil {
		return tls.Certificate{}, err
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("loading certificate %s with key %s: %w", certPath, keyPath, err)
	}
	if pair.Leaf == nil {
		if pair.Leaf, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			return tls.Certificate{}, fmt.Errorf("parsing certificate %s: %w", certPath, err)
		}
	}
	return pair, nil
}

// readFile reads path; its error names what the file is and the path once.
func readFile(what, path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("reading %s %s: %w", what, path, err)
	}
	return data, nil
}

// verifyLeaf checks that leaf chains to roots for both uses a node certificate has on the peer link.
func verifyLeaf(leaf *x509.Certificate, roots *x509.CertPool) error {
	for _, eku := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
		opts := x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{eku}}
		if _, err := leaf.Verify(opts); err != nil {
			return err
		}
	}
	return nil
}

func serverConfig(pair tls.Certificate, roots *x509.CertPool) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{pair},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    roots,
	}
}

// clientConfig skips the standard verification only because it checks hostnames; VerifyConnection verifies the
// server's chain against the cluster CA instead, on every handshake including resumed ones.
func clientConfig(pair tls.Certificate, roots *x509.CertPool) *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS13,
		Certificates:       []tls.Certificate{pair},
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			return verifyServer(cs.PeerCertificates, roots)
		},
	}
}

var errNoPeerCert = errors.New("peer presented no certificate")

func verifyServer(chain []*x509.Certificate, roots *x509.CertPool) error {
	if len(chain) == 0 {
		return errNoPeerCert
	}
	opts := x509.VerifyOptions{
		Roots:         roots,
		Intermediates: x509.NewCertPool(),
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, c := range chain[1:] {
		opts.Intermediates.AddCert(c)
	}
	if _, err := chain[0].Verify(opts); err != nil {
		return fmt.Errorf("verifying peer certificate: %w", err)
	}
	return nil
}
