package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"portico/node/nodetest"
)

// The issuers, audience and key IDs of testdata/partners.yaml and of the test's identity provider.
const (
	extIssuer    = "https://idp.example"     // trusted with ES256 only
	extRSAIssuer = "https://rsa.idp.example" // same JWKS, trusted with RS256 only
	extAudience  = "partners-api"
	extECKid     = "ec-1"
	extRSAKid    = "rsa-1"
)

// extIdP is a loopback external identity provider: it serves a JWKS document with one P-256 key (alg ES256) and one
// RSA key (no alg), and counts the requests it receives.
type extIdP struct {
	*httptest.Server
	ec   *ecdsa.PrivateKey
	rsa  *rsa.PrivateKey
	hits atomic.Int64
	jti  atomic.Int64
}

func newExtIdP(t *testing.T) *extIdP {
	t.Helper()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	doc, err := json.Marshal(map[string]any{"keys": []map[string]string{
		{"kty": "EC", "crv": "P-256", "kid": extECKid, "alg": "ES256", "use": "sig",
			"x": b64(ec.X.FillBytes(make([]byte, 32))), "y": b64(ec.Y.FillBytes(make([]byte, 32)))},
		{"kty": "RSA", "kid": extRSAKid, "use": "sig", "n": b64(rk.N.Bytes()), "e": b64(big.NewInt(int64(rk.E)).Bytes())},
	}})
	if err != nil {
		t.Fatal(err)
	}
	p := &extIdP{ec: ec, rsa: rk}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.hits.Add(1)
		if r.URL.Path != "/jwks.json" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	}))
	t.Cleanup(p.Close)
	return p
}

// claims returns valid claims of issuer iss for the partners API, changed by edit (nil: none).
func (p *extIdP) claims(iss string, edit func(jwt.MapClaims)) jwt.MapClaims {
	now := time.Now()
	c := jwt.MapClaims{
		"iss": iss, "aud": extAudience, "sub": "partner-user", "client_id": "partner-app",
		"iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(), "jti": fmt.Sprintf("ext-%d", p.jti.Add(1)),
	}
	if edit != nil {
		edit(c)
	}
	return c
}

// extResult is the gateway's answer to one call with a bearer token.
type extResult struct {
	status    int
	errorCode string // "error" of the gateway's JSON error body
	challenge string // WWW-Authenticate
	err       error
}

// extCall sends GET u with the bearer token tok; safe to use from any goroutine.
func extCall(u, tok string) extResult {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return extResult{err: err}
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return extResult{err: err}
	}
	defer resp.Body.Close()
	var body struct {
		Error string `json:"error"`
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	_ = json.Unmarshal(raw, &body)
	return extResult{status: resp.StatusCode, errorCode: body.Error, challenge: resp.Header.Get("Www-Authenticate")}
}

