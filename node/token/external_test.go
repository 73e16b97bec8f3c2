package token

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"portico/raftstore/state"
)

// idp is an external identity provider: a JWKS server with an RSA key pinned to RS256, an EC key pinned to ES256
// and an EC key that names no algorithm.
type idp struct {
	srv     *httptest.Server
	rsa     *rsa.PrivateKey
	ec      *ecdsa.PrivateKey
	ecNoAlg *ecdsa.PrivateKey
	fetches atomic.Int32
	mu      sync.Mutex
	body    []byte // served document; nil: 500
	now     time.Time
}

var (
	idpOnce sync.Once
	idpRSA  *rsa.PrivateKey
)

func newIDP(t testing.TB) *idp {
	t.Helper()
	idpOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		idpRSA = k
	})
	p := &idp{rsa: idpRSA, ec: mustP256(t), ecNoAlg: mustP256(t), now: testNow}
	p.body = p.document(t)
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.fetches.Add(1)
		p.mu.Lock()
		body := p.body
		p.mu.Unlock()
		if body == nil {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *idp) document(t testing.TB) []byte {
	t.Helper()
	ecJWK := func(k *ecdsa.PrivateKey, kid, alg string) map[string]string {
		pt, err := k.PublicKey.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{"kty": "EC", "crv": "P-256", "x": b64(pt[1:33]), "y": b64(pt[33:]), "kid": kid, "use": "sig"}
		if alg != "" {
			m["alg"] = alg
		}
		return m
	}
	keys := []map[string]string{
		{"kty": "RSA", "n": b64(p.rsa.N.Bytes()), "e": b64(big.NewInt(int64(p.rsa.E)).Bytes()), "kid": "rsa1", "alg": "RS256", "use": "sig"},
		ecJWK(p.ec, "ec1", "ES256"),
		ecJWK(p.ecNoAlg, "ec2", ""),
		{"kty": "oct", "k": b64([]byte("secret")), "kid": "hmac", "alg": "HS256"},
	}
	b, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (p *idp) set(body []byte) {
	p.mu.Lock()
	p.body = body
	p.mu.Unlock()
}

func (p *idp) issuer() state.ExternalIssuer {
	return state.ExternalIssuer{Issuer: "https://idp.example", JWKSURL: p.srv.URL + "/jwks", Audience: "greet-api",
		Algorithms: []string{"RS256", "PS256", "ES256"}}
}

func (p *idp) claims() jwt.MapClaims {
	return jwt.MapClaims{"iss": "https://idp.example", "aud": []string{"greet-api", "other"}, "sub": "u1",
		"exp": p.now.Add(time.Hour).Unix(), "iat": p.now.Unix(), "scope": "read", "client_id": "idp-client",
		"app": "victim-app", "env": "production", "use": "access", "cc": "x", "gid": "g-revoked-elsewhere"}
}

func (p *idp) header(alg, kid string) map[string]any {
	return map[string]any{"alg": alg, "kid": kid, "typ": "JWT"}
}

func newTestVerifier(p *idp) *ExternalVerifier {
	return NewExternalVerifier(p.srv.Client(), func() time.Time { return p.now })
}

func TestExternalVerifier(t *testing.T) {
	p := newIDP(t)
	v := newTestVerifier(p)
	iss := []state.ExternalIssuer{{Issuer: "https://other", JWKSURL: p.srv.URL + "/unused", Audience: "x"}, p.issuer()}
	c := func(key string, val any) jwt.MapClaims {
		m := p.claims()
		if val == nil {
			delete(m, key)
		} else {
			m[key] = val
		}
		return m
	}
	h := p.header
	tests := []struct {
		name   string
		token  string
		issuer []state.ExternalIssuer
		want   error
		reason string
	}{
		{name: "RS256 valid", token: sign(t, jwt.SigningMethodRS256, p.rsa, h("RS256", "rsa1"), p.claims())},
		{name: "ES256 valid", token: sign(t, jwt.SigningMethodES256, p.ec, h("ES256", "ec1"), p.claims())},
		{name: "ES256 key without alg", token: sign(t, jwt.SigningMethodES256, p.ecNoAlg, h("ES256", "ec2"), p.claims())},
		{name: "RS256 key with a PS256 header", token: sign(t, jwt.SigningMethodPS256, p.rsa, h("PS256", "rsa1"), p.claims()), want: ErrInvalid, reason: "key does not allow algorithm PS256"},
		{name: "EC key named by an RS256 token", token: sign(t, jwt.SigningMethodRS256, p.rsa, h("RS256", "ec1"), p.claims()), want: ErrInvalid, reason: "key does not allow algorithm RS256"},
		{name: "algorithm not in the issuer's list", token: sign(t, jwt.SigningMethodES256, p.ec, h("ES256", "ec1"), p.claims()),
			issuer: []state.ExternalIssuer{with1(p.issuer(), []string{"RS256"})}, want: ErrInvalid, reason: "algorithm ES256 not allowed"},
		{name: "HS256 keyed with the RSA public key", token: sign(t, jwt.SigningMethodHS256, x509.MarshalPKCS1PublicKey(&p.rsa.PublicKey), h("HS256", "rsa1"), p.claims()),
			issuer: []state.ExternalIssuer{with1(p.issuer(), []string{"RS256", "HS256"})}, want: ErrInvalid, reason: "signing method HS256 is invalid"},
		{name: "HS256 with the JWKS oct key", token: sign(t, jwt.SigningMethodHS256, []byte("secret"), h("HS256", "hmac"), p.claims()),
			issuer: []state.ExternalIssuer{with1(p.issuer(), []string{"HS256"})}, want: ErrInvalid, reason: "signing method HS256 is invalid"},
		{name: "alg none", token: unsigned(t, h("none", "rsa1"), p.claims(), ""), want: ErrInvalid, reason: "signing method none is invalid"},
		{name: "unknown issuer", token: sign(t, jwt.SigningMethodRS256, p.rsa, h("RS256", "rsa1"), c("iss", "https://evil")), want: ErrInvalid, reason: "issuer not trusted"},
		{name: "no issuers", token: sign(t, jwt.SigningMethodRS256, p.rsa, h("RS256", "rsa1"), p.claims()), issuer: []state.ExternalIssuer{}, want: ErrInvalid, reason: "issuer not trusted"},
		{name: "wrong audience", token: sign(t, jwt.SigningMethodRS256, p.rsa, h("RS256", "rsa1"), c("aud", "other")), want: ErrInvalid, reason: "wrong audience"},
		{name: "issuer without audience", token: sign(t, jwt.SigningMethodRS256, p.rsa, h("RS256", "rsa1"), c("aud", "")),
			issuer: []state.ExternalIssuer{withAud(p.issuer(), "")}, want: ErrInvalid, reason: "wrong audience"},
		{name: "expired", token: sign(t, jwt.SigningMethodRS256, p.rsa, h("RS256", "rsa1"), c("exp", p.now.Add(-time.Minute).Unix())), want: ErrExpired, reason: "expired"},
		{name: "missing exp", token: sign(t, jwt.SigningMethodRS256, p.rsa, h("RS256", "rsa1"), c("exp", nil)), want: ErrInvalid, reason: "missing exp"},
		{name: "future nbf", token: sign(t, jwt.SigningMethodRS256, p.rsa, h("RS256", "rsa1"), c("nbf", p.now.Add(time.Hour).Unix())), want: ErrInvalid, reason: "nbf"},
		{name: "unknown kid", token: sign(t, jwt.SigningMethodRS256, p.rsa, h("RS256", "nope"), p.claims()), want: ErrInvalid, reason: "unknown kid"},
		{name: "missing kid", token: sign(t, jwt.SigningMethodRS256, p.rsa, without(h("RS256", ""), "kid"), p.claims()), want: ErrInvalid, reason: "missing kid"},
		{name: "jku header", token: sign(t, jwt.SigningMethodRS256, p.rsa, with(h("RS256", "rsa1"), "jku", p.srv.URL+"/evil"), p.claims()), want: ErrInvalid, reason: `header "jku" not allowed`},
		{name: "x5u header", token: sign(t, jwt.SigningMethodRS256, p.rsa, with(h("RS256", "rsa1"), "x5u", p.srv.URL+"/evil"), p.claims()), want: ErrInvalid, reason: `header "x5u" not allowed`},
		{name: "jwk header", token: sign(t, jwt.SigningMethodRS256, p.rsa, with(h("RS256", "rsa1"), "jwk", map[string]string{"kty": "RSA"}), p.claims()), want: ErrInvalid, reason: `header "jwk" not allowed`},
		{name: "other key's signature", token: sign(t, jwt.SigningMethodES256, mustP256(t), h("ES256", "ec1"), p.claims()), want: ErrInvalid, reason: "signature is invalid"},
		{name: "trailing newline", token: sign(t, jwt.SigningMethodRS256, p.rsa, h("RS256", "rsa1"), p.claims()) + "\n", want: ErrInvalid, reason: "outside base64url"},
		{name: "1 MB token", token: strings.Repeat("A", 1<<20), want: ErrInvalid, reason: "longer than"},
		{name: "sub twice, signed by the issuer", token: func() string {
			signing := b64([]byte(rawJSON(t, h("ES256", "ec1"))+"}")) + "." + b64([]byte(rawJSON(t, p.claims())+`,"sub":"admin"}`))
			sig, err := jwt.SigningMethodES256.Sign(signing, p.ec)
			if err != nil {
				t.Fatal(err)
			}
			return signing + "." + b64(sig)
		}(), want: ErrInvalid, reason: `claims: member "sub" appears twice`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			issuers := iss
			if tc.issuer != nil {
				issuers = tc.issuer
			}
			got, err := v.Verify(context.Background(), issuers, tc.token)
			if tc.want == nil {
				if err != nil || got.Subject != "u1" || got.Scope != "read" || got.Issuer != "https://idp.example" || got.ClientID != "idp-client" {
					t.Fatalf("got %+v, %v, want the token's claims", got, err)
				}
				if got.App != "" || got.Env != "" || got.Use != "" || got.Challenge != "" || got.Grant != "" {
					t.Fatalf("got app %q env %q use %q cc %q, want the cluster-only claims cleared", got.App, got.Env, got.Use, got.Challenge)
				}
				return
			}
			if got != nil || !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("got %v, %v, want %v with %q", got, err, tc.want, tc.reason)
			}
		})
	}
	if n := p.fetches.Load(); n > 2 {
		t.Fatalf("got %d JWKS fetches, want at most 2 (one, and one refresh for the unknown kid)", n)
	}
}

