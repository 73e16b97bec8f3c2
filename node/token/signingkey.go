package token

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"portico/raftstore/state"
)

// AlgES256 is the algorithm of every cluster signing key.
const AlgES256 = state.SigningAlgES256

// NewSigningKey generates an ES256 key and returns its replicated form: KID (16 hex digits of the SHA-256 of the
// public key), Public (PKIX DER), Sealed (the PKCS#8 DER private key sealed with the cluster key) and CreatedAt (unix
// milliseconds). The private key exists in clear only in memory.
func NewSigningKey(k *ClusterKey, now time.Time) (state.SigningKey, error) {
	if k == nil {
		return state.SigningKey{}, ErrNoClusterKey
	}
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return state.SigningKey{}, fmt.Errorf("generating signing key: %w", err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return state.SigningKey{}, fmt.Errorf("encoding signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return state.SigningKey{}, fmt.Errorf("encoding signing key: %w", err)
	}
	sealed, err := k.Seal(der)
	clear(der)
	if err != nil {
		return state.SigningKey{}, fmt.Errorf("sealing signing key: %w", err)
	}
	sum := sha256.Sum256(pub)
	return state.SigningKey{
		KID:       hex.EncodeToString(sum[:8]),
		Alg:       AlgES256,
		Public:    pub,
		Sealed:    sealed,
		CreatedAt: now.UnixMilli(),
	}, nil
}

// parsePublic decodes the public half of a replicated signing key.
func parsePublic(sk *state.SigningKey) (*ecdsa.PublicKey, error) {
	if sk.Alg != AlgES256 {
		return nil, fmt.Errorf("signing key %s: algorithm %q, want %s", sk.KID, sk.Alg, AlgES256)
	}
	key, err := x509.ParsePKIXPublicKey(sk.Public)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", sk.KID, err)
	}
	pub, ok := key.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		return nil, fmt.Errorf("signing key %s: not a P-256 key", sk.KID)
	}
	return pub, nil
}

// unseal opens the private half of a replicated signing key and checks that it matches the public half.
func unseal(k *ClusterKey, sk *state.SigningKey, pub *ecdsa.PublicKey) (*ecdsa.PrivateKey, error) {
	der, err := k.Open(sk.Sealed)
	if err != nil {
		return nil, fmt.Errorf("unsealing signing key %s: %w", sk.KID, err)
	}
	key, err := x509.ParsePKCS8PrivateKey(der)
	clear(der)
	if err != nil {
		return nil, fmt.Errorf("unsealing signing key %s: %w", sk.KID, err)
	}
	priv, ok := key.(*ecdsa.PrivateKey)
	if !ok || !priv.PublicKey.Equal(pub) {
		return nil, fmt.Errorf("unsealing signing key %s: %w", sk.KID, errors.New("private key does not match the public key"))
	}
	return priv, nil
}
