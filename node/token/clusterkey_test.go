package token

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNewClusterKeyLength(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33, 64} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			if _, err := NewClusterKey(make([]byte, n)); err == nil {
				t.Fatalf("got nil error for %d bytes, want a refusal", n)
			}
		})
	}
	if _, err := NewClusterKey(make([]byte, ClusterKeySize)); err != nil {
		t.Fatalf("got %v for 32 bytes, want nil", err)
	}
}

func TestSealOpen(t *testing.T) {
	a := mustClusterKey(t, 1)
	b := mustClusterKey(t, 2)
	plain := []byte("private key bytes")
	sealed, err := a.Seal(plain)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, plain) {
		t.Fatal("sealed data contains the plaintext")
	}
	again, err := a.Seal(plain)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(sealed[:12], again[:12]) {
		t.Fatal("two seals used the same nonce")
	}
	got, err := a.Open(sealed)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("got %q, %v, want %q, nil", got, err, plain)
	}
	altered := bytes.Clone(sealed)
	altered[len(altered)-1] ^= 1
	for name, tc := range map[string]struct {
		key    *ClusterKey
		sealed []byte
	}{
		"wrong key": {b, sealed},
		"altered":   {a, altered},
		"truncated": {a, sealed[:20]},
		"empty":     {a, nil},
	} {
		t.Run(name, func(t *testing.T) {
			if got, err := tc.key.Open(tc.sealed); err == nil {
				t.Fatalf("got %q, nil, want an error", got)
			}
		})
	}
}

func mustClusterKey(t testing.TB, fill byte) *ClusterKey {
	t.Helper()
	k, err := NewClusterKey(bytes.Repeat([]byte{fill}, ClusterKeySize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestLoadClusterKey(t *testing.T) {
	fixture, err := os.ReadFile(filepath.Join("testdata", "cluster.key"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := hex.DecodeString(strings.TrimSpace(string(fixture)))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		data    []byte
		mode    os.FileMode
		wantErr string
		warn    bool
	}{
		{name: "hex with newline", data: fixture, mode: 0o600},
		{name: "hex without newline", data: bytes.TrimSpace(fixture), mode: 0o400},
		{name: "raw bytes", data: raw, mode: 0o600},
		{name: "readable by others", data: fixture, mode: 0o644, warn: true},
		{name: "too short", data: fixture[:40], mode: 0o600, wantErr: "want 64 hex digits"},
		{name: "too long", data: append(bytes.Clone(fixture), "00"...), mode: 0o600, wantErr: "want 64 hex digits"},
		{name: "not hex", data: bytes.Repeat([]byte("z"), 64), mode: 0o600, wantErr: "not hex"},
		{name: "empty", data: nil, mode: 0o600, wantErr: "got 0 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cluster.key")
			if err := os.WriteFile(path, tc.data, tc.mode); err != nil {
				t.Fatal(err)
			}
			k, err := LoadClusterKey(path)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), path) {
					t.Fatalf("got %v, want an error naming %s and saying %q", err, path, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v, want nil", err)
			}
			if got := k.Warning() != ""; got != tc.warn {
				t.Fatalf("got warning %q, want warning: %v", k.Warning(), tc.warn)
			}
			assertSameKey(t, k, mustRawKey(t, raw))
		})
	}
}

// assertSameKey checks that a and b open each other's seals.
func assertSameKey(t *testing.T, a, b *ClusterKey) {
	t.Helper()
	sealed, err := a.Seal([]byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Open(sealed); err != nil {
		t.Fatalf("got %v opening with the expected key, want nil", err)
	}
}

func mustRawKey(t *testing.T, raw []byte) *ClusterKey {
	t.Helper()
	k, err := NewClusterKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestLoadClusterKeyMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope", "cluster.key")
	_, err := LoadClusterKey(path)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("got %v, want an error naming %s", err, path)
	}
}

func TestWriteClusterKey(t *testing.T) {
	raw, err := GenerateClusterKey()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cluster.key")
	if err := WriteClusterKey(path, raw); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != 0o600 {
		t.Fatalf("got mode %#o, want 0600", got)
	}
	k, err := LoadClusterKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if k.Warning() != "" {
		t.Fatalf("got warning %q, want none", k.Warning())
	}
	assertSameKey(t, k, mustRawKey(t, raw))
	if err := WriteClusterKey(path, raw); err == nil {
		t.Fatal("got nil overwriting an existing key file, want an error")
	}
}

func TestClusterKeyNeverPrinted(t *testing.T) {
	raw := bytes.Repeat([]byte{0xab}, ClusterKeySize)
	k := mustRawKey(t, raw)
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("loaded", "key", k)
	for name, out := range map[string]string{
		"%v":  fmt.Sprintf("%v", k),
		"%+v": fmt.Sprintf("%+v", k),
		"%#v": fmt.Sprintf("%#v", k),
		"%s":  fmt.Sprintf("%s", k),
		"log": logged.String(),
	} {
		if strings.Contains(strings.ToLower(out), "abab") || strings.Contains(out, string(raw[:4])) || !strings.Contains(out, "redacted") {
			t.Errorf("%s: got %q, want a redacted form", name, out)
		}
	}
}
