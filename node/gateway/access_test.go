package gateway

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"portico/raftstore/state"
)

// newInternal serves g's internal listener handler; closed at cleanup.
func newInternal(t testing.TB, g *Gateway) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(g.Internal())
	t.Cleanup(srv.Close)
	return srv
}

func withAccess(mode string) func(*state.API) { return func(a *state.API) { a.AccessMode = mode } }

// TestAccessMode: the public listener does not serve internal APIs (404, as if absent, also for major-version
// routing); the internal listener serves every API.
func TestAccessMode(t *testing.T) {
	be := newBackend(t)
	version := func(v string, minor int) func(*state.API) {
		return func(a *state.API) { a.Version, a.Minor = v, minor }
	}
	st := newState(1,
		testAPI(be.URL+"/ext", withAccess(state.AccessExternal)),
		testAPI(be.URL+"/int", withAccess(state.AccessInternal), version("1.1", 1)),
		testAPI(be.URL+"/default", func(a *state.API) { a.Name, a.Context = "plain", "/plain" }),
		testAPI(be.URL+"/only", withAccess(state.AccessInternal), func(a *state.API) {
			a.Name, a.Context = "private", "/private"
		}),
	)
	g, public := newGateway(t, Config{})
	internal := newInternal(t, g)
	mustUpdate(t, g, st)
	cases := []struct {
		name     string
		srv      *httptest.Server
		path     string
		upstream string // "" = 404
	}{
		{"public: major skips the internal minor", public, "/greet/v1/hello", "/ext/hello"},
		{"public: external exact version", public, "/greet/v1.0/hello", "/ext/hello"},
		{"public: internal exact version is absent", public, "/greet/v1.1/hello", ""},
		{"public: default access mode is external", public, "/plain/v1/hello", "/default/hello"},
		{"public: internal-only API is absent", public, "/private/v1/hello", ""},
		{"internal: major routes to the latest minor", internal, "/greet/v1/hello", "/int/hello"},
		{"internal: external exact version", internal, "/greet/v1.0/hello", "/ext/hello"},
		{"internal: internal exact version", internal, "/greet/v1.1/hello", "/int/hello"},
		{"internal: external API", internal, "/plain/v1/hello", "/default/hello"},
		{"internal: internal-only API", internal, "/private/v1/hello", "/only/hello"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := do(t, http.MethodGet, c.srv.URL+c.path, nil)
			if c.upstream == "" {
				checkWireError(t, r, 404, "not_found")
				if len(be.seen) != 0 {
					t.Fatal("backend saw a request to an absent API")
				}
				return
			}
			if r.status != 200 {
				t.Fatalf("got %d %q, want 200", r.status, r.body)
			}
			if got := be.next(t).RequestURI; got != c.upstream {
				t.Fatalf("upstream URI: got %q, want %q", got, c.upstream)
			}
		})
	}
}

// TestAccessModeSharesTable: without internal APIs both listeners use one route table; with one, two.
func TestAccessModeSharesTable(t *testing.T) {
	be := newBackend(t)
	g, _ := newGateway(t, Config{})
	mustUpdate(t, g, newState(1, testAPI(be.URL)))
	if tb := g.cur.Load(); tb.routes != tb.internal {
		t.Fatal("no internal API: got two route tables, want one shared")
	}
	mustUpdate(t, g, newState(2, testAPI(be.URL, withAccess(state.AccessInternal))))
	if tb := g.cur.Load(); tb.routes == tb.internal {
		t.Fatal("an internal API: got one shared route table, want two")
	}
}

// oauthStub stands in for node/oauth.Server: it answers 299 with the path it got.
var oauthStub = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(299)
	_, _ = io.WriteString(w, r.URL.Path)
})

// TestOAuthEndpoints: paths under /oauth2/ and /.well-known/ go to Config.OAuth on both listeners, with their
// normalised path, before any API routing and before the first table; without OAuth they are 404.
func TestOAuthEndpoints(t *testing.T) {
	be := newBackend(t)
	g, public := newGateway(t, Config{OAuth: oauthStub})
	internal := newInternal(t, g)
	// An API whose context would otherwise claim the path.
	shadow := testAPI(be.URL, func(a *state.API) { a.Name, a.Context = "oauth", "/oauth2" })
	cases := []struct {
		name   string
		path   string
		status int
		want   string // the path the OAuth handler got, or the wire error code
	}{
		{"token", "/oauth2/token", 299, "/oauth2/token"},
		{"jwks", "/.well-known/jwks.json", 299, "/.well-known/jwks.json"},
		{"unknown endpoint under the prefix", "/oauth2/nope", 299, "/oauth2/nope"},
		{"normalised first", "/x/../oauth2/./token", 299, "/oauth2/token"},
		{"escaped", "/oauth2/%74oken", 299, "/oauth2/token"},
		{"API context shadowed", "/oauth2/v1/hello", 299, "/oauth2/v1/hello"},
		{"prefix without its slash is routed", "/oauth2", 404, "not_found"},
		{"look-alike prefix is routed", "/oauth2x/token", 404, "not_found"},
		{"bad path refused first", "/oauth2/a%2Fb", 400, "invalid_request"},
	}
	for _, step := range []string{"before the first table", "with a table"} {
		if step == "with a table" {
			mustUpdate(t, g, newState(1, shadow))
		}
		for _, srv := range []*httptest.Server{public, internal} {
			for _, c := range cases {
				if c.status == 404 && step == "before the first table" {
					continue // 503 then: nothing is routed yet
				}
				t.Run(step+" "+c.name, func(t *testing.T) {
					r := raw(t, srv, "GET "+c.path+" HTTP/1.1\r\nHost: x\r\n\r\n")
					if c.status != 299 {
						checkWireError(t, r, c.status, c.want)
						return
					}
					if r.status != 299 || r.body != c.want {
						t.Fatalf("got %d %q, want 299 %q", r.status, r.body, c.want)
					}
					if r.header.Get("X-Request-Id") == "" {
						t.Fatal("no X-Request-Id on an OAuth2 endpoint's response")
					}
				})
			}
		}
	}
	if len(be.seen) != 0 {
		t.Fatalf("backend saw %d requests, want 0", len(be.seen))
	}
}

func TestOAuthEndpointsAbsent(t *testing.T) {
	g, srv := newGateway(t, Config{})
	mustUpdate(t, g, newState(1, testAPI(newBackend(t).URL)))
	for _, path := range []string{"/oauth2/token", "/.well-known/jwks.json"} {
		t.Run(path, func(t *testing.T) {
			w := checkWireError(t, do(t, http.MethodPost, srv.URL+path, nil), 404, "not_found")
			if !strings.Contains(w.Message, "OAuth2") {
				t.Fatalf("message %q does not say the OAuth2 endpoints are absent", w.Message)
			}
		})
	}
}
