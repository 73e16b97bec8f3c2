package token

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// hostile is one token Verify must refuse, with the error it must wrap and a fragment of the reason.
type hostile struct {
	name   string
	token  string
	use    string // default UseAccess
	want   error
	reason string
}

func TestVerifyRefusesHostileTokens(t *testing.T) {
	f := newFixture(t)
	var contacted atomic.Int32
	trap := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		contacted.Add(1)
		t.Errorf("the verifier fetched %s from a token header", r.URL)
	}))
	defer trap.Close()

	valid := f.forge(t, f.header(), f.claims())
	if _, err := f.keys.Verify(f.st, valid, UseAccess); err != nil {
		t.Fatalf("control token: got %v, want nil (the cases below start from it)", err)
	}
	var cases []hostile
	cases = append(cases, algorithmCases(t, f)...)
	cases = append(cases, headerCases(t, f, trap.URL)...)
	cases = append(cases, claimCases(t, f)...)
	cases = append(cases, shapeCases(t, f, valid)...)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			use := tc.use
			if use == "" {
				use = UseAccess
			}
			c, err := f.keys.Verify(f.st, tc.token, use)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("got %v, %v, want %v with %q", c, err, tc.want, tc.reason)
			}
			// Only a revoked token, validly signed, comes back with its claims (for replay detection).
			if wantClaims := tc.want == ErrRevoked; (c != nil) != wantClaims {
				t.Fatalf("got claims %v, want claims %v", c, wantClaims)
			}
			for _, other := range []error{ErrInvalid, ErrExpired, ErrRevoked} {
				if other != tc.want && errors.Is(err, other) {
					t.Fatalf("got %v, wrapping %v too, want only %v", err, other, tc.want)
				}
			}
		})
	}
	if n := contacted.Load(); n != 0 {
		t.Fatalf("got %d fetches of header URLs, want 0", n)
	}
}

func algorithmCases(t *testing.T, f *fixture) []hostile {
	h := func(alg string) map[string]any {
		m := f.header()
		m["alg"] = alg
		return m
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: f.sk.Public})
	zeroSig := b64(make([]byte, 64))
	return []hostile{
		{name: "alg none", token: unsigned(t, h("none"), f.claims(), ""), want: ErrInvalid, reason: "signing method none is invalid"},
		{name: "alg None", token: unsigned(t, h("None"), f.claims(), ""), want: ErrInvalid, reason: "unavailable"},
		{name: "alg none with signature", token: unsigned(t, h("none"), f.claims(), zeroSig), want: ErrInvalid, reason: "signing method none is invalid"},
		{name: "HS256 keyed with the public key DER", token: sign(t, jwt.SigningMethodHS256, f.sk.Public, h("HS256"), f.claims()), want: ErrInvalid, reason: "signing method HS256 is invalid"},
		{name: "HS256 keyed with the public key PEM", token: sign(t, jwt.SigningMethodHS256, pubPEM, h("HS256"), f.claims()), want: ErrInvalid, reason: "signing method HS256 is invalid"},
		{name: "RS256 header", token: sign(t, jwt.SigningMethodRS256, rsaKey, h("RS256"), f.claims()), want: ErrInvalid, reason: "signing method RS256 is invalid"},
		{name: "ES384 header", token: sign(t, jwt.SigningMethodES384, p384, h("ES384"), f.claims()), want: ErrInvalid, reason: "signing method ES384 is invalid"},
		{name: "ES256 by another key", token: sign(t, jwt.SigningMethodES256, mustP256(t), f.header(), f.claims()), want: ErrInvalid, reason: "signature is invalid"},
		{name: "signature r=s=0", token: unsigned(t, f.header(), f.claims(), zeroSig), want: ErrInvalid, reason: "signature is invalid"},
		{name: "empty signature", token: unsigned(t, f.header(), f.claims(), ""), want: ErrInvalid, reason: "signature is invalid"},
		{name: "alg missing", token: unsigned(t, without(f.header(), "alg"), f.claims(), zeroSig), want: ErrInvalid, reason: "unspecified"},
	}
}