// TestExternalIssuerByJWKSURL: an API trusts an external identity provider by its JWKS URL (oauth2.issuers), end to
// end through a real node: the provider's tokens are accepted and reach the backend without a subscription; tokens
// wrong in one respect (audience, expiry, key, algorithm, issuer, key-locating headers, scope) are refused before the
// backend; key URLs named in token headers are never fetched; the JWKS document is fetched once, not per call.
func TestExternalIssuerByJWKSURL(t *testing.T) {
	idp := newExtIdP(t)
	var trapHits atomic.Int64
	trap := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		trapHits.Add(1)
		http.NotFound(w, r)
	}))
	defer trap.Close()
	be := newBackend(t)

	n := nodetest.NewNode(t, "n1")
	n.Start("--bootstrap")
	n.MustCLI("deploy", "-f", apiFile(t, "partners.yaml", be.URL, func(s string) string {
		return strings.ReplaceAll(s, "{{JWKS}}", idp.URL+"/jwks.json")
	}), "--wait", "all")
	items := n.GatewayURL() + "/partners/v1/items"
	orders := n.GatewayURL() + "/partners/v1/orders"

	// 20 concurrent valid calls, the first the node ever sees from this issuer: one JWKS fetch serves them all.
	const burst = 20
	results := make([]extResult, burst)
	var wg sync.WaitGroup
	for i := range burst {
		tok := sign(t, jwt.SigningMethodES256, idp.ec, map[string]any{"kid": extECKid}, idp.claims(extIssuer, nil))
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = extCall(items, tok)
		}()
	}
	wg.Wait()
	for i, r := range results {
		if r.err != nil || r.status != http.StatusOK {
			t.Fatalf("valid call %d: got %d %q (%v), want 200", i, r.status, r.errorCode, r.err)
		}
	}
	if got := be.hits.Load(); got != burst {
		t.Fatalf("backend saw %d requests after %d valid calls, want %d", got, burst, burst)
	}
	// One fetch; a second is tolerated only if the test outlived the verifier's refresh gap.
	if got := idp.hits.Load(); got < 1 || got > 2 {
		t.Fatalf("the IdP served %d requests for %d valid calls, want 1 (at most 2)", got, burst)
	}

	attacker, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecPub, err := x509.MarshalPKIXPublicKey(&idp.ec.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	ecHdr := map[string]any{"kid": extECKid}
	rsaHdr := map[string]any{"kid": extRSAKid}
	valid := func(edit func(jwt.MapClaims)) jwt.MapClaims { return idp.claims(extIssuer, edit) }
	payload, err := json.Marshal(valid(nil))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	attackerJWK := map[string]any{"kty": "EC", "crv": "P-256", "x": b64(attacker.X.FillBytes(make([]byte, 32))),
		"y": b64(attacker.Y.FillBytes(make([]byte, 32)))}

	const (
		unauthorized = "unauthorized"
		noScope      = "insufficient_scope"
	)
	cases := []struct {
		name  string
		url   string
		token string
		want  int
		code  string // error code of a refusal
	}{
		{"ES256 token of the IdP", items, sign(t, jwt.SigningMethodES256, idp.ec, ecHdr, valid(nil)), 200, ""},
		{"RS256 token of the RS256 issuer", items,
			sign(t, jwt.SigningMethodRS256, idp.rsa, rsaHdr, idp.claims(extRSAIssuer, nil)), 200, ""},
		{"audience among several", items, sign(t, jwt.SigningMethodES256, idp.ec, ecHdr,
			valid(func(c jwt.MapClaims) { c["aud"] = []string{"someone-else", extAudience} })), 200, ""},
		{"required scope in scope", orders, sign(t, jwt.SigningMethodES256, idp.ec, ecHdr,
			valid(func(c jwt.MapClaims) { c["scope"] = "items:read orders:read" })), 200, ""},
		{"required scope in scp array with azp", orders, sign(t, jwt.SigningMethodES256, idp.ec, ecHdr,
			valid(func(c jwt.MapClaims) {
				delete(c, "client_id")
				c["azp"], c["scp"] = "partner-spa", []string{"orders:read"}
			})), 200, ""},

		{"wrong audience", items, sign(t, jwt.SigningMethodES256, idp.ec, ecHdr,
			valid(func(c jwt.MapClaims) { c["aud"] = "other-api" })), 401, unauthorized},
		{"no audience", items, sign(t, jwt.SigningMethodES256, idp.ec, ecHdr,
			valid(func(c jwt.MapClaims) { delete(c, "aud") })), 401, unauthorized},
		{"expired", items, sign(t, jwt.SigningMethodES256, idp.ec, ecHdr,
			valid(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Minute).Unix() })), 401, unauthorized},
		{"no exp", items, sign(t, jwt.SigningMethodES256, idp.ec, ecHdr,
			valid(func(c jwt.MapClaims) { delete(c, "exp") })), 401, unauthorized},
		{"nbf in the future", items, sign(t, jwt.SigningMethodES256, idp.ec, ecHdr,
			valid(func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Hour).Unix() })), 401, unauthorized},
		{"another key with the IdP's kid", items, sign(t, jwt.SigningMethodES256, attacker, ecHdr, valid(nil)), 401,
			unauthorized},
		{"unknown kid", items, sign(t, jwt.SigningMethodES256, idp.ec, map[string]any{"kid": "ec-2"}, valid(nil)), 401,
			unauthorized},
		{"no kid", items, sign(t, jwt.SigningMethodES256, idp.ec, nil, valid(nil)), 401, unauthorized},
		{"RS256 for the issuer pinned to ES256", items, sign(t, jwt.SigningMethodRS256, idp.rsa, rsaHdr, valid(nil)),
			401, unauthorized},
		{"ES256 for the issuer pinned to RS256", items,
			sign(t, jwt.SigningMethodES256, idp.ec, ecHdr, idp.claims(extRSAIssuer, nil)), 401, unauthorized},
		{"ES256 signature naming the RSA key", items, sign(t, jwt.SigningMethodES256, idp.ec, rsaHdr, valid(nil)), 401,
			unauthorized},
		{"HS256 keyed with the IdP's public key", items, sign(t, jwt.SigningMethodHS256, ecPub, ecHdr, valid(nil)),
			401, unauthorized},
		{"alg none", items, b64([]byte(`{"alg":"none","kid":"`+extECKid+`"}`)) + "." + b64(payload) + ".", 401,
			unauthorized},
		{"jku header to another server", items, sign(t, jwt.SigningMethodES256, attacker,
			map[string]any{"kid": "attacker", "jku": trap.URL + "/jwks.json"}, valid(nil)), 401, unauthorized},
		{"jku header with the IdP's own key", items, sign(t, jwt.SigningMethodES256, idp.ec,
			map[string]any{"kid": extECKid, "jku": trap.URL + "/jwks.json"}, valid(nil)), 401, unauthorized},
		{"x5u header to another server", items, sign(t, jwt.SigningMethodES256, attacker,
			map[string]any{"kid": "attacker", "x5u": trap.URL + "/cert.pem"}, valid(nil)), 401, unauthorized},
		{"embedded jwk", items, sign(t, jwt.SigningMethodES256, attacker,
			map[string]any{"kid": "attacker", "jwk": attackerJWK}, valid(nil)), 401, unauthorized},

		// A token of an issuer the API does not trust authenticates nothing here: 401, as a wrong iss is for an API
		// that trusts only the cluster.
		{"issuer the API does not trust", items, sign(t, jwt.SigningMethodES256, idp.ec, ecHdr,
			idp.claims("https://untrusted.example", nil)), 401, unauthorized},

		{"required scope missing", orders, sign(t, jwt.SigningMethodES256, idp.ec, ecHdr,
			valid(func(c jwt.MapClaims) { c["scope"] = "items:read" })), 403, noScope},
		{"no scope at all", orders, sign(t, jwt.SigningMethodES256, idp.ec, ecHdr, valid(nil)), 403, noScope},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := be.hits.Load()
			r := extCall(tc.url, tc.token)
			if r.err != nil || r.status != tc.want {
				t.Fatalf("got %d %q (%v), want %d %q", r.status, r.errorCode, r.err, tc.want, tc.code)
			}
			reached := be.hits.Load() - before
			if tc.want == http.StatusOK {
				if reached != 1 {
					t.Fatalf("backend saw %d requests, want 1", reached)
				}
				return
			}
			if reached != 0 {
				t.Fatalf("a refused request reached the backend (%d requests)", reached)
			}
			if r.errorCode != tc.code {
				t.Fatalf("error code %q, want %q", r.errorCode, tc.code)
			}
			switch tc.code {
			case unauthorized:
				if !strings.Contains(r.challenge, `error="invalid_token"`) {
					t.Fatalf("WWW-Authenticate %q, want error=\"invalid_token\"", r.challenge)
				}
			case noScope:
				if !strings.Contains(r.challenge, `error="insufficient_scope"`) || !strings.Contains(r.challenge, "orders:read") {
					t.Fatalf("WWW-Authenticate %q, want insufficient_scope naming orders:read", r.challenge)
				}
			}
		})
	}

	if got := trapHits.Load(); got != 0 {
		t.Fatalf("the server named in jku/x5u headers received %d requests, want 0", got)
	}
	// Every case above, the unknown kid included, was served from the document fetched for the first burst.
	if got := idp.hits.Load(); got < 1 || got > 2 {
		t.Fatalf("the IdP served %d requests in all, want 1 (at most 2)", got)
	}
}
