package token

import (
	"bytes"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"portico/raftstore/state"
)

// Config configures Keys.
type Config struct {
	Issuer   string           // "iss" of every token; default "portico"
	Audience string           // "aud" of access tokens; default "portico"
	Key      *ClusterKey      // nil: cannot issue (Issue returns ErrNoClusterKey); can still verify
	Now      func() time.Time // default time.Now
}

// Keys is the usable key material of one state: the public keys by KID (for Verify and the JWKS) and the current
// private key, unsealed once and cached by KID. One Keys serves every state: Update refreshes it from a new state,
// cheaply when the signing keys did not change. All methods are safe for concurrent use.
type Keys struct {
	cfg    Config
	uses   map[string]usage
	parser *jwt.Parser

	mu       sync.Mutex // serialises writers of set
	set      atomic.Pointer[keySet]
	verified verifiedCache
}

// keySet is an immutable view of the signing keys of one state.
type keySet struct {
	src     map[string]*state.SigningKey // the state's entries, to detect an unchanged state
	pub     map[string]publicKey         // by KID; may hold keys of states seen by Verify only
	signer  *signer                      // the current key, nil when signErr says why
	signErr error
	jwks    []byte
}

type publicKey struct {
	der []byte
	key *ecdsa.PublicKey
}

type signer struct {
	kid string
	der []byte // public key, to recognise the same key in the next state
	key *ecdsa.PrivateKey
}

// NewKeys returns Keys with no signing key until the first Update.
func NewKeys(cfg Config) *Keys {
	if cfg.Issuer == "" {
		cfg.Issuer = "portico"
	}
	if cfg.Audience == "" {
		cfg.Audience = "portico"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	k := &Keys{
		cfg:    cfg,
		uses:   usages(cfg.Audience),
		parser: jwt.NewParser(jwt.WithValidMethods([]string{AlgES256}), jwt.WithStrictDecoding(), jwt.WithoutClaimsValidation()),
	}
	k.set.Store(&keySet{pub: map[string]publicKey{}, signErr: ErrNoSigningKey, jwks: encodeJWKS(nil)})
	return k
}

// Update makes the signing keys of st the ones Issue and JWKS use. A key that cannot be decoded is left out and
// reported; the others stay usable.
func (k *Keys) Update(st *state.State) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	old := k.set.Load()
	if sameKeys(old.src, st.SigningKeys) {
		return nil
	}
	next := &keySet{src: st.SigningKeys, pub: make(map[string]publicKey, len(st.SigningKeys))}
	var errs []error
	for kid, sk := range st.SigningKeys {
		pk, err := old.publicKey(sk)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		next.pub[kid] = pk
	}
	next.signer, next.signErr = k.currentSigner(old, next, st)
	if next.signErr != nil && !errors.Is(next.signErr, ErrNoClusterKey) && !errors.Is(next.signErr, ErrNoSigningKey) {
		errs = append(errs, next.signErr)
	}
	next.jwks = encodeJWKS(jwksKeys(st.SigningKeys, next.pub))
	k.set.Store(next)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("updating signing keys: %w", err)
	}
	return nil
}

// sameKeys reports whether two states hold the very same signing key entries.
func sameKeys(a, b map[string]*state.SigningKey) bool {
	if a == nil || len(a) != len(b) {
		return false
	}
	for kid, sk := range b {
		if a[kid] != sk {
			return false
		}
	}
	return true
}

// publicKey returns the decoded public key of sk, from this set when it holds the same key.
func (s *keySet) publicKey(sk *state.SigningKey) (publicKey, error) {
	if pk, ok := s.pub[sk.KID]; ok && bytes.Equal(pk.der, sk.Public) && sk.Alg == AlgES256 {
		return pk, nil
	}
	key, err := parsePublic(sk)
	if err != nil {
		return publicKey{}, err
	}
	return publicKey{der: sk.Public, key: key}, nil
}

// currentSigner returns the private key of the state's current signing key, unsealing it only when it changed.
func (k *Keys) currentSigner(old, next *keySet, st *state.State) (*signer, error) {
	if k.cfg.Key == nil {
		return nil, ErrNoClusterKey
	}
	sk, ok := st.CurrentSigningKey()
	if !ok {
		return nil, ErrNoSigningKey
	}
	pk, ok := next.pub[sk.KID]
	if !ok {
		return nil, fmt.Errorf("%w: current key %s cannot be decoded", ErrNoSigningKey, sk.KID)
	}
	if s := old.signer; s != nil && s.kid == sk.KID && bytes.Equal(s.der, sk.Public) {
		return s, nil
	}
	priv, err := unseal(k.cfg.Key, sk, pk.key)
	if err != nil {
		return nil, err
	}
	return &signer{kid: sk.KID, der: sk.Public, key: priv}, nil
}

// maxExtraKeys bounds the cache of public keys seen by Verify in states that Update was not given.
const maxExtraKeys = 64

// verificationKey returns the public key that sk names, decoding and caching it when no Update has seen it yet.
func (k *Keys) verificationKey(sk *state.SigningKey) (*ecdsa.PublicKey, error) {
	set := k.set.Load()
	if pk, ok := set.pub[sk.KID]; ok && bytes.Equal(pk.der, sk.Public) && sk.Alg == AlgES256 {
		return pk.key, nil
	}
	pk, err := set.publicKey(sk)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	cur := k.set.Load()
	next := *cur
	next.pub = make(map[string]publicKey, len(cur.pub)+1)
	for kid, p := range cur.pub {
		if _, inState := cur.src[kid]; inState || len(cur.pub) < maxExtraKeys {
			next.pub[kid] = p
		}
	}
	next.pub[sk.KID] = pk
	k.set.Store(&next)
	return pk.key, nil
}

// JWKS returns the JSON Web Key Set of every signing key of the last state given to Update:
// {"keys":[{"kty":"EC","crv":"P-256","x":..,"y":..,"kid":..,"alg":"ES256","use":"sig"}]}, newest first.
func (k *Keys) JWKS() []byte {
	return k.set.Load().jwks
}

// jwksKeys lists the decodable keys of a state, newest first.
func jwksKeys(src map[string]*state.SigningKey, pub map[string]publicKey) []jwksEntry {
	out := make([]jwksEntry, 0, len(pub))
	for kid, pk := range pub {
		out = append(out, jwksEntry{kid: kid, created: src[kid].CreatedAt, key: pk.key})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].created != out[j].created {
			return out[i].created > out[j].created
		}
		return out[i].kid < out[j].kid
	})
	return out
}
