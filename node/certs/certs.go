// Package certs creates the cluster CA and the node certificates behind `portico tls init`. The files it writes are
// read back by package node/peer, which runs mutual TLS on the link between nodes (raft RPCs and forwarded admin
// calls); no other traffic uses them. Beside them it writes the cluster key, the secret that seals token signing
// keys in the replicated state (package node/token).
package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"portico/node/token"
)

// Validity periods and the clock skew tolerated between nodes (certificates start this long before now).
const (
	caValidity   = 10 * 365 * 24 * time.Hour
	nodeValidity = 2 * 365 * 24 * time.Hour
	clockSkew    = time.Hour
)

// caName is the file stem of the CA files; it cannot be a node id.
const caName = "ca"

// Files returns the conventional paths for node id in dir: the cluster CA certificate, the node certificate and the
// node key.
func Files(dir, id string) (ca, cert, key string) {
	return filepath.Join(dir, caName+".crt"), filepath.Join(dir, id+".crt"), filepath.Join(dir, id+".key")
}

// Init writes a new cluster CA and one certificate per node into dir (created 0700 if missing): ca.crt, ca.key,
// <id>.crt and <id>.key, and the cluster key (cluster.key, once), PEM-encoded with ECDSA P-256 keys (key files 0600). Node certificates are valid for server
// and client authentication, carry CN = id and the SANs DNS id, DNS localhost, IP 127.0.0.1, IP ::1 plus hosts (each
// an IP or a DNS name). The CA is valid 10 years and node certificates 2 years from now (each starts an hour before
// now, for clock skew between nodes). Init refuses bad node ids and hosts, and refuses to overwrite any existing file.
// If ca.crt and ca.key already exist, the new nodes are signed with that CA (adding a node later).
func Init(dir string, nodes, hosts []string, now time.Time) error {
	if err := validate(nodes, hosts); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating certificate directory: %w", err)
	}
	if err := checkNodeFiles(dir, nodes); err != nil {
		return err
	}
	ca, err := loadOrCreateCA(dir, now)
	if err != nil {
		return err
	}
	for _, id := range nodes {
		if err := writeNode(dir, id, hosts, ca, now); err != nil {
			return err
		}
	}
	return EnsureClusterKey(dir)
}

// ClusterKeyFile is the conventional path of the cluster key in dir: the secret every node shares, beside the TLS
// files, that seals token signing keys in the replicated state.
func ClusterKeyFile(dir string) string { return filepath.Join(dir, "cluster.key") }

// EnsureClusterKey writes a new cluster key in dir unless one exists (an existing key is never replaced: the signing
// keys sealed with it would become unusable).
func EnsureClusterKey(dir string) error {
	path := ClusterKeyFile(dir)
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	key, err := token.GenerateClusterKey()
	if err != nil {
		return err
	}
	return token.WriteClusterKey(path, key)
}

// checkNodeFiles refuses before anything is written if a node's files already exist.
func checkNodeFiles(dir string, nodes []string) error {
	for _, id := range nodes {
		_, cert, key := Files(dir, id)
		for _, p := range []string{cert, key} {
			if err := mustNotExist(p); err != nil {
				return err
			}
		}
	}
	return nil
}

func mustNotExist(path string) error {
	_, err := os.Lstat(path)
	switch {
	case err == nil:
		return fmt.Errorf("refusing to overwrite %s", path)
	case errors.Is(err, os.ErrNotExist):
		return nil
	default:
		return fmt.Errorf("checking %s: %w", path, err)
	}
}

// writeNode creates a key and a certificate for node id signed by ca.
func writeNode(dir, id string, hosts []string, ca *authority, now time.Time) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generating key for node %q: %w", id, err)
	}
	tmpl, err := nodeTemplate(id, hosts, now, ca.cert.NotAfter)
	if err != nil {
		return err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return fmt.Errorf("signing certificate for node %q: %w", id, err)
	}
	_, certPath, keyPath := Files(dir, id)
	if err := writeKey(keyPath, key); err != nil {
		return err
	}
	return writeCert(certPath, der)
}

func nodeTemplate(id string, hosts []string, now, caExpiry time.Time) (*x509.Certificate, error) {
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	notAfter := now.Add(nodeValidity)
	if notAfter.After(caExpiry) {
		notAfter = caExpiry
	}
	dns, ips := subjectAltNames(id, hosts)
	return &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: id, Organization: []string{"portico"}},
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		DNSNames:              dns,
		IPAddresses:           ips,
	}, nil
}

// subjectAltNames returns the DNS names and IPs a node certificate carries, without duplicates.
func subjectAltNames(id string, hosts []string) ([]string, []net.IP) {
	dns := []string{id, "localhost"}
	ips := []net.IP{net.IPv4(127, 0, 0, 1).To4(), net.IPv6loopback}
	seen := map[string]bool{id: true, "localhost": true, "127.0.0.1": true, "::1": true}
	for _, h := range hosts {
		ip := net.ParseIP(h)
		key := h
		if ip != nil {
			key = ip.String()
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		if ip != nil {
			if v4 := ip.To4(); v4 != nil {
				ip = v4
			}
			ips = append(ips, ip)
		} else {
			dns = append(dns, h)
		}
	}
	return dns, ips
}

func newSerial() (*big.Int, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("generating serial number: %w", err)
	}
	return serial.Add(serial, big.NewInt(1)), nil
}
