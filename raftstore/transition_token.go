package raftstore

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"fmt"
	"regexp"
	"slices"

	"portico/raftstore/state"
)

// kidRE is the form of a signing key ID.
var kidRE = regexp.MustCompile(`^[0-9a-f]{16}$`)

// maxTokenIDLen bounds a revoked token ID.
const maxTokenIDLen = 256

// addSigningKey makes a new signing key current, retires the previous current one and drops the keys retired longer
// than MaxTokenLifetime before the new key's creation.
func addSigningKey(next *state.State, c *AddSigningKey, rec *state.Request) (any, error) {
	key := c.Key
	key.RetiredAt = 0
	if err := checkSigningKey(&key); err != nil {
		return nil, invalid("signing key: %v", err)
	}
	if _, ok := next.SigningKeys[key.KID]; ok {
		return nil, conflict("signing key %q exists", key.KID)
	}
	keys := make(map[string]*state.SigningKey, len(next.SigningKeys)+1)
	var dropped []string
	for kid, k := range next.SigningKeys {
		switch {
		case k.RetiredAt == 0:
			retired := *k
			retired.RetiredAt = key.CreatedAt
			keys[kid] = &retired
		case k.RetiredAt+MaxTokenLifetime < key.CreatedAt:
			dropped = append(dropped, kid)
		default:
			keys[kid] = k
		}
	}
	keys[key.KID] = &key
	next.SigningKeys = keys
	rec.Ref = key.KID
	slices.Sort(dropped)
	return AddSigningKeyResult{Key: &key, Dropped: dropped}, nil
}

// checkSigningKey verifies a signing key's form: its KID, algorithm, a P-256 public key and a sealed private key.
func checkSigningKey(k *state.SigningKey) error {
	if !kidRE.MatchString(k.KID) {
		return fmt.Errorf("kid %q is not 16 lowercase hex digits", k.KID)
	}
	if k.Alg != state.SigningAlgES256 {
		return fmt.Errorf("key %s: algorithm %q is not %s", k.KID, k.Alg, state.SigningAlgES256)
	}
	pub, err := x509.ParsePKIXPublicKey(k.Public)
	if err != nil {
		return fmt.Errorf("key %s: public key: %w", k.KID, err)
	}
	if ec, ok := pub.(*ecdsa.PublicKey); !ok || ec.Curve != elliptic.P256() {
		return fmt.Errorf("key %s: public key is not an ECDSA P-256 key", k.KID)
	}
	if len(k.Sealed) == 0 {
		return fmt.Errorf("key %s: sealed private key is empty", k.KID)
	}
	if k.CreatedAt <= 0 || k.RetiredAt < 0 {
		return fmt.Errorf("key %s: created at %d, retired at %d", k.KID, k.CreatedAt, k.RetiredAt)
	}
	return nil
}

// replayAddSigningKey answers a retried AddSigningKey with the stored key (rebuilt from the command if dropped since).
// The keys dropped by the first application are not reported again.
func replayAddSigningKey(cur *state.State, c *AddSigningKey, rec state.Request) any {
	return AddSigningKeyResult{Key: current(cur.SigningKeys, rec.Ref, c.Key, func(k *state.SigningKey) { k.KID = rec.Ref })}
}

// revokeTokens adds revoked token IDs, keeping the later expiry of an ID revoked twice, and drops every entry that
// expired before c.Now.
func revokeTokens(next *state.State, c *RevokeTokens, rec *state.Request) (any, error) {
	for _, t := range c.Tokens {
		if t.ID == "" || len(t.ID) > maxTokenIDLen || t.Exp <= 0 {
			return nil, invalid("token: id must be 1 to %d bytes and exp a unix time (got %d bytes, exp %d)", maxTokenIDLen, len(t.ID), t.Exp)
		}
	}
	nowSec := c.Now / 1000
	revoked := make(map[string]int64, len(next.Revoked)+len(c.Tokens))
	for id, exp := range next.Revoked {
		if exp >= nowSec {
			revoked[id] = exp
		}
	}
	added := 0
	for _, t := range c.Tokens {
		if t.Exp < nowSec {
			continue
		}
		if _, ok := next.Revoked[t.ID]; !ok {
			if _, dup := revoked[t.ID]; !dup {
				added++
			}
		}
		revoked[t.ID] = max(revoked[t.ID], t.Exp)
	}
	next.Revoked = revoked
	rec.Count = added
	return RevokeResult{Added: added}, nil
}

// replayRevokeTokens answers a retried RevokeTokens with the first application's count.
func replayRevokeTokens(_ *state.State, _ *RevokeTokens, rec state.Request) any {
	return RevokeResult{Added: rec.Count}
}
