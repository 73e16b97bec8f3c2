package token

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
)

// ClusterKeySize is the length in bytes of the cluster key.
const ClusterKeySize = 32

// ClusterKey is the secret every node of a cluster shares (file cluster.key beside the TLS files). It seals the
// private halves of signing keys in the replicated state with AES-256-GCM. Its String and slog forms never show the
// key.
type ClusterKey struct {
	aead    cipher.AEAD
	warning string
}

// NewClusterKey makes a cluster key from 32 secret bytes.
func NewClusterKey(b []byte) (*ClusterKey, error) {
	if len(b) != ClusterKeySize {
		return nil, fmt.Errorf("cluster key: got %d bytes, want %d", len(b), ClusterKeySize)
	}
	block, err := aes.NewCipher(b)
	if err != nil {
		return nil, fmt.Errorf("cluster key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("cluster key: %w", err)
	}
	return &ClusterKey{aead: aead}, nil
}

// GenerateClusterKey returns 32 new random bytes for a cluster key, as WriteClusterKey stores them.
func GenerateClusterKey() ([]byte, error) {
	b := make([]byte, ClusterKeySize)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("generating cluster key: %w", err)
	}
	return b, nil
}

// WriteClusterKey writes a cluster key file: the key as 64 hex digits and a newline, mode 0600. It refuses to
// overwrite an existing file: replacing the key of a running cluster would make its signing keys unusable.
func WriteClusterKey(path string, key []byte) error {
	if len(key) != ClusterKeySize {
		return fmt.Errorf("writing cluster key %s: got %d bytes, want %d", path, len(key), ClusterKeySize)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("writing cluster key: %w", err)
	}
	_, err = f.WriteString(hex.EncodeToString(key) + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing cluster key %s: %w", path, err)
	}
	return nil
}

// LoadClusterKey reads a cluster key file: 64 hex digits (surrounding whitespace ignored) or 32 raw bytes. A file
// of any other length is refused. A file that group or others may access is accepted; Warning then says so, for
// the caller to log.
func LoadClusterKey(path string) (*ClusterKey, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("loading cluster key: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("loading cluster key %s: not a regular file", path)
	}
	if st.Size() > 4<<10 {
		return nil, fmt.Errorf("loading cluster key %s: file too large (%d bytes)", path, st.Size())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("loading cluster key: %w", err)
	}
	raw, err := decodeClusterKey(data)
	if err != nil {
		return nil, fmt.Errorf("loading cluster key %s: %w", path, err)
	}
	k, err := NewClusterKey(raw)
	if err != nil {
		return nil, fmt.Errorf("loading cluster key %s: %w", path, err)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		k.warning = fmt.Sprintf("cluster key file %s has mode %#o, wider than 0600", path, perm)
	}
	return k, nil
}

// decodeClusterKey accepts the hex form WriteClusterKey writes, or the raw bytes.
func decodeClusterKey(data []byte) ([]byte, error) {
	if len(data) == ClusterKeySize {
		return data, nil
	}
	text := bytes.TrimSpace(data)
	if len(text) != 2*ClusterKeySize {
		return nil, fmt.Errorf("got %d bytes, want %d hex digits or %d raw bytes", len(data), 2*ClusterKeySize, ClusterKeySize)
	}
	raw := make([]byte, ClusterKeySize)
	if _, err := hex.Decode(raw, text); err != nil {
		return nil, errors.New("not hex")
	}
	return raw, nil
}

// Warning is a message for the operator about how the key was stored ("" when there is nothing to say).
func (k *ClusterKey) Warning() string { return k.warning }

// Seal encrypts plain with AES-256-GCM under the cluster key and returns nonce || ciphertext.
func (k *ClusterKey) Seal(plain []byte) ([]byte, error) {
	ns := k.aead.NonceSize()
	out := make([]byte, ns, ns+len(plain)+k.aead.Overhead())
	if _, err := rand.Read(out); err != nil {
		return nil, fmt.Errorf("sealing: %w", err)
	}
	return k.aead.Seal(out, out, plain, nil), nil
}

// Open decrypts what Seal produced. It fails when sealed was made under another key or was altered.
func (k *ClusterKey) Open(sealed []byte) ([]byte, error) {
	ns := k.aead.NonceSize()
	if len(sealed) < ns+k.aead.Overhead() {
		return nil, errors.New("opening sealed data: too short")
	}
	plain, err := k.aead.Open(nil, sealed[:ns], sealed[ns:], nil)
	if err != nil {
		return nil, errors.New("opening sealed data: wrong cluster key or altered data")
	}
	return plain, nil
}

// String never shows the key.
func (k *ClusterKey) String() string { return "token.ClusterKey(redacted)" }

// GoString never shows the key.
func (k *ClusterKey) GoString() string { return k.String() }

// LogValue never shows the key.
func (k *ClusterKey) LogValue() slog.Value { return slog.StringValue(k.String()) }

var (
	_ fmt.Stringer   = (*ClusterKey)(nil)
	_ fmt.GoStringer = (*ClusterKey)(nil)
	_ slog.LogValuer = (*ClusterKey)(nil)
)
