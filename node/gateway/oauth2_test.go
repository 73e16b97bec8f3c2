package gateway

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"portico/node/token"
	"portico/policies/builtin"
	"portico/raftstore/state"
)

// TestOAuth2Policy runs the built-in oauth2 policy against the gateway's Bearer authentication with a fake token
// verifier: verdicts, scopes, the token's environment, and the token never reaching the backend.
func TestOAuth2Policy(t *testing.T) {
	prod, sandbox := newBackend(t), newBackend(t)
	api := testAPI(prod.URL, func(a *state.API) {
		a.Security = []string{state.SecurityOAuth2}
		a.Endpoints.Sandbox = []string{sandbox.URL}
		a.Operations[1].Scopes = []string{"items:admin"}                                // GET /items/{id}: not granted
		a.Operations[2].Scopes = []string{"items:read", "items:write"}                  // POST /items: granted
		a.Operations[3].Security = []string{state.SecurityAPIKey, state.SecurityOAuth2} // GET /stream: either
	})
	ts := newTokenState(1, api)
	g, srv := newGateway(t, Config{Plugins: testHost(t), Builtins: builtin.Lookup, Tokens: ts.tokens})
	mustUpdate(t, g, ts.st)
	bearer := func(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }
	cases := []struct {
		name      string
		method    string
		path      string
		header    http.Header
		status    int
		code      string
		challenge string // WWW-Authenticate contains it
		backend   *backend
	}{
		{"valid token", "GET", "/greet/v1/hello", bearer(ts.jwt["prod"]), 200, "", "", prod},
		{"sandbox token goes to the sandbox", "GET", "/greet/v1/hello", bearer(ts.jwt["sandbox"]), 200, "", "",
			sandbox},
		{"granted scopes", "POST", "/greet/v1/items", bearer(ts.jwt["prod"]), 200, "", "", prod},
		{"missing scope", "GET", "/greet/v1/items/1", bearer(ts.jwt["prod"]), 403, "insufficient_scope",
			`scope="items:admin"`, nil},
		{"no token", "GET", "/greet/v1/hello", nil, 401, "unauthorized", `Bearer realm="portico"`, nil},
		{"an API key is not a token", "GET", "/greet/v1/hello", http.Header{"Api-Key": {ts.keys["greet"]}}, 401,
			"unauthorized", `Bearer realm="portico"`, nil},
		{"unknown token", "GET", "/greet/v1/hello", bearer(fakeJWT(DefaultIssuer, "nope")), 401, "unauthorized",
			`error="invalid_token"`, nil},
		{"credential deleted", "GET", "/greet/v1/hello", bearer(ts.jwt["deleted credential"]), 401, "unauthorized",
			`error="invalid_token"`, nil},
		{"not subscribed", "GET", "/greet/v1/hello", bearer(ts.jwt["unsubscribed"]), 403, "forbidden", "", nil},
		{"blocked subscription", "GET", "/greet/v1/hello", bearer(ts.jwt["blocked"]), 403, "forbidden", "", nil},
		{"either: token", "GET", "/greet/v1/stream", bearer(ts.jwt["prod"]), 200, "", "", prod},
		{"either: API key", "GET", "/greet/v1/stream", http.Header{"Api-Key": {ts.keys["greet"]}}, 200, "", "",
			prod},
		{"either: nothing asks for an API key", "GET", "/greet/v1/stream", nil, 401, "unauthorized", "", nil},
		{"either: bad token", "GET", "/greet/v1/stream", bearer("nope"), 401, "unauthorized",
			`error="invalid_token"`, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := do(t, c.method, srv.URL+c.path, c.header)
			if c.status != 200 {
				w := checkWireError(t, r, c.status, c.code)
				if got := r.header.Get("Www-Authenticate"); !strings.Contains(got, c.challenge) {
					t.Fatalf("WWW-Authenticate: got %q, want it to contain %q", got, c.challenge)
				}
				if strings.Contains(r.body, "c2ln") || strings.Contains(w.Message, "jti") {
					t.Fatalf("error body %q shows the token", r.body)
				}
				return
			}
			if r.status != 200 || r.body != "hello" {
				t.Fatalf("got %d %q, want 200 hello", r.status, r.body)
			}
			h := c.backend.next(t).Header
			if got := h.Values("Authorization"); len(got) != 0 {
				t.Fatalf("backend got Authorization %q", got)
			}
			if got := h.Values("Api-Key"); len(got) != 0 {
				t.Fatalf("backend got Api-Key %q", got)
			}
		})
	}
	if n := len(prod.seen) + len(sandbox.seen); n != 0 {
		t.Fatalf("backends saw %d refused requests, want 0", n)
	}
}