func with1(iss state.ExternalIssuer, algs []string) state.ExternalIssuer {
	iss.Algorithms = algs
	return iss
}

func withAud(iss state.ExternalIssuer, aud string) state.ExternalIssuer {
	iss.Audience = aud
	return iss
}

func TestExternalJWKSFetchedOnce(t *testing.T) {
	p := newIDP(t)
	v := newTestVerifier(p)
	iss := []state.ExternalIssuer{p.issuer()}
	tok := sign(t, jwt.SigningMethodES256, p.ec, p.header("ES256", "ec1"), p.claims())
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 25 {
				_, err := v.Verify(context.Background(), iss, tok)
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("got %v, want nil", err)
		}
	}
	if n := p.fetches.Load(); n != 1 {
		t.Fatalf("got %d fetches for 200 verifications, want 1", n)
	}
}

func TestExternalJWKSRefresh(t *testing.T) {
	p := newIDP(t)
	v := newTestVerifier(p)
	iss := []state.ExternalIssuer{p.issuer()}
	good := sign(t, jwt.SigningMethodES256, p.ec, p.header("ES256", "ec1"), p.claims())
	unknown := sign(t, jwt.SigningMethodES256, p.ec, p.header("ES256", "later"), p.claims())
	verify := func(tok string) error {
		_, err := v.Verify(context.Background(), iss, tok)
		return err
	}
	steps := []struct {
		name    string
		advance time.Duration
		token   string
		wantErr bool
		fetches int32
	}{
		{name: "first use fetches", token: good, fetches: 1},
		{name: "unknown kid right after a fetch", advance: time.Second, token: unknown, wantErr: true, fetches: 1},
		{name: "unknown kid again within the gap", advance: 10 * time.Second, token: unknown, wantErr: true, fetches: 1},
		{name: "unknown kid after the gap refetches", advance: JWKSRefreshGap, token: unknown, wantErr: true, fetches: 2},
		{name: "known kid within max age", advance: time.Minute, token: good, fetches: 2},
		{name: "known kid after max age refetches", advance: JWKSMaxAge, token: good, fetches: 3},
	}
	for _, s := range steps {
		p.now = p.now.Add(s.advance)
		err := verify(s.token)
		if (err != nil) != s.wantErr {
			t.Fatalf("%s: got %v, want error: %v", s.name, err, s.wantErr)
		}
		if n := p.fetches.Load(); n != s.fetches {
			t.Fatalf("%s: got %d fetches, want %d", s.name, n, s.fetches)
		}
	}
}