func mustP256(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func without(m map[string]any, key string) map[string]any {
	delete(m, key)
	return m
}

func with(m map[string]any, key string, v any) map[string]any {
	m[key] = v
	return m
}

func headerCases(t *testing.T, f *fixture, trapURL string) []hostile {
	attacker := mustP256(t)
	der, err := x509.MarshalPKIXPublicKey(&attacker.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := attacker.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	embedded := map[string]any{"kty": "EC", "crv": "P-256", "x": b64(pt[1:33]), "y": b64(pt[33:]), "kid": f.sk.KID}
	return []hostile{
		{name: "unknown kid", token: f.forge(t, with(f.header(), "kid", "0000000000000000"), f.claims()), want: ErrInvalid, reason: "unknown kid"},
		{name: "path-like kid", token: f.forge(t, with(f.header(), "kid", "../../etc/passwd"), f.claims()), want: ErrInvalid, reason: "unknown kid"},
		{name: "sql-like kid", token: f.forge(t, with(f.header(), "kid", "' OR 1=1 --"), f.claims()), want: ErrInvalid, reason: "unknown kid"},
		{name: "kid not a string", token: f.forge(t, with(f.header(), "kid", 42), f.claims()), want: ErrInvalid, reason: "unknown kid"},
		{name: "kid missing", token: f.forge(t, without(f.header(), "kid"), f.claims()), want: ErrInvalid, reason: "unknown kid"},
		{name: "jku header", token: f.forge(t, with(f.header(), "jku", trapURL+"/jwks.json"), f.claims()), want: ErrInvalid, reason: `header "jku" not allowed`},
		{name: "x5u header", token: f.forge(t, with(f.header(), "x5u", trapURL+"/cert.pem"), f.claims()), want: ErrInvalid, reason: `header "x5u" not allowed`},
		{name: "jwk header, real key", token: f.forge(t, with(f.header(), "jwk", embedded), f.claims()), want: ErrInvalid, reason: `header "jwk" not allowed`},
		{name: "jwk header, attacker key", token: sign(t, jwt.SigningMethodES256, attacker, with(f.header(), "jwk", embedded), f.claims()), want: ErrInvalid, reason: `header "jwk" not allowed`},
		{name: "x5c header", token: f.forge(t, with(f.header(), "x5c", []string{b64(der)}), f.claims()), want: ErrInvalid, reason: `header "x5c" not allowed`},
		{name: "crit header", token: f.forge(t, with(f.header(), "crit", []string{"exp"}), f.claims()), want: ErrInvalid, reason: `header "crit" not allowed`},
		{name: "typ JWT", token: f.forge(t, with(f.header(), "typ", "JWT"), f.claims()), want: ErrInvalid, reason: "wrong typ"},
		{name: "typ missing", token: f.forge(t, without(f.header(), "typ"), f.claims()), want: ErrInvalid, reason: "wrong typ"},
	}
}

func claimCases(t *testing.T, f *fixture) []hostile {
	c := func(key string, v any) jwt.MapClaims {
		m := f.claims()
		if v == nil {
			delete(m, key)
		} else {
			m[key] = v
		}
		return m
	}
	refresh, err := f.keys.Issue(Claims{Use: UseRefresh}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	access, err := f.keys.Issue(Claims{Use: UseAccess}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	f.st.Revoked["revoked-jti"] = f.now.Add(time.Hour).Unix()
	f.st.Revoked["g-revoked"] = f.now.Add(time.Hour).Unix()
	return []hostile{
		{name: "expired", token: f.forge(t, f.header(), c("exp", f.now.Add(-time.Second).Unix())), want: ErrExpired, reason: "expired"},
		{name: "expires now", token: f.forge(t, f.header(), c("exp", f.now.Unix())), want: ErrExpired, reason: "expired"},
		{name: "future nbf", token: f.forge(t, f.header(), c("nbf", f.now.Add(time.Minute).Unix())), want: ErrInvalid, reason: "nbf"},
		{name: "future iat", token: f.forge(t, f.header(), c("iat", f.now.Add(time.Minute).Unix())), want: ErrInvalid, reason: "iat"},
		{name: "missing exp", token: f.forge(t, f.header(), c("exp", nil)), want: ErrInvalid, reason: "missing exp"},
		{name: "exp as a string", token: f.forge(t, f.header(), c("exp", "tomorrow")), want: ErrInvalid, reason: "could not JSON decode claim"},
		{name: "wrong iss", token: f.forge(t, f.header(), c("iss", "https://evil")), want: ErrInvalid, reason: "wrong issuer"},
		{name: "missing iss", token: f.forge(t, f.header(), c("iss", nil)), want: ErrInvalid, reason: "wrong issuer"},
		{name: "wrong aud", token: f.forge(t, f.header(), c("aud", "other")), want: ErrInvalid, reason: "wrong audience"},
		{name: "empty aud", token: f.forge(t, f.header(), c("aud", "")), want: ErrInvalid, reason: "wrong audience"},
		{name: "foreign audience array", token: f.forge(t, f.header(), c("aud", []string{"other", "portico"})), want: ErrInvalid, reason: "wrong audience"},
		{name: "missing jti", token: f.forge(t, f.header(), c("jti", nil)), want: ErrInvalid, reason: "missing jti"},
		{name: "revoked jti", token: f.forge(t, f.header(), c("jti", "revoked-jti")), want: ErrRevoked, reason: "revoked"},
		{name: "revoked grant", token: f.forge(t, f.header(), c("gid", "g-revoked")), want: ErrRevoked, reason: "its grant was revoked"},
		{name: "refresh token as access token", token: refresh, want: ErrInvalid, reason: "wrong typ"},
		{name: "access token as refresh token", token: access, use: UseRefresh, want: ErrInvalid, reason: "wrong typ"},
		{name: "access typ, refresh use claim", token: f.forge(t, f.header(), c("use", UseRefresh)), want: ErrInvalid, reason: "wrong use"},
		{name: "unknown use", token: access, use: "id", want: ErrInvalid, reason: "unknown token use"},
	}
}

func shapeCases(t *testing.T, f *fixture, valid string) []hostile {
	parts := strings.Split(valid, ".")
	seg := func(i int, s string) string {
		p := append([]string(nil), parts...)
		p[i] = s
		return strings.Join(p, ".")
	}
	// One character of the signature changed, in the middle so that the change is not in the unused trailing bits.
	sig := []byte(parts[2])
	mid := len(sig) / 2
	if sig[mid] == 'A' {
		sig[mid] = 'B'
	} else {
		sig[mid] = 'A'
	}
	return []hostile{
		{name: "four segments", token: valid + "." + parts[2], want: ErrInvalid, reason: "4 segments"},
		{name: "two segments", token: parts[0] + "." + parts[1], want: ErrInvalid, reason: "2 segments"},
		{name: "one segment", token: parts[0], want: ErrInvalid, reason: "1 segments"},
		{name: "empty", token: "", want: ErrInvalid, reason: "1 segments"},
		{name: "bad base64 in header", token: seg(0, parts[0][:5]+"!"+parts[0][6:]), want: ErrInvalid, reason: "outside base64url"},
		{name: "bad base64 in payload", token: seg(1, parts[1][:5]+"!"+parts[1][6:]), want: ErrInvalid, reason: "outside base64url"},
		{name: "bad base64 in signature", token: seg(2, parts[2][:5]+"!"+parts[2][6:]), want: ErrInvalid, reason: "outside base64url"},
		{name: "bad base64 length in header", token: seg(0, badLength(parts[0])), want: ErrInvalid, reason: "could not base64 decode header"},
		{name: "bad base64 length in payload", token: seg(1, badLength(parts[1])), want: ErrInvalid, reason: "could not base64 decode claim"},
		{name: "bad base64 length in signature", token: seg(2, badLength(parts[2])), want: ErrInvalid, reason: "could not base64 decode signature"},
		{name: "standard base64 alphabet", token: seg(2, strings.NewReplacer("-", "+", "_", "/").Replace(parts[2])+"+"), want: ErrInvalid, reason: "outside base64url"},
		{name: "padding", token: valid + "==", want: ErrInvalid, reason: "outside base64url"},
		{name: "header not JSON", token: seg(0, b64([]byte("not json"))), want: ErrInvalid, reason: "could not JSON decode header"},
		{name: "payload not JSON", token: seg(1, b64([]byte("[1,2"))), want: ErrInvalid, reason: "could not JSON decode claim"},
		{name: "claims with sub twice, validly signed", token: f.signRaw(t, rawJSON(t, f.header())+"}",
			rawJSON(t, f.claims())+`,"sub":"admin"}`), want: ErrInvalid, reason: `claims: member "sub" appears twice`},
		{name: "header with kid twice, validly signed", token: f.signRaw(t, rawJSON(t, f.header())+`,"kid":"`+f.sk.KID+`"}`,
			rawJSON(t, f.claims())+"}"), want: ErrInvalid, reason: `header: member "kid" appears twice`},
		{name: "one signature character changed", token: parts[0] + "." + parts[1] + "." + string(sig), want: ErrInvalid, reason: "signature is invalid"},
		{name: "payload swapped", token: seg(1, b64([]byte(`{"iss":"portico","aud":"portico","exp":9999999999,"jti":"x","use":"access"}`))), want: ErrInvalid, reason: "signature is invalid"},
		{name: "trailing newline", token: valid + "\n", want: ErrInvalid, reason: "outside base64url"},
		{name: "newline inside", token: parts[0] + "." + parts[1][:4] + "\n" + parts[1][4:] + "." + parts[2], want: ErrInvalid, reason: "outside base64url"},
		{name: "leading space", token: " " + valid, want: ErrInvalid, reason: "outside base64url"},
		{name: "bearer prefix", token: "Bearer " + valid, want: ErrInvalid, reason: "outside base64url"},
		{name: "size limit plus one", token: valid + strings.Repeat("A", MaxTokenSize+1-len(valid)), want: ErrInvalid, reason: "longer than 8192 bytes"},
	}
}

// badLength pads a segment to a length no base64 encoding has (1 mod 4).
func badLength(s string) string {
	for len(s)%4 != 1 {
		s += "A"
	}
	return s
}

// TestVerifyHugeToken checks that a 1 MB token is refused by its size, before any decoding.
func TestVerifyHugeToken(t *testing.T) {
	f := newFixture(t)
	h := f.header()
	claims := f.claims()
	claims["pad"] = strings.Repeat("x", 1<<20)
	huge := f.forge(t, h, claims)
	_, err := f.keys.Verify(f.st, huge, UseAccess)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "longer than") {
		t.Fatalf("got %v, want ErrInvalid refusing the size", err)
	}
	// The allocation count, not a time, shows the token is refused before any decoding.
	allocs := testing.AllocsPerRun(20, func() { _, _ = f.keys.Verify(f.st, huge, UseAccess) })
	if allocs > 4 {
		t.Fatalf("got %.0f allocations refusing a 1 MB token, want at most 4 (no decoding)", allocs)
	}
}

func TestVerifyLeeway(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name string
		key  string
		at   time.Time
		want error
	}{
		{name: "nbf within leeway", key: "nbf", at: f.now.Add(Leeway), want: nil},
		{name: "nbf past leeway", key: "nbf", at: f.now.Add(Leeway + time.Second), want: ErrInvalid},
		{name: "iat within leeway", key: "iat", at: f.now.Add(Leeway), want: nil},
		{name: "iat past leeway", key: "iat", at: f.now.Add(Leeway + time.Second), want: ErrInvalid},
		{name: "exp one second ahead", key: "exp", at: f.now.Add(time.Second), want: nil},
		{name: "exp has no leeway", key: "exp", at: f.now.Add(-time.Second), want: ErrExpired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := f.claims()
			c[tc.key] = tc.at.Unix()
			_, err := f.keys.Verify(f.st, f.forge(t, f.header(), c), UseAccess)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestVerifyClaimsWithoutOptionalTimes(t *testing.T) {
	f := newFixture(t)
	c := f.claims()
	delete(c, "nbf")
	delete(c, "iat")
	got, err := f.keys.Verify(f.st, f.forge(t, f.header(), c), UseAccess)
	if err != nil {
		t.Fatalf("got %v, want nil: nbf and iat are optional", err)
	}
	if got.ClientID != "cl_0123" || got.Scope != "read write" || got.Env != "production" || got.App != "app-1" || got.Subject != "app-1" {
		t.Fatalf("got %+v, want the forged claims", got)
	}
}
