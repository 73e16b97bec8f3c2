package certs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func mustInit(t *testing.T, dir string, nodes, hosts []string) {
	t.Helper()
	if err := Init(dir, nodes, hosts, testNow); err != nil {
		t.Fatalf("Init(%v, %v): %v", nodes, hosts, err)
	}
}

func loadCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	cert, err := readCert(path)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func TestFiles(t *testing.T) {
	ca, cert, key := Files("/etc/portico/tls", "n1")
	for _, c := range []struct{ got, want string }{
		{ca, "/etc/portico/tls/ca.crt"}, {cert, "/etc/portico/tls/n1.crt"}, {key, "/etc/portico/tls/n1.key"},
	} {
		if c.got != c.want {
			t.Errorf("got %s, want %s", c.got, c.want)
		}
	}
}

func TestInitWritesFilesWithModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	mustInit(t, dir, []string{"n1", "n2"}, nil)
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != 0o700 {
		t.Errorf("dir mode: got %o, want 700", got)
	}
	want := map[string]os.FileMode{
		"ca.crt": 0o644, "ca.key": 0o600, "n1.crt": 0o644, "n1.key": 0o600, "n2.crt": 0o644, "n2.key": 0o600,
		"cluster.key": 0o600,
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(want) {
		t.Errorf("got %d files, want %d", len(entries), len(want))
	}
	for name, mode := range want {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := st.Mode().Perm(); got != mode {
			t.Errorf("%s mode: got %o, want %o", name, got, mode)
		}
	}
}

func TestInitCA(t *testing.T) {
	dir := t.TempDir()
	mustInit(t, dir, []string{"n1"}, nil)
	ca := loadCert(t, filepath.Join(dir, "ca.crt"))
	if !ca.IsCA || !ca.BasicConstraintsValid {
		t.Errorf("IsCA: got %v, want true", ca.IsCA)
	}
	if got, want := ca.KeyUsage, x509.KeyUsageCertSign|x509.KeyUsageCRLSign; got != want {
		t.Errorf("KeyUsage: got %v, want %v", got, want)
	}
	if got, want := ca.NotAfter, testNow.AddDate(10, 0, 0); got.Sub(want).Abs() > 72*time.Hour {
		t.Errorf("NotAfter: got %v, want about %v", got, want)
	}
	if ca.NotBefore.After(testNow) {
		t.Errorf("NotBefore: got %v, want not after %v", ca.NotBefore, testNow)
	}
	pub, ok := ca.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		t.Errorf("CA key: got %T, want ECDSA P-256", ca.PublicKey)
	}
	key, err := readKey(filepath.Join(dir, "ca.key"))
	if err != nil {
		t.Fatal(err)
	}
	if !key.PublicKey.Equal(ca.PublicKey) {
		t.Error("ca.key does not match ca.crt")
	}
}

func TestInitNodeCertificate(t *testing.T) {
	dir := t.TempDir()
	mustInit(t, dir, []string{"n1"}, []string{"10.0.0.7", "node1.example.com", "fd00::7", "127.0.0.1"})
	caPath, certPath, keyPath := Files(dir, "n1")
	ca := loadCert(t, caPath)
	cert := loadCert(t, certPath)

	if cert.Subject.CommonName != "n1" {
		t.Errorf("CN: got %q, want n1", cert.Subject.CommonName)
	}
	if cert.IsCA {
		t.Error("node certificate is a CA")
	}
	if cert.KeyUsage != x509.KeyUsageDigitalSignature {
		t.Errorf("KeyUsage: got %v, want %v", cert.KeyUsage, x509.KeyUsageDigitalSignature)
	}
	wantEKU := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	if !slices.Equal(cert.ExtKeyUsage, wantEKU) {
		t.Errorf("ExtKeyUsage: got %v, want %v", cert.ExtKeyUsage, wantEKU)
	}
	if want := []string{"n1", "localhost", "node1.example.com"}; !slices.Equal(cert.DNSNames, want) {
		t.Errorf("DNSNames: got %v, want %v", cert.DNSNames, want)
	}
	var ips []string
	for _, ip := range cert.IPAddresses {
		ips = append(ips, ip.String())
	}
	if want := []string{"127.0.0.1", "::1", "10.0.0.7", "fd00::7"}; !slices.Equal(ips, want) {
		t.Errorf("IPAddresses: got %v, want %v", ips, want)
	}
	if got, want := cert.NotAfter, testNow.AddDate(2, 0, 0); got.Sub(want).Abs() > 72*time.Hour {
		t.Errorf("NotAfter: got %v, want about %v", got, want)
	}
	if _, err := tls.LoadX509KeyPair(certPath, keyPath); err != nil {
		t.Errorf("key pair: %v", err)
	}
	verifyChain(t, ca, cert)
}

// verifyChain checks that cert chains to ca for both server and client authentication, at testNow.
func verifyChain(t *testing.T, ca, cert *x509.Certificate) {
	t.Helper()
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	for _, eku := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
		opts := x509.VerifyOptions{Roots: roots, CurrentTime: testNow, KeyUsages: []x509.ExtKeyUsage{eku}}
		if _, err := cert.Verify(opts); err != nil {
			t.Errorf("verify %v: %v", eku, err)
		}
	}
	opts := x509.VerifyOptions{Roots: roots, CurrentTime: testNow, DNSName: cert.Subject.CommonName}
	if _, err := cert.Verify(opts); err != nil {
		t.Errorf("verify DNS %s: %v", cert.Subject.CommonName, err)
	}
}