func TestExternalJWKSOutage(t *testing.T) {
	p := newIDP(t)
	v := newTestVerifier(p)
	iss := []state.ExternalIssuer{p.issuer()}
	claims := p.claims()
	claims["exp"] = p.now.Add(3 * time.Hour).Unix()
	tok := sign(t, jwt.SigningMethodES256, p.ec, p.header("ES256", "ec1"), claims)
	if _, err := v.Verify(context.Background(), iss, tok); err != nil {
		t.Fatal(err)
	}
	p.set(nil)
	p.now = p.now.Add(JWKSMaxAge + time.Minute)
	if _, err := v.Verify(context.Background(), iss, tok); err != nil {
		t.Fatalf("during a short outage: got %v, want the cached key to be used", err)
	}
	p.now = p.now.Add(JWKSMaxStale)
	_, err := v.Verify(context.Background(), iss, tok)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "status 500") {
		t.Fatalf("after %v without a fetch: got %v, want ErrInvalid naming the failed fetch", JWKSMaxStale, err)
	}
}

func TestExternalJWKSBounds(t *testing.T) {
	tests := []struct {
		name   string
		body   func(p *idp) []byte
		reason string
	}{
		{name: "larger than 1 MiB", body: func(p *idp) []byte {
			return append(p.document(t)[:len(p.document(t))-1], []byte(`,"pad":"`+strings.Repeat("x", JWKSMaxSize)+`"}`)...)
		}, reason: "larger than"},
		{name: "not JSON", body: func(*idp) []byte { return []byte("<html>") }, reason: "decoding"},
		{name: "no usable keys", body: func(*idp) []byte {
			return []byte(`{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"ec1"},{"kty":"RSA","n":"AQAB","e":"AQAB","kid":"small"}]}`)
		}, reason: "no usable keys"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newIDP(t)
			p.set(tc.body(p))
			v := newTestVerifier(p)
			tok := sign(t, jwt.SigningMethodES256, p.ec, p.header("ES256", "ec1"), p.claims())
			_, err := v.Verify(context.Background(), []state.ExternalIssuer{p.issuer()}, tok)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("got %v, want ErrInvalid with %q", err, tc.reason)
			}
		})
	}
}

