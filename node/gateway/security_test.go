package gateway

import (
	"net/http"
	"strings"
	"testing"

	"portico/raftstore/state"
)

// Statuses of the stand-in authentication policies: each answers the request itself, so the status tells which ran.
const (
	statusAPIKey = 461
	statusOAuth2 = 462
	statusCORS   = 299
)

// standIns resolves the built-in names the gateway attaches to stand-in guests: name → module.
func standIns(modules map[string][]byte) func(string) ([]byte, bool) {
	return func(name string) ([]byte, bool) {
		m, ok := modules[name]
		return m, ok
	}
}

// securedAPI is greet 1.0 whose operations require: GET /hello api-key or oauth2 (the API's), GET /items/{id}
// oauth2, POST /items api-key, GET /stream nothing.
func securedAPI(endpoint string, mods ...func(*state.API)) *state.API {
	return testAPI(endpoint, append([]func(*state.API){func(a *state.API) {
		a.Security = []string{state.SecurityAPIKey, state.SecurityOAuth2}
		a.Operations[1].Security = []string{state.SecurityOAuth2}
		a.Operations[2].Security = []string{state.SecurityAPIKey}
		a.Operations[3].Security = []string{state.SecurityNone}
	}}, mods...)...)
}

// TestEitherOfSecurity: an operation that accepts an API key or a token runs the oauth2 policy when the request has
// a Bearer credential, the apikey policy otherwise (also without any credential).
func TestEitherOfSecurity(t *testing.T) {
	be := newBackend(t)
	g, srv := newGateway(t, Config{Plugins: testHost(t), Builtins: standIns(map[string][]byte{
		builtinAPIKey: guestStatus(statusAPIKey), builtinOAuth2: guestStatus(statusOAuth2)})})
	mustUpdate(t, g, newState(1, securedAPI(be.URL)))
	cases := []struct {
		name   string
		method string
		path   string
		header http.Header
		status int
	}{
		{"either: no credential", "GET", "/greet/v1/hello", nil, statusAPIKey},
		{"either: api key", "GET", "/greet/v1/hello", http.Header{"Api-Key": {"pk_x"}}, statusAPIKey},
		{"either: bearer", "GET", "/greet/v1/hello", http.Header{"Authorization": {"Bearer abc"}}, statusOAuth2},
		{"either: scheme is case-insensitive", "GET", "/greet/v1/hello", http.Header{"Authorization": {"bEaReR abc"}},
			statusOAuth2},
		{"either: bare scheme goes to oauth2 to be refused", "GET", "/greet/v1/hello",
			http.Header{"Authorization": {"Bearer"}}, statusOAuth2},
		{"either: bearer wins over an api key", "GET", "/greet/v1/hello",
			http.Header{"Authorization": {"Bearer abc"}, "Api-Key": {"pk_x"}}, statusOAuth2},
		{"either: basic is not bearer", "GET", "/greet/v1/hello", http.Header{"Authorization": {"Basic YTpi"}},
			statusAPIKey},
		{"either: look-alike scheme", "GET", "/greet/v1/hello", http.Header{"Authorization": {"Bearerx abc"}},
			statusAPIKey},
		{"either: a second header is bearer", "GET", "/greet/v1/hello",
			http.Header{"Authorization": {"Basic YTpi", "Bearer abc"}}, statusOAuth2},
		{"either: HEAD", "HEAD", "/greet/v1/hello", http.Header{"Authorization": {"Bearer abc"}}, statusOAuth2},
		{"oauth2 only: no credential", "GET", "/greet/v1/items/1", nil, statusOAuth2},
		{"oauth2 only: api key", "GET", "/greet/v1/items/1", http.Header{"Api-Key": {"pk_x"}}, statusOAuth2},
		{"api-key only: bearer", "POST", "/greet/v1/items", http.Header{"Authorization": {"Bearer abc"}},
			statusAPIKey},
		{"none: bearer", "GET", "/greet/v1/stream", http.Header{"Authorization": {"Bearer abc"}}, 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := do(t, c.method, srv.URL+c.path, c.header)
			if r.status != c.status {
				t.Fatalf("got %d %q, want %d", r.status, r.body, c.status)
			}
			if c.status == 200 {
				be.next(t)
			}
		})
	}
	if len(be.seen) != 0 {
		t.Fatalf("backend saw %d requests the policies answered", len(be.seen))
	}
}

