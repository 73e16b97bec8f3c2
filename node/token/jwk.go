package token

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
)

// jwk is one JSON Web Key (RFC 7517) of the kinds Portico publishes or accepts.
type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
	Kid string `json:"kid,omitempty"`
	Alg string `json:"alg,omitempty"`
	Use string `json:"use,omitempty"`
}

type jwkSetDoc struct {
	Keys []json.RawMessage `json:"keys"`
}

// jwksEntry is one cluster signing key as published.
type jwksEntry struct {
	kid     string
	created int64
	key     *ecdsa.PublicKey
}

// encodeJWKS renders the cluster's public signing keys as a JWK Set.
func encodeJWKS(entries []jwksEntry) []byte {
	doc := struct {
		Keys []jwk `json:"keys"`
	}{Keys: make([]jwk, 0, len(entries))}
	for _, e := range entries {
		pt, err := e.key.Bytes()
		if err != nil || len(pt) != 65 {
			continue // parsePublic accepts only valid P-256 keys
		}
		doc.Keys = append(doc.Keys, jwk{
			Kty: "EC", Crv: "P-256",
			X:   base64.RawURLEncoding.EncodeToString(pt[1:33]),
			Y:   base64.RawURLEncoding.EncodeToString(pt[33:]),
			Kid: e.kid, Alg: AlgES256, Use: "sig",
		})
	}
	b, _ := json.Marshal(doc) // strings and slices only: cannot fail
	return b
}

// externalAlgs are the algorithms an external issuer may use: asymmetric only, never "none" or HMAC.
var externalAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// curveAlgs is the only ECDSA algorithm of each curve.
var curveAlgs = map[string]string{"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}

var curves = map[string]elliptic.Curve{"P-256": elliptic.P256(), "P-384": elliptic.P384(), "P-521": elliptic.P521()}

// minRSABits is the smallest RSA modulus accepted from an external issuer.
const minRSABits = 2048

// extKey is a verification key of an external issuer with the algorithms it may be used with.
type extKey struct {
	algs []string // the key's own "alg" when it has one, else every algorithm of its type
	key  any      // *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
}

// allows reports whether the key may verify a token signed with alg.
func (k *extKey) allows(alg string) bool { return slices.Contains(k.algs, alg) }

// parseJWK decodes one key of an external issuer's JWK Set.
func parseJWK(j jwk) (*extKey, error) {
	if j.Use != "" && j.Use != "sig" {
		return nil, fmt.Errorf("key %q: use %q", j.Kid, j.Use)
	}
	var (
		k   *extKey
		err error
	)
	switch j.Kty {
	case "RSA":
		k, err = parseRSA(j)
	case "EC":
		k, err = parseEC(j)
	case "OKP":
		k, err = parseOKP(j)
	default:
		return nil, fmt.Errorf("key %q: unsupported key type %q", j.Kid, j.Kty)
	}
	if err != nil {
		return nil, fmt.Errorf("key %q: %w", j.Kid, err)
	}
	if j.Alg != "" {
		if !k.allows(j.Alg) {
			return nil, fmt.Errorf("key %q: algorithm %q does not fit a %s key", j.Kid, j.Alg, j.Kty)
		}
		k.algs = []string{j.Alg}
	}
	return k, nil
}

func parseRSA(j jwk) (*extKey, error) {
	n, err := b64Int(j.N)
	if err != nil {
		return nil, fmt.Errorf("modulus: %w", err)
	}
	e, err := b64Int(j.E)
	if err != nil {
		return nil, fmt.Errorf("exponent: %w", err)
	}
	if n.BitLen() < minRSABits {
		return nil, fmt.Errorf("modulus of %d bits, want at least %d", n.BitLen(), minRSABits)
	}
	if !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 || e.Bit(0) == 0 {
		return nil, errors.New("bad exponent")
	}
	pub := &rsa.PublicKey{N: n, E: int(e.Int64())}
	return &extKey{algs: []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}, key: pub}, nil
}

func parseEC(j jwk) (*extKey, error) {
	curve, ok := curves[j.Crv]
	if !ok {
		return nil, fmt.Errorf("unsupported curve %q", j.Crv)
	}
	size := (curve.Params().BitSize + 7) / 8
	x, errX := base64.RawURLEncoding.DecodeString(j.X)
	y, errY := base64.RawURLEncoding.DecodeString(j.Y)
	if errX != nil || errY != nil || len(x) != size || len(y) != size {
		return nil, errors.New("bad coordinates")
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(curve, append(append([]byte{4}, x...), y...))
	if err != nil {
		return nil, fmt.Errorf("bad point: %w", err)
	}
	return &extKey{algs: []string{curveAlgs[j.Crv]}, key: pub}, nil
}

func parseOKP(j jwk) (*extKey, error) {
	if j.Crv != "Ed25519" {
		return nil, fmt.Errorf("unsupported curve %q", j.Crv)
	}
	x, err := base64.RawURLEncoding.DecodeString(j.X)
	if err != nil || len(x) != ed25519.PublicKeySize {
		return nil, errors.New("bad public key")
	}
	return &extKey{algs: []string{"EdDSA"}, key: ed25519.PublicKey(x)}, nil
}

// b64Int decodes a base64url big-endian unsigned integer.
func b64Int(s string) (*big.Int, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, errors.New("not a base64url unsigned integer")
	}
	return new(big.Int).SetBytes(b), nil
}