func TestExternalJWKSTimeout(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	p := newIDP(t)
	v := NewExternalVerifier(slow.Client(), func() time.Time { return p.now })
	v.timeout = 100 * time.Millisecond
	iss := p.issuer()
	iss.JWKSURL = slow.URL
	tok := sign(t, jwt.SigningMethodES256, p.ec, p.header("ES256", "ec1"), p.claims())
	start := time.Now()
	_, err := v.Verify(context.Background(), []state.ExternalIssuer{iss}, tok)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "deadline exceeded") {
		t.Fatalf("got %v, want ErrInvalid after the fetch deadline", err)
	}
	// A hang bound (100x the deadline), not a speed check: the server never answers, so only the deadline ends it.
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Fatalf("got %v, want the fetch cut at its %v deadline", elapsed, v.timeout)
	}
}

func TestParseJWK(t *testing.T) {
	p := newIDP(t)
	pt, err := p.ec.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	x, y := b64(pt[1:33]), b64(pt[33:])
	n, e := b64(p.rsa.N.Bytes()), "AQAB"
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		key      jwk
		wantAlgs []string // nil: refused
	}{
		{name: "RSA pinned", key: jwk{Kty: "RSA", N: n, E: e, Kid: "a", Alg: "RS256"}, wantAlgs: []string{"RS256"}},
		{name: "RSA unpinned", key: jwk{Kty: "RSA", N: n, E: e, Kid: "a"}, wantAlgs: []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}},
		{name: "RSA with an EC alg", key: jwk{Kty: "RSA", N: n, E: e, Kid: "a", Alg: "ES256"}},
		{name: "RSA with HS256", key: jwk{Kty: "RSA", N: n, E: e, Kid: "a", Alg: "HS256"}},
		{name: "RSA 1024 bits", key: jwk{Kty: "RSA", N: b64(small.N.Bytes()), E: e, Kid: "a"}},
		{name: "RSA even exponent", key: jwk{Kty: "RSA", N: n, E: b64([]byte{2}), Kid: "a"}},
		{name: "RSA for encryption", key: jwk{Kty: "RSA", N: n, E: e, Kid: "a", Use: "enc"}},
		{name: "EC P-256", key: jwk{Kty: "EC", Crv: "P-256", X: x, Y: y, Kid: "b"}, wantAlgs: []string{"ES256"}},
		{name: "EC P-256 as ES384", key: jwk{Kty: "EC", Crv: "P-256", X: x, Y: y, Kid: "b", Alg: "ES384"}},
		{name: "EC point off the curve", key: jwk{Kty: "EC", Crv: "P-256", X: x, Y: x, Kid: "b"}},
		{name: "EC short coordinate", key: jwk{Kty: "EC", Crv: "P-256", X: x[:10], Y: y, Kid: "b"}},
		{name: "EC unknown curve", key: jwk{Kty: "EC", Crv: "secp256k1", X: x, Y: y, Kid: "b"}},
		{name: "oct", key: jwk{Kty: "oct", Kid: "c"}},
		{name: "Ed25519", key: jwk{Kty: "OKP", Crv: "Ed25519", X: b64(make([]byte, 32)), Kid: "d"}, wantAlgs: []string{"EdDSA"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, err := parseJWK(tc.key)
			if tc.wantAlgs == nil {
				if err == nil {
					t.Fatalf("got key for %v, want a refusal", k.algs)
				}
				return
			}
			if err != nil || strings.Join(k.algs, ",") != strings.Join(tc.wantAlgs, ",") {
				t.Fatalf("got %v, %v, want algorithms %v", k, err, tc.wantAlgs)
			}
		})
	}
}

func TestParseJWKSDuplicateKid(t *testing.T) {
	p := newIDP(t)
	var doc map[string][]map[string]string
	if err := json.Unmarshal(p.document(t), &doc); err != nil {
		t.Fatal(err)
	}
	dup := doc["keys"][1]
	doc["keys"] = append(doc["keys"], map[string]string{"kty": "EC", "crv": "P-256", "x": dup["x"], "y": dup["y"], "kid": "rsa1"})
	body, _ := json.Marshal(doc)
	keys, err := parseJWKS(body)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := keys["rsa1"]; ok {
		t.Fatal("got a key for a kid listed twice, want none")
	}
	if _, ok := keys["ec1"]; !ok {
		t.Fatal("got no key for ec1, want the other keys kept")
	}
}