// TestCredentialHeadersDropped: whatever the authentication policy let through, the credential headers of the
// security that authenticated the request never reach the backend; other Authorization schemes of an operation that
// went the api-key way do.
func TestCredentialHeadersDropped(t *testing.T) {
	be := newBackend(t)
	g, srv := newGateway(t, Config{Plugins: testHost(t), Builtins: standIns(map[string][]byte{
		builtinAPIKey: guestPass, builtinOAuth2: guestPass})})
	mustUpdate(t, g, newState(1, securedAPI(be.URL)))
	cases := []struct {
		name          string
		method, path  string
		header        http.Header
		apiKey, authz string // what the backend must see
	}{
		{"either via bearer", "GET", "/greet/v1/hello",
			http.Header{"Authorization": {"Bearer abc"}, "Api-Key": {"pk_x"}}, "", ""},
		{"either via api key", "GET", "/greet/v1/hello",
			http.Header{"Authorization": {"Basic YTpi"}, "Api-Key": {"pk_x"}}, "", "Basic YTpi"},
		{"oauth2 only", "GET", "/greet/v1/items/1", http.Header{"Authorization": {"Bearer abc"}}, "", ""},
		{"api-key only", "POST", "/greet/v1/items",
			http.Header{"Authorization": {"Bearer abc"}, "Api-Key": {"pk_x"}}, "", "Bearer abc"},
		{"none", "GET", "/greet/v1/stream",
			http.Header{"Authorization": {"Bearer abc"}, "Api-Key": {"pk_x"}}, "pk_x", "Bearer abc"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if r := do(t, c.method, srv.URL+c.path, c.header); r.status != 200 {
				t.Fatalf("got %d %q, want 200", r.status, r.body)
			}
			h := be.next(t).Header
			if got := strings.Join(h.Values("Api-Key"), ","); got != c.apiKey {
				t.Errorf("backend Api-Key: got %q, want %q", got, c.apiKey)
			}
			if got := strings.Join(h.Values("Authorization"), ","); got != c.authz {
				t.Errorf("backend Authorization: got %q, want %q", got, c.authz)
			}
		})
	}
}

var corsBlock = &state.CORS{Origins: []string{"https://app.example"}, Methods: []string{"GET", "POST"},
	Headers: []string{"content-type", "api-key"}, MaxAge: 600}

func withCORS(a *state.API) { a.CORS = corsBlock }

// TestCORSRunsFirst: the cors policy runs before authentication on every operation of an API with a cors block,
// also on operations without security; an API without one runs no cors policy.
func TestCORSRunsFirst(t *testing.T) {
	be := newBackend(t)
	cases := []struct {
		name   string
		cors   []byte
		api    *state.API
		path   string
		status int
	}{
		{"cors answers before api-key", guestStatus(statusCORS), securedAPI(be.URL, withCORS), "/greet/v1/hello",
			statusCORS},
		{"cors answers before oauth2", guestStatus(statusCORS), securedAPI(be.URL, withCORS),
			"/greet/v1/items/1", statusCORS},
		{"cors on an open operation", guestStatus(statusCORS), securedAPI(be.URL, withCORS), "/greet/v1/stream",
			statusCORS},
		{"authentication runs after cors", guestPass, securedAPI(be.URL, withCORS), "/greet/v1/hello",
			statusAPIKey},
		{"no cors block, no cors policy", guestStatus(statusCORS), securedAPI(be.URL), "/greet/v1/hello",
			statusAPIKey},
		{"no cors block, open operation", guestStatus(statusCORS), securedAPI(be.URL), "/greet/v1/stream", 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, srv := newGateway(t, Config{Plugins: testHost(t), Builtins: standIns(map[string][]byte{
				builtinAPIKey: guestStatus(statusAPIKey), builtinOAuth2: guestStatus(statusOAuth2),
				builtinCORS: c.cors})})
			mustUpdate(t, g, newState(1, c.api))
			if r := do(t, http.MethodGet, srv.URL+c.path, nil); r.status != c.status {
				t.Fatalf("got %d %q, want %d", r.status, r.body, c.status)
			}
			if c.status == 200 {
				be.next(t)
			}
		})
	}
}

// preflightHeader is the header of a CORS preflight for a POST from https://app.example.
func preflightHeader() http.Header {
	return http.Header{"Origin": {"https://app.example"}, "Access-Control-Request-Method": {"POST"}}
}

