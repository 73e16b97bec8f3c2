package token

import (
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"portico/raftstore/state"
)

// testNow is the fixed clock of the tests.
var testNow = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// fixture is a state with one signing key, Keys updated from it, and the key's private half for forging tokens.
type fixture struct {
	ck   *ClusterKey
	sk   *state.SigningKey
	priv *ecdsa.PrivateKey
	st   *state.State
	keys *Keys
	now  time.Time
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ck, err := NewClusterKey(make([]byte, ClusterKeySize))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{ck: ck, now: testNow}
	sk, err := NewSigningKey(ck, testNow.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	f.sk = &sk
	f.priv = mustUnseal(t, ck, f.sk)
	f.st = state.Empty()
	f.st.SigningKeys[sk.KID] = f.sk
	f.keys = NewKeys(Config{Key: ck, Now: func() time.Time { return f.now }})
	if err := f.keys.Update(f.st); err != nil {
		t.Fatal(err)
	}
	return f
}

func mustUnseal(t testing.TB, ck *ClusterKey, sk *state.SigningKey) *ecdsa.PrivateKey {
	t.Helper()
	pub, err := parsePublic(sk)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := unseal(ck, sk, pub)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

// header is the header of a well-formed access token of the fixture's key.
func (f *fixture) header() map[string]any {
	return map[string]any{"alg": "ES256", "typ": "at+jwt", "kid": f.sk.KID}
}

// claims are the claims of a well-formed access token.
func (f *fixture) claims() jwt.MapClaims {
	return jwt.MapClaims{
		"iss":       "portico",
		"sub":       "app-1",
		"aud":       "portico",
		"exp":       f.now.Add(time.Hour).Unix(),
		"iat":       f.now.Unix(),
		"nbf":       f.now.Unix(),
		"jti":       "0123456789abcdef0123456789abcdef",
		"client_id": "cl_0123",
		"scope":     "read write",
		"env":       "production",
		"app":       "app-1",
		"use":       "access",
	}
}

// sign signs claims under header with the given method and key.
func sign(t testing.TB, m jwt.SigningMethod, key any, header map[string]any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, claims)
	tok.Header = header
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// forge signs claims under header with the fixture's real private key.
func (f *fixture) forge(t testing.TB, header map[string]any, claims jwt.MapClaims) string {
	t.Helper()
	return sign(t, jwt.SigningMethodES256, f.priv, header, claims)
}

// unsigned encodes header and claims with the given signature segment, no signing at all.
func unsigned(t testing.TB, header map[string]any, claims jwt.MapClaims, sig string) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	return b64(h) + "." + b64(c) + "." + sig
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// signRaw signs header and claims given as raw JSON text (which may be what a map cannot hold: a member twice) with
// the fixture's real private key.
func (f *fixture) signRaw(t testing.TB, header, claims string) string {
	t.Helper()
	signing := b64([]byte(header)) + "." + b64([]byte(claims))
	sig, err := jwt.SigningMethodES256.Sign(signing, f.priv)
	if err != nil {
		t.Fatal(err)
	}
	return signing + "." + b64(sig)
}

// rawJSON returns v as JSON text without its closing brace, to append members to.
func rawJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(string(b), "}")
}
