package node

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"portico/raftstore"
	"portico/raftstore/state"
)

// TokenFile is the name, inside the data dir, of the file holding the first admin token (mode 0600).
const TokenFile = "admin.token"

// bootstrapToken creates the first admin token of a freshly bootstrapped cluster, writes it to DIR/admin.token with
// mode 0600 and prints it once. A cluster that already has an admin token (a restart) is left alone.
func (n *Node) bootstrapToken(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := n.store.WaitLeader(ctx); err != nil {
		return fmt.Errorf("waiting for the first leader: %w", err)
	}
	if len(n.store.State().AdminTokens) > 0 {
		return nil
	}
	token, tok, err := newAdminToken("bootstrap", state.RoleAdmin)
	if err != nil {
		return err
	}
	path := filepath.Join(n.cfg.DataDir, TokenFile)
	if err := writeSecret(path, token); err != nil {
		return err
	}
	if _, err := n.store.Apply(ctx, "bootstrap-admin-token", raftstore.CreateAdminToken{Token: tok}); err != nil {
		return fmt.Errorf("storing the first admin token: %w", err)
	}
	out := n.cfg.Stdout
	if out == nil {
		out = os.Stdout
	}
	fmt.Fprintf(out, "Cluster bootstrapped. First admin token (shown once; also in %s, mode 0600):\n%s\n", path, token)
	return nil
}

// newAdminToken returns a new random token and its stored (hashed) form.
func newAdminToken(name, role string) (string, state.AdminToken, error) {
	var b [32]byte
	var id [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", state.AdminToken{}, fmt.Errorf("generating admin token: %w", err)
	}
	if _, err := rand.Read(id[:]); err != nil {
		return "", state.AdminToken{}, fmt.Errorf("generating admin token id: %w", err)
	}
	token := "pat_" + base64.RawURLEncoding.EncodeToString(b[:])
	sum := sha256.Sum256([]byte(token))
	return token, state.AdminToken{
		ID: hex.EncodeToString(id[:]), Name: name, Role: role, Hash: sum[:], CreatedAt: time.Now().UnixMilli(),
	}, nil
}

// writeSecret writes a secret to a new file only its owner can read, replacing any earlier file atomically.
func writeSecret(path, secret string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(secret+"\n"), 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