// TestPreflightRouting: a CORS preflight to the path of any operation of an API with a cors block runs only the cors
// policy; other OPTIONS requests and APIs without a cors block are routed as before (405).
func TestPreflightRouting(t *testing.T) {
	be := newBackend(t)
	plain := securedAPI(be.URL, func(a *state.API) { a.Name, a.Context = "plain", "/plain" })
	blocked := securedAPI(be.URL, withCORS, withLifecycle(state.Blocked), func(a *state.API) {
		a.Name, a.Context = "blocked", "/blocked"
	})
	internal := securedAPI(be.URL, withCORS, withAccess(state.AccessInternal), func(a *state.API) {
		a.Name, a.Context = "inside", "/inside"
	})
	declared := securedAPI(be.URL, withCORS, func(a *state.API) {
		a.Name, a.Context = "declared", "/declared"
		a.Operations = append(a.Operations, state.Operation{Method: http.MethodOptions, Path: "/hello"})
	})
	g, srv := newGateway(t, Config{Plugins: testHost(t), Builtins: standIns(map[string][]byte{
		builtinAPIKey: guestStatus(statusAPIKey), builtinOAuth2: guestStatus(statusOAuth2),
		builtinCORS: guestStatus(http.StatusNoContent)})})
	internalSrv := newInternal(t, g)
	mustUpdate(t, g, newState(1, securedAPI(be.URL, withCORS), plain, blocked, internal, declared))
	origin := http.Header{"Origin": {"https://app.example"}}
	acrm := http.Header{"Access-Control-Request-Method": {"POST"}}
	cases := []struct {
		name   string
		base   string
		path   string
		header http.Header
		status int
	}{
		{"path of a GET operation", srv.URL, "/greet/v1/hello", preflightHeader(), 204},
		{"path of a POST-only operation", srv.URL, "/greet/v1/items", preflightHeader(), 204},
		{"path of an oauth2 operation", srv.URL, "/greet/v1/items/7", preflightHeader(), 204},
		{"exact version", srv.URL, "/greet/v1.0/hello", preflightHeader(), 204},
		{"no operation at the path", srv.URL, "/greet/v1/nothing", preflightHeader(), 404},
		{"no API at the path", srv.URL, "/nope/v1/hello", preflightHeader(), 404},
		{"OPTIONS without Access-Control-Request-Method", srv.URL, "/greet/v1/hello", origin, 405},
		{"OPTIONS without Origin", srv.URL, "/greet/v1/hello", acrm, 405},
		{"API without a cors block", srv.URL, "/plain/v1/hello", preflightHeader(), 405},
		{"blocked API", srv.URL, "/blocked/v1.0/hello", preflightHeader(), 503},
		{"internal API on the public listener", srv.URL, "/inside/v1/hello", preflightHeader(), 404},
		{"internal API on the internal listener", internalSrv.URL, "/inside/v1/hello", preflightHeader(), 204},
		{"a declared OPTIONS operation still gets the preflight", srv.URL, "/declared/v1/hello", preflightHeader(),
			204},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := do(t, http.MethodOptions, c.base+c.path, c.header)
			if c.status >= 400 {
				checkWireError(t, r, c.status, wireCode(c.status))
				return
			}
			if r.status != c.status {
				t.Fatalf("got %d %q, want %d", r.status, r.body, c.status)
			}
		})
	}
	if len(be.seen) != 0 {
		t.Fatalf("backend saw %d preflights, want 0", len(be.seen))
	}
}

// TestPreflightNeverProxied: a preflight the cors policy does not answer fails closed instead of reaching the
// backend unauthenticated.
func TestPreflightNeverProxied(t *testing.T) {
	be := newBackend(t)
	g, srv := newGateway(t, Config{Plugins: testHost(t), Builtins: standIns(map[string][]byte{
		builtinAPIKey: guestPass, builtinOAuth2: guestPass, builtinCORS: guestPass})})
	mustUpdate(t, g, newState(1, securedAPI(be.URL, withCORS)))
	checkWireError(t, do(t, http.MethodOptions, srv.URL+"/greet/v1/hello", preflightHeader()), 500, "internal")
	if len(be.seen) != 0 {
		t.Fatal("backend saw the preflight")
	}
}
