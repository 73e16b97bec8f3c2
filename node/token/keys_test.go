package token

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"portico/raftstore/state"
)

var update = flag.Bool("update", false, "regenerate testdata/signing-key.json")

func TestNewSigningKey(t *testing.T) {
	ck := mustClusterKey(t, 7)
	sk, err := NewSigningKey(ck, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(sk.KID) {
		t.Errorf("got KID %q, want 16 hex digits", sk.KID)
	}
	if sk.Alg != "ES256" || sk.CreatedAt != testNow.UnixMilli() || sk.RetiredAt != 0 {
		t.Errorf("got alg %q created %d retired %d, want ES256 %d 0", sk.Alg, sk.CreatedAt, sk.RetiredAt, testNow.UnixMilli())
	}
	pub, err := x509.ParsePKIXPublicKey(sk.Public)
	if err != nil {
		t.Fatalf("public key: got %v, want PKIX DER", err)
	}
	der, err := ck.Open(sk.Sealed)
	if err != nil {
		t.Fatalf("sealed key: got %v, want it to open with the cluster key", err)
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		t.Fatalf("sealed key: got %v, want PKCS#8 DER", err)
	}
	if !priv.(*ecdsa.PrivateKey).PublicKey.Equal(pub) || pub.(*ecdsa.PublicKey).Curve != elliptic.P256() {
		t.Fatal("private and public halves differ or are not P-256")
	}
	if _, err := mustClusterKey(t, 8).Open(sk.Sealed); err == nil {
		t.Fatal("sealed key opened with another cluster key")
	}
	if _, err := NewSigningKey(nil, testNow); !errors.Is(err, ErrNoClusterKey) {
		t.Fatalf("without a cluster key: got %v, want ErrNoClusterKey", err)
	}
}

func TestIssueVerifyRoundTrip(t *testing.T) {
	f := newFixture(t)
	for _, use := range []string{UseAccess, UseRefresh, UseCode} {
		t.Run(use, func(t *testing.T) {
			in := Claims{ClientID: "cl_1", Scope: "a b", Env: "sandbox", App: "app-9", Use: use,
				RedirectURI: "https://app/cb", Challenge: "abc", ChallengeMeth: "S256"}
			in.Subject = "alice"
			in.ID = "caller-chosen"
			tok, err := f.keys.Issue(in, 15*time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			got, err := f.keys.Verify(f.st, tok, use)
			if err != nil {
				t.Fatalf("got %v, want nil", err)
			}
			wantAud := map[string]string{UseAccess: "portico", UseRefresh: AudienceRefresh, UseCode: AudienceCode}[use]
			checkIssued(t, got, in, wantAud)
			hdr := decodeHeader(t, tok)
			wantTyp := map[string]string{UseAccess: "at+jwt", UseRefresh: "rt+jwt", UseCode: "code+jwt"}[use]
			if hdr["typ"] != wantTyp || hdr["kid"] != f.sk.KID || hdr["alg"] != "ES256" {
				t.Errorf("got header %v, want typ %s, kid %s, alg ES256", hdr, wantTyp, f.sk.KID)
			}
		})
	}
}

func checkIssued(t *testing.T, got *Claims, in Claims, wantAud string) {
	t.Helper()
	if got.Issuer != "portico" || len(got.Audience) != 1 || got.Audience[0] != wantAud || got.Subject != "alice" {
		t.Errorf("got iss %q aud %v sub %q, want portico [%s] alice", got.Issuer, got.Audience, got.Subject, wantAud)
	}
	if !got.IssuedAt.Equal(testNow) || !got.NotBefore.Equal(testNow) || !got.ExpiresAt.Equal(testNow.Add(15*time.Minute)) {
		t.Errorf("got iat %v nbf %v exp %v, want %v, %v, +15m", got.IssuedAt, got.NotBefore, got.ExpiresAt, testNow, testNow)
	}
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(got.ID) {
		t.Errorf("got jti %q, want 32 hex digits chosen by Issue", got.ID)
	}
	if got.ClientID != in.ClientID || got.Scope != in.Scope || got.Env != in.Env || got.App != in.App || got.Use != in.Use ||
		got.RedirectURI != in.RedirectURI || got.Challenge != in.Challenge || got.ChallengeMeth != in.ChallengeMeth {
		t.Errorf("got %+v, want the fields of %+v", got, in)
	}
}

func decodeHeader(t *testing.T, tok string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h
}

func TestIssueUniqueIDs(t *testing.T) {
	f := newFixture(t)
	seen := map[string]bool{}
	for range 50 {
		tok, err := f.keys.Issue(Claims{Use: UseAccess}, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		c, err := f.keys.Verify(f.st, tok, UseAccess)
		if err != nil {
			t.Fatal(err)
		}
		if seen[c.ID] {
			t.Fatalf("got jti %s twice, want unique IDs", c.ID)
		}
		seen[c.ID] = true
	}
}

func TestIssueRefuses(t *testing.T) {
	f := newFixture(t)
	verifyOnly := NewKeys(Config{Now: func() time.Time { return testNow }})
	if err := verifyOnly.Update(f.st); err != nil {
		t.Fatal(err)
	}
	empty := NewKeys(Config{Key: f.ck})
	if err := empty.Update(state.Empty()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		keys *Keys
		c    Claims
		ttl  time.Duration
		want error
		text string
	}{
		{name: "no cluster key", keys: verifyOnly, c: Claims{Use: UseAccess}, ttl: time.Minute, want: ErrNoClusterKey},
		{name: "no signing key", keys: empty, c: Claims{Use: UseAccess}, ttl: time.Minute, want: ErrNoSigningKey},
		{name: "unknown use", keys: f.keys, c: Claims{Use: "id"}, ttl: time.Minute, text: "unknown use"},
		{name: "no lifetime", keys: f.keys, c: Claims{Use: UseAccess}, ttl: 0, text: "lifetime"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := tc.keys.Issue(tc.c, tc.ttl)
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("got %q, %v, want an error (%v %q)", tok, err, tc.want, tc.text)
			}
		})
	}
	// A node without the cluster key still verifies what another node issued.
	tok, err := f.keys.Issue(Claims{Use: UseAccess}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verifyOnly.Verify(f.st, tok, UseAccess); err != nil {
		t.Fatalf("verify without cluster key: got %v, want nil", err)
	}
}

func TestUpdateWrongClusterKey(t *testing.T) {
	f := newFixture(t)
	other := NewKeys(Config{Key: mustClusterKey(t, 9), Now: func() time.Time { return testNow }})
	err := other.Update(f.st)
	if err == nil || !strings.Contains(err.Error(), f.sk.KID) {
		t.Fatalf("got %v, want an error naming key %s", err, f.sk.KID)
	}
	if _, err := other.Issue(Claims{Use: UseAccess}, time.Minute); err == nil {
		t.Fatal("issued with a key that does not unseal")
	}
	tok, err := f.keys.Issue(Claims{Use: UseAccess}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Verify(f.st, tok, UseAccess); err != nil {
		t.Fatalf("public keys must stay usable: got %v, want nil", err)
	}
}

func TestUpdateUnchangedIsCheap(t *testing.T) {
	f := newFixture(t)
	before := f.keys.set.Load()
	next := *f.st // a new state sharing the same signing key entries
	next.SigningKeys = map[string]*state.SigningKey{f.sk.KID: f.sk}
	next.Index++
	if err := f.keys.Update(&next); err != nil {
		t.Fatal(err)
	}
	if got := f.keys.set.Load(); got != before {
		t.Fatal("got a rebuilt key set for unchanged keys, want the same one")
	}
}

func TestRotation(t *testing.T) {
	f := newFixture(t)
	oldTok, err := f.keys.Issue(Claims{Use: UseAccess}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	st2 := rotate(t, f, f.st)
	if err := f.keys.Update(st2); err != nil {
		t.Fatal(err)
	}
	newTok, err := f.keys.Issue(Claims{Use: UseAccess}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cur, _ := st2.CurrentSigningKey()
	if kid := decodeHeader(t, newTok)["kid"]; kid != cur.KID || kid == f.sk.KID {
		t.Fatalf("got kid %v after rotation, want the new key %s", kid, cur.KID)
	}
	for name, tok := range map[string]string{"old": oldTok, "new": newTok} {
		if _, err := f.keys.Verify(st2, tok, UseAccess); err != nil {
			t.Errorf("%s token after rotation: got %v, want nil", name, err)
		}
	}
	if n := len(jwksOf(t, f.keys.JWKS())); n != 2 {
		t.Fatalf("got %d keys in JWKS, want 2 while the old one is kept", n)
	}
	st3 := state.Empty()
	st3.SigningKeys = map[string]*state.SigningKey{cur.KID: cur}
	if err := f.keys.Update(st3); err != nil {
		t.Fatal(err)
	}
	if _, err := f.keys.Verify(st3, oldTok, UseAccess); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "unknown kid") {
		t.Fatalf("old token after its key was dropped: got %v, want ErrInvalid unknown kid", err)
	}
	if n := len(jwksOf(t, f.keys.JWKS())); n != 1 {
		t.Fatalf("got %d keys in JWKS, want 1 after the old key was dropped", n)
	}
}

// rotate returns a copy of st with a new current key and the previous one retired.
func rotate(t *testing.T, f *fixture, st *state.State) *state.State {
	t.Helper()
	sk, err := NewSigningKey(f.ck, testNow)
	if err != nil {
		t.Fatal(err)
	}
	next := *st
	next.SigningKeys = map[string]*state.SigningKey{sk.KID: &sk}
	for kid, old := range st.SigningKeys {
		retired := *old
		retired.RetiredAt = sk.CreatedAt
		next.SigningKeys[kid] = &retired
	}
	return &next
}

// TestVerifyStateNotSeenByUpdate covers a caller that verifies against a newer state before Update saw it.
func TestVerifyStateNotSeenByUpdate(t *testing.T) {
	f := newFixture(t)
	st2 := rotate(t, f, f.st)
	cur, _ := st2.CurrentSigningKey()
	priv := mustUnseal(t, f.ck, cur)
	h := f.header()
	h["kid"] = cur.KID
	tok := sign(t, jwt.SigningMethodES256, priv, h, f.claims())
	if _, err := f.keys.Verify(st2, tok, UseAccess); err != nil {
		t.Fatalf("got %v, want nil", err)
	}
	if _, err := f.keys.Verify(f.st, tok, UseAccess); !errors.Is(err, ErrInvalid) {
		t.Fatalf("against the older state: got %v, want ErrInvalid (its kid is not there)", err)
	}
}

func TestJWKS(t *testing.T) {
	f := newFixture(t)
	keys := jwksOf(t, f.keys.JWKS())
	if len(keys) != 1 {
		t.Fatalf("got %d keys, want 1", len(keys))
	}
	k := keys[0]
	want := map[string]string{"kty": "EC", "crv": "P-256", "kid": f.sk.KID, "alg": "ES256", "use": "sig"}
	for field, v := range want {
		if k[field] != v {
			t.Errorf("got %s %q, want %q", field, k[field], v)
		}
	}
	if len(k) != 7 {
		t.Errorf("got fields %v, want exactly kty crv x y kid alg use", k)
	}
	pub := jwkPublicKey(t, k)
	tok, err := f.keys.Issue(Claims{Use: UseAccess}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return pub, nil },
		jwt.WithValidMethods([]string{"ES256"}), jwt.WithTimeFunc(func() time.Time { return testNow }))
	if err != nil || !parsed.Valid {
		t.Fatalf("verifying with the JWKS key: got %v, want a valid token", err)
	}
	if got := string(NewKeys(Config{}).JWKS()); got != `{"keys":[]}` {
		t.Fatalf("got %s before any Update, want an empty set", got)
	}
}

func jwksOf(t *testing.T, doc []byte) []map[string]string {
	t.Helper()
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(doc, &set); err != nil {
		t.Fatalf("JWKS %s: %v", doc, err)
	}
	return set.Keys
}

func jwkPublicKey(t *testing.T, k map[string]string) *ecdsa.PublicKey {
	t.Helper()
	x, errX := base64.RawURLEncoding.DecodeString(k["x"])
	y, errY := base64.RawURLEncoding.DecodeString(k["y"])
	if errX != nil || errY != nil || len(x) != 32 || len(y) != 32 {
		t.Fatalf("got x %q y %q, want 32-byte base64url coordinates", k["x"], k["y"])
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

// TestSealedKeyFormat guards the replicated format: a key sealed by an earlier build still unseals and signs.
func TestSealedKeyFormat(t *testing.T) {
	ck, err := LoadClusterKey(filepath.Join("testdata", "cluster.key"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "signing-key.json")
	if *update {
		sk, err := NewSigningKey(ck, testNow)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.MarshalIndent(sk, "", "  ")
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var sk state.SigningKey
	if err := json.Unmarshal(b, &sk); err != nil {
		t.Fatal(err)
	}
	st := state.Empty()
	st.SigningKeys[sk.KID] = &sk
	keys := NewKeys(Config{Key: ck, Now: func() time.Time { return testNow }})
	if err := keys.Update(st); err != nil {
		t.Fatalf("got %v, want the fixture key to unseal", err)
	}
	tok, err := keys.Issue(Claims{Use: UseAccess}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Verify(st, tok, UseAccess); err != nil {
		t.Fatalf("got %v, want nil", err)
	}
	if !bytes.Contains(keys.JWKS(), []byte(sk.KID)) {
		t.Fatalf("got JWKS %s, want kid %s", keys.JWKS(), sk.KID)
	}
}

// TestConcurrentUpdateVerify runs Update, Issue and Verify at once (for -race): the key set is swapped atomically.
func TestConcurrentUpdateVerify(t *testing.T) {
	f := newFixture(t)
	st2 := rotate(t, f, f.st)
	errs := make(chan error, 4)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 200 {
			st := f.st
			if i%2 == 1 {
				st = st2
			}
			if err := f.keys.Update(st); err != nil {
				errs <- err
				return
			}
		}
	}()
	for w := range 3 {
		go func() {
			for i := range 200 {
				tok, err := f.keys.Issue(Claims{Use: UseAccess, App: fmt.Sprint(w, i)}, time.Minute)
				if err == nil {
					_, err = f.keys.Verify(st2, tok, UseAccess) // st2 holds both keys
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatalf("got %v, want nil", err)
		}
	}
	<-done
	select {
	case err := <-errs:
		t.Fatalf("update: got %v, want nil", err)
	default:
	}
}