// TestCORSPolicy runs the built-in cors policy: preflights answered at the gateway without authentication, CORS
// headers on allowed responses (refusals included), none for other origins, OPTIONS of an API without a cors block
// still 405.
func TestCORSPolicy(t *testing.T) {
	be := newBackend(t)
	api := testAPI(be.URL, withCORS, func(a *state.API) { a.Security = []string{state.SecurityAPIKey} })
	plain := testAPI(be.URL, func(a *state.API) { a.Name, a.Context = "plain", "/plain" })
	ks := newKeyState(1, api, plain)
	g, srv := newGateway(t, Config{Plugins: testHost(t), Builtins: builtin.Lookup})
	mustUpdate(t, g, ks.st)
	const origin = "https://app.example"
	cases := []struct {
		name    string
		method  string
		path    string
		header  http.Header
		status  int
		want    map[string]string // response headers; "" = absent
		backend bool
	}{
		{"preflight allowed", "OPTIONS", "/greet/v1/items", http.Header{"Origin": {origin},
			"Access-Control-Request-Method": {"POST"}, "Access-Control-Request-Headers": {"Content-Type, Api-Key"}},
			204, map[string]string{"Access-Control-Allow-Origin": origin, "Access-Control-Max-Age": "600",
				"Access-Control-Allow-Methods": "GET, POST"}, false},
		{"preflight from another origin", "OPTIONS", "/greet/v1/items", http.Header{"Origin": {"https://evil.example"},
			"Access-Control-Request-Method": {"POST"}}, 403,
			map[string]string{"Access-Control-Allow-Origin": "", "Access-Control-Allow-Methods": ""}, false},
		{"preflight for a method not allowed", "OPTIONS", "/greet/v1/hello", http.Header{"Origin": {origin},
			"Access-Control-Request-Method": {"DELETE"}}, 403, map[string]string{"Access-Control-Allow-Origin": ""},
			false},
		{"allowed origin", "GET", "/greet/v1/hello", http.Header{"Origin": {origin}, "Api-Key": {ks.keys["greet"]}},
			200, map[string]string{"Access-Control-Allow-Origin": origin, "Vary": "Origin"}, true},
		{"allowed origin, refused by authentication", "GET", "/greet/v1/hello", http.Header{"Origin": {origin}}, 401,
			map[string]string{"Access-Control-Allow-Origin": origin}, false},
		{"other origin", "GET", "/greet/v1/hello", http.Header{"Origin": {"https://evil.example"},
			"Api-Key": {ks.keys["greet"]}}, 200, map[string]string{"Access-Control-Allow-Origin": ""}, true},
		{"no origin", "GET", "/greet/v1/hello", http.Header{"Api-Key": {ks.keys["greet"]}}, 200,
			map[string]string{"Access-Control-Allow-Origin": ""}, true},
		{"API without a cors block", "OPTIONS", "/plain/v1/hello", http.Header{"Origin": {origin},
			"Access-Control-Request-Method": {"GET"}}, 405, map[string]string{"Access-Control-Allow-Origin": ""},
			false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := do(t, c.method, srv.URL+c.path, c.header)
			if r.status != c.status {
				t.Fatalf("got %d %q, want %d", r.status, r.body, c.status)
			}
			for k, v := range c.want {
				if got := r.header.Get(k); got != v {
					t.Errorf("%s: got %q, want %q", k, got, v)
				}
			}
			if c.backend {
				be.next(t)
			}
		})
	}
	if len(be.seen) != 0 {
		t.Fatalf("backend saw %d requests answered at the gateway", len(be.seen))
	}
}

// realKeys adds a signing key to st and returns the cluster's token keys for it.
func realKeys(t testing.TB, st *state.State) *token.Keys {
	t.Helper()
	ck, err := token.NewClusterKey(bytes.Repeat([]byte{7}, token.ClusterKeySize))
	if err != nil {
		t.Fatal(err)
	}
	sk, err := token.NewSigningKey(ck, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	st.SigningKeys[sk.KID] = &sk
	k := token.NewKeys(token.Config{Key: ck})
	if err := k.Update(st); err != nil {
		t.Fatal(err)
	}
	return k
}

// issue returns a real access token of app1's production credential.
func issue(t testing.TB, k *token.Keys) string {
	t.Helper()
	tok, err := k.Issue(token.Claims{RegisteredClaims: jwt.RegisteredClaims{Subject: "alice"}, ClientID: "cl_app1prod",
		Scope: "items:read items:write", Env: state.Production, App: "app1", Use: token.UseAccess}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestRealAccessToken: a token issued by node/token passes the oauth2 policy; once its jti is revoked in a newer
// state, or when a character is changed, it is refused.
func TestRealAccessToken(t *testing.T) {
	be := newBackend(t)
	ts := newTokenState(1, testAPI(be.URL, func(a *state.API) { a.Security = []string{state.SecurityOAuth2} }))
	keys := realKeys(t, ts.st)
	g, srv := newGateway(t, Config{Plugins: testHost(t), Builtins: builtin.Lookup, Tokens: keys})
	mustUpdate(t, g, ts.st)
	tok := issue(t, keys)
	call := func(tok string) reply {
		return do(t, http.MethodGet, srv.URL+"/greet/v1/hello", http.Header{"Authorization": {"Bearer " + tok}})
	}
	if r := call(tok); r.status != 200 {
		t.Fatalf("issued token: got %d %q, want 200", r.status, r.body)
	}
	be.next(t)
	// Swap one signature character for another valid base64url character, so the token stays well formed and
	// only the signature check can refuse it (xor could give a character outside the alphabet: a malformed token).
	tampered := []byte(tok)
	if i := len(tampered) - 3; tampered[i] == 'A' {
		tampered[i] = 'B'
	} else {
		tampered[i] = 'A'
	}
	checkWireError(t, call(string(tampered)), 401, "unauthorized")

	claims, err := keys.Verify(ts.st, tok, token.UseAccess)
	if err != nil {
		t.Fatal(err)
	}
	revoked := *ts.st
	revoked.Index = 2
	revoked.Revoked = map[string]int64{claims.ID: claims.ExpiresAt.Unix()}
	mustUpdate(t, g, &revoked)
	checkWireError(t, call(tok), 401, "unauthorized")
	if len(be.seen) != 0 {
		t.Fatal("backend saw a refused request")
	}
}
