package node

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"portico/node/certs"
	"portico/node/oauth"
	"portico/node/token"
	"portico/raftstore"
	"portico/raftstore/state"
)

// issuer is the "iss" of the tokens this cluster issues.
func (c *Config) issuer() string {
	if c.Issuer != "" {
		return c.Issuer
	}
	return "portico"
}

// clusterKeyFile is where this node's cluster key is: the flag's file, or cluster.key beside the TLS files.
func (c *Config) clusterKeyFile() string {
	switch {
	case c.ClusterKeyFile != "":
		return c.ClusterKeyFile
	case c.TLSDir != "":
		return certs.ClusterKeyFile(c.TLSDir)
	}
	return ""
}

// startTokens loads the cluster key (without it the node verifies tokens but cannot issue them) and builds the token
// keys and the OAuth endpoints.
func (n *Node) startTokens() error {
	if path := n.cfg.clusterKeyFile(); path != "" {
		k, err := token.LoadClusterKey(path)
		switch {
		case err == nil:
			n.clusterKey = k
			if w := k.Warning(); w != "" {
				n.log.Warn(w)
			}
		case errors.Is(err, fs.ErrNotExist) && n.cfg.ClusterKeyFile == "":
			n.log.Warn("no cluster key beside the TLS files: this node cannot issue OAuth2 tokens", "file", path)
		default:
			return fmt.Errorf("--cluster-key: %w", err)
		}
	} else {
		n.log.Warn("no cluster key (--cluster-key or --tls-dir): this node cannot issue OAuth2 tokens")
	}
	n.keys = token.NewKeys(token.Config{Issuer: n.cfg.issuer(), Key: n.clusterKey})
	var err error
	n.oauth, err = oauth.New(oauth.Config{
		State: n.servedState, Keys: n.keys, Proposer: proposer{n}, Issuer: n.cfg.issuer(),
		Logger: n.log.With("component", "oauth"), SignIn: n.signIn,
	})
	if err != nil {
		return fmt.Errorf("starting the OAuth2 endpoints: %w", err)
	}
	return nil
}

// servedState is the state the gateway serves (empty before the first).
func (n *Node) servedState() *state.State {
	if st := n.served.Load(); st != nil {
		return st
	}
	return state.Empty()
}

// newSigningKey is the admin API's maker of signing keys, nil without a cluster key.
func (n *Node) newSigningKey() func(now time.Time) (state.SigningKey, error) {
	if n.clusterKey == nil {
		return nil
	}
	return func(now time.Time) (state.SigningKey, error) { return token.NewSigningKey(n.clusterKey, now) }
}

// ensureSigningKey gives the cluster its first token signing key: the leader makes one when the state has none and
// this node has the cluster key.
func (n *Node) ensureSigningKey(ctx context.Context) error {
	if n.clusterKey == nil || n.store.LeaderID() != n.cfg.ID {
		return nil
	}
	if _, ok := n.store.State().CurrentSigningKey(); ok {
		return nil
	}
	key, err := token.NewSigningKey(n.clusterKey, time.Now())
	if err != nil {
		return err
	}
	_, err = n.store.Apply(ctx, "signing-first-"+key.KID, raftstore.AddSigningKey{Key: key})
	if err == nil {
		n.log.Info("created the cluster's first token signing key", "kid", key.KID)
	}
	return err
}
