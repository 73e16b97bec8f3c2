package peer_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"portico/node/certs"
	"portico/node/peer"
)

func TestLoadTLS(t *testing.T) {
	c := newCluster(t)
	other := newCluster(t)
	garbage := filepath.Join(t.TempDir(), "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not pem\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	n1 := c.files("n1")
	missing := filepath.Join(t.TempDir(), "missing")
	tests := []struct {
		name     string
		files    peer.TLSFiles
		wantErr  []string // substrings; none = success
		notExist bool
	}{
		{name: "valid", files: n1},
		{name: "missing CA", files: peer.TLSFiles{CA: missing, Cert: n1.Cert, Key: n1.Key},
			wantErr: []string{"CA", missing}, notExist: true},
		{name: "missing cert", files: peer.TLSFiles{CA: n1.CA, Cert: missing, Key: n1.Key},
			wantErr: []string{"certificate", missing}, notExist: true},
		{name: "missing key", files: peer.TLSFiles{CA: n1.CA, Cert: n1.Cert, Key: missing},
			wantErr: []string{"key", missing}, notExist: true},
		{name: "CA not PEM", files: peer.TLSFiles{CA: garbage, Cert: n1.Cert, Key: n1.Key},
			wantErr: []string{garbage}},
		{name: "cert not PEM", files: peer.TLSFiles{CA: n1.CA, Cert: garbage, Key: n1.Key},
			wantErr: []string{garbage}},
		{name: "key of another node", files: peer.TLSFiles{CA: n1.CA, Cert: n1.Cert, Key: c.files("n2").Key},
			wantErr: []string{n1.Cert, c.files("n2").Key}},
		{name: "cert of another CA", files: peer.TLSFiles{CA: n1.CA, Cert: other.files("n1").Cert, Key: other.files("n1").Key},
			wantErr: []string{other.files("n1").Cert, n1.CA}},
		{name: "CA file is a node cert", files: peer.TLSFiles{CA: c.files("n2").Cert, Cert: n1.Cert, Key: n1.Key},
			wantErr: []string{n1.Cert}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := peer.LoadTLS(tt.files)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				if got.NodeID() != "n1" {
					t.Errorf("NodeID: got %q, want n1", got.NodeID())
				}
				return
			}
			if err == nil {
				t.Fatalf("got no error, want one naming %q", tt.wantErr)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("got error %q, want it to contain %q", err, want)
				}
			}
			if tt.notExist && !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("got error %v, want errors.Is fs.ErrNotExist", err)
			}
		})
	}
}

func TestLoadTLSRefusesExpiredCertificate(t *testing.T) {
	dir := t.TempDir()
	if err := certs.Init(dir, []string{"old"}, nil, time.Now().AddDate(-3, 0, 0)); err != nil {
		t.Fatal(err)
	}
	ca, cert, key := certs.Files(dir, "old")
	_, err := peer.LoadTLS(peer.TLSFiles{CA: ca, Cert: cert, Key: key})
	if err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("got error %v, want one saying the certificate expired", err)
	}
}