func TestInitAddsNodeWithExistingCA(t *testing.T) {
	dir := t.TempDir()
	mustInit(t, dir, []string{"n1"}, nil)
	caBefore, err := os.ReadFile(filepath.Join(dir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	keyBefore, err := os.ReadFile(filepath.Join(dir, "cluster.key"))
	if err != nil {
		t.Fatal(err)
	}
	mustInit(t, dir, []string{"n2"}, nil)
	caAfter, err := os.ReadFile(filepath.Join(dir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(caBefore, caAfter) {
		t.Fatal("ca.crt changed when adding a node")
	}
	if keyAfter, err := os.ReadFile(filepath.Join(dir, "cluster.key")); err != nil || !bytes.Equal(keyBefore, keyAfter) {
		t.Fatalf("cluster.key changed when adding a node (%v)", err)
	}
	ca := loadCert(t, filepath.Join(dir, "ca.crt"))
	verifyChain(t, ca, loadCert(t, filepath.Join(dir, "n2.crt")))
}

func TestInitRefuses(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string)
		nodes   []string
		hosts   []string
		wantErr string
	}{
		{name: "no nodes", wantErr: "no node ids"},
		{name: "uppercase id", nodes: []string{"N1"}, wantErr: `"N1"`},
		{name: "id with dot", nodes: []string{"n.1"}, wantErr: `"n.1"`},
		{name: "id with slash", nodes: []string{"../n1"}, wantErr: `"../n1"`},
		{name: "empty id", nodes: []string{""}, wantErr: `""`},
		{name: "long id", nodes: []string{strings.Repeat("a", 64)}, wantErr: "1 to 63"},
		{name: "ca id", nodes: []string{"ca"}, wantErr: "reserved"},
		{name: "duplicate id", nodes: []string{"n1", "n1"}, wantErr: "twice"},
		{name: "bad host", nodes: []string{"n1"}, hosts: []string{"bad host"}, wantErr: `"bad host"`},
		{name: "wildcard host", nodes: []string{"n1"}, hosts: []string{"*.example.com"}, wantErr: "*.example.com"},
		{name: "empty host", nodes: []string{"n1"}, hosts: []string{""}, wantErr: `host ""`},
		{name: "hyphen label", nodes: []string{"n1"}, hosts: []string{"-a.example"}, wantErr: "-a.example"},
		{
			name: "existing node cert", nodes: []string{"n2", "n1"}, wantErr: "n1.crt",
			setup: func(t *testing.T, dir string) { mustInit(t, dir, []string{"n1"}, nil) },
		},
		{
			name: "existing node key", nodes: []string{"n1"}, wantErr: "n1.key",
			setup: func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, "n1.key"), "x") },
		},
		{
			name: "ca.crt without ca.key", nodes: []string{"n1"}, wantErr: "ca.crt",
			setup: func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, "ca.crt"), "x") },
		},
		{
			name: "ca.key without ca.crt", nodes: []string{"n1"}, wantErr: "ca.key",
			setup: func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, "ca.key"), "x") },
		},
		{
			name: "ca key mismatch", nodes: []string{"n3"}, wantErr: "does not match",
			setup: func(t *testing.T, dir string) {
				mustInit(t, dir, []string{"n1"}, nil)
				other := t.TempDir()
				mustInit(t, other, []string{"n1"}, nil)
				copyFile(t, filepath.Join(other, "ca.key"), filepath.Join(dir, "ca.key"))
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			before := listDir(t, dir)
			err := Init(dir, tt.nodes, tt.hosts, testNow)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
			}
			if after := listDir(t, dir); !slices.Equal(before, after) {
				t.Errorf("files: got %v, want %v unchanged", after, before)
			}
		})
	}
}

func TestValidDNSName(t *testing.T) {
	tests := []struct {
		host string
		want bool
	}{
		{"node1", true},
		{"Node-1.Example.com", true},
		{"a.b.c", true},
		{"a..b", false},
		{"a.", false},
		{"a-", false},
		{"a_b", false},
		{strings.Repeat("a", 64), false},
		{strings.Repeat("a.", 127) + "a", false},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			if got := validDNSName(tt.host); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSubjectAltNamesNormalisesIPs(t *testing.T) {
	_, ips := subjectAltNames("n1", []string{"::ffff:10.0.0.1", "10.0.0.1"})
	want := []net.IP{net.ParseIP("127.0.0.1"), net.IPv6loopback, net.ParseIP("10.0.0.1")}
	if len(ips) != len(want) {
		t.Fatalf("got %v, want %v", ips, want)
	}
	for i := range want {
		if !ips[i].Equal(want[i]) {
			t.Errorf("ip %d: got %v, want %v", i, ips[i], want[i])
		}
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// listDir returns "name:content" for every file in dir, sorted by name.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e.Name()+":"+string(data))
	}
	return out
}
