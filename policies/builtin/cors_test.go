package builtin_test

import (
	"context"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"portico/plugins"
)

// CORS configs of the tests, as the gateway passes an API file's cors block.
const (
	corsListed = `{"origins": ["https://app.example", "https://other.example:8443"], "methods": ["GET", "PUT"],
		"headers": ["Content-Type", "api-key"], "credentials": true, "maxAge": 600}`
	corsAny          = `{"origins": ["*"]}`
	corsAnyCreds     = `{"origins": ["*"], "credentials": true, "maxAge": 0}`
	corsUpperConfig  = `{"origins": ["HTTPS://App.Example"], "methods": ["GET"], "headers": ["X-Trace"]}`
	varyPreflight    = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
	originApp        = "https://app.example"
	originOther      = "https://other.example:8443"
	originEvil       = "https://evil.example"
	refusedPrefix    = "CORS preflight refused: "
	headerAllowOrig  = "Access-Control-Allow-Origin"
	headerAllowCreds = "Access-Control-Allow-Credentials"
)

// corsRequest builds a request with method and headers given as name, value pairs (a name may repeat).
func corsRequest(method string, headers ...string) *http.Request {
	r := httptest.NewRequest(method, "/greet/v1/hello", nil)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Add(headers[i], headers[i+1])
	}
	return r
}

func preflightRequest(origin, method string, requested ...string) *http.Request {
	h := []string{"Origin", origin, "Access-Control-Request-Method", method}
	for _, v := range requested {
		h = append(h, "Access-Control-Request-Headers", v)
	}
	return corsRequest(http.MethodOptions, h...)
}

func TestCORSPreflight(t *testing.T) {
	listed := http.Header{
		"Access-Control-Allow-Origin":      {originApp},
		"Access-Control-Allow-Methods":     {"GET, PUT"},
		"Access-Control-Allow-Headers":     {"content-type, api-key"},
		"Access-Control-Max-Age":           {"600"},
		"Access-Control-Allow-Credentials": {"true"},
		"Vary":                             {varyPreflight},
	}
	with := func(h http.Header, k, v string) http.Header {
		h = h.Clone()
		h.Set(k, v)
		return h
	}
	anyOrigin := http.Header{
		"Access-Control-Allow-Origin":  {"*"},
		"Access-Control-Allow-Methods": {"GET, HEAD, POST"},
		"Vary":                         {varyPreflight},
	}
	tests := []struct {
		name, config string
		r            *http.Request
		want         http.Header // the CORS headers of a 204; nil for a 403 refusal
		refusal      string      // message of the 403 after the prefix
	}{
		{"listed origin, method and headers", corsListed,
			preflightRequest(originApp, "PUT", "content-type, API-Key"), listed, ""},
		{"no requested headers", corsListed, preflightRequest(originApp, "GET"), listed, ""},
		{"headers over two lines, empty entries", corsListed,
			preflightRequest(originApp, "GET", "content-type,, ", "api-key"), listed, ""},
		{"second origin with its port", corsListed, preflightRequest(originOther, "GET"),
			with(listed, headerAllowOrig, originOther), ""},
		{"origin in upper case", corsListed, preflightRequest("HTTPS://APP.EXAMPLE", "GET"),
			with(listed, headerAllowOrig, "HTTPS://APP.EXAMPLE"), ""},
		{"origin not listed", corsListed, preflightRequest(originEvil, "GET"), nil,
			`origin "https://evil.example" is not allowed`},
		{"listed host, other port", corsListed, preflightRequest("https://other.example", "GET"), nil,
			`origin "https://other.example" is not allowed`},
		{"listed host, other scheme", corsListed, preflightRequest("http://app.example", "GET"), nil,
			`origin "http://app.example" is not allowed`},
		{"null origin", corsListed, preflightRequest("null", "GET"), nil, `origin "null" is not allowed`},
		{"long origin is cut in the message", corsListed,
			preflightRequest("https://"+strings.Repeat("a", 200)+".example", "GET"), nil,
			`origin "https://` + strings.Repeat("a", 120) + `"... is not allowed`},
		{"method not listed", corsListed, preflightRequest(originApp, "DELETE"), nil,
			`method "DELETE" is not allowed`},
		{"method in lower case", corsListed, preflightRequest(originApp, "put"), nil, `method "put" is not allowed`},
		{"empty method", corsListed, preflightRequest(originApp, ""), nil, `method "" is not allowed`},
		{"one header not listed", corsListed, preflightRequest(originApp, "GET", "content-type, x-secret"), nil,
			`header "x-secret" is not allowed`},
		{"header not listed on a second line", corsListed, preflightRequest(originApp, "GET", "api-key", "X-Other"),
			nil, `header "x-other" is not allowed`},
		{"any origin", corsAny, preflightRequest(originEvil, "POST"), anyOrigin, ""},
		{"any origin, default methods", corsAny, preflightRequest(originEvil, "PUT"), nil,
			`method "PUT" is not allowed`},
		{"any origin, no header allowed", corsAny, preflightRequest(originEvil, "GET", "content-type"), nil,
			`header "content-type" is not allowed`},
		{"any origin with credentials echoes the origin", corsAnyCreds, preflightRequest(originEvil, "HEAD"),
			http.Header{
				"Access-Control-Allow-Origin":      {originEvil},
				"Access-Control-Allow-Methods":     {"GET, HEAD, POST"},
				"Access-Control-Allow-Credentials": {"true"},
				"Vary":                             {varyPreflight},
			}, ""},
		{"origin listed in upper case", corsUpperConfig, preflightRequest(originApp, "GET", "x-trace"),
			http.Header{
				"Access-Control-Allow-Origin":  {originApp},
				"Access-Control-Allow-Methods": {"GET"},
				"Access-Control-Allow-Headers": {"x-trace"},
				"Vary":                         {varyPreflight},
			}, ""},
	}
	pools := corsPools(t, corsListed, corsAny, corsAnyCreds, corsUpperConfig)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := exchangeFor(tt.r)
			next, pending := runRequest(t, pools[tt.config], x)
			if next || pending != nil || !x.Responded() {
				t.Fatalf("got next %v, pending %v, responded %v, want the policy to answer", next, pending != nil,
					x.Responded())
			}
			if tt.want != nil {
				checkPreflightAllowed(t, x, tt.want)
			} else {
				checkPreflightRefused(t, x, tt.refusal)
			}
		})
	}
}

// corsPools starts a cors pool per config, released when the test ends.
func corsPools(t *testing.T, configs ...string) map[string]*plugins.Pool {
	t.Helper()
	pools := make(map[string]*plugins.Pool, len(configs))
	for _, c := range configs {
		pools[c] = policyPool(t, "cors", c)
	}
	return pools
}

func checkPreflightAllowed(t *testing.T, x *plugins.Exchange, want http.Header) {
	t.Helper()
	rec, _ := guestResponse(t, x)
	if rec.Code != http.StatusNoContent || rec.Body.Len() != 0 {
		t.Errorf("got status %d with %d body bytes, want 204 without a body", rec.Code, rec.Body.Len())
	}
	got := corsHeaders(rec.Header())
	got["Vary"] = rec.Header()["Vary"]
	if !maps.EqualFunc(got, want, slices.Equal) {
		t.Errorf("headers: got %v, want %v", got, want)
	}
}

func checkPreflightRefused(t *testing.T, x *plugins.Exchange, refusal string) {
	t.Helper()
	rec, body := guestResponse(t, x)
	if rec.Code != http.StatusForbidden {
		t.Errorf("status: got %d, want 403", rec.Code)
	}
	if want := (wireError{"forbidden", refusedPrefix + refusal, "req-42"}); body != want {
		t.Errorf("body: got %+v, want %+v", body, want)
	}
	if got := corsHeaders(rec.Header()); len(got) > 0 {
		t.Errorf("CORS headers: got %v, want none on a refusal", got)
	}
}

// corsHeaders returns the Access-Control-* headers of h.
func corsHeaders(h http.Header) http.Header {
	out := http.Header{}
	for k, v := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			out[k] = v
		}
	}
	return out
}

func TestCORSActualRequest(t *testing.T) {
	tests := []struct {
		name, config string
		r            *http.Request
		upstream     http.Header // headers of the upstream response
		want         http.Header // CORS headers and Vary afterwards; nil: the policy skips the response phase
	}{
		{"listed origin", corsListed, corsRequest("GET", "Origin", originApp), http.Header{},
			http.Header{headerAllowOrig: {originApp}, headerAllowCreds: {"true"}, "Vary": {"Origin"}}},
		{"upstream Vary is kept", corsListed, corsRequest("PUT", "Origin", originOther),
			http.Header{"Vary": {"Accept-Encoding"}},
			http.Header{headerAllowOrig: {originOther}, headerAllowCreds: {"true"}, "Vary": {"Accept-Encoding", "Origin"}}},
		{"upstream Vary naming origin", corsListed, corsRequest("GET", "Origin", originApp),
			http.Header{"Vary": {"accept-encoding, origin"}},
			http.Header{headerAllowOrig: {originApp}, headerAllowCreds: {"true"}, "Vary": {"accept-encoding, origin"}}},
		{"upstream Vary star", corsListed, corsRequest("GET", "Origin", originApp), http.Header{"Vary": {"*"}},
			http.Header{headerAllowOrig: {originApp}, headerAllowCreds: {"true"}, "Vary": {"*"}}},
		{"upstream CORS header replaced", corsListed, corsRequest("GET", "Origin", originApp),
			http.Header{headerAllowOrig: {"*"}},
			http.Header{headerAllowOrig: {originApp}, headerAllowCreds: {"true"}, "Vary": {"Origin"}}},
		{"OPTIONS without Access-Control-Request-Method", corsListed, corsRequest("OPTIONS", "Origin", originApp),
			http.Header{}, http.Header{headerAllowOrig: {originApp}, headerAllowCreds: {"true"}, "Vary": {"Origin"}}},
		{"any origin", corsAny, corsRequest("GET", "Origin", originEvil), http.Header{},
			http.Header{headerAllowOrig: {"*"}, "Vary": {"Origin"}}},
		{"any origin with credentials", corsAnyCreds, corsRequest("POST", "Origin", originEvil), http.Header{},
			http.Header{headerAllowOrig: {originEvil}, headerAllowCreds: {"true"}, "Vary": {"Origin"}}},
		{"origin not listed", corsListed, corsRequest("GET", "Origin", originEvil), nil, nil},
		{"no origin", corsListed, corsRequest("GET"), nil, nil},
		{"preflight headers without origin", corsListed,
			corsRequest("OPTIONS", "Access-Control-Request-Method", "GET"), nil, nil},
	}
	pools := corsPools(t, corsListed, corsAny, corsAnyCreds, corsUpperConfig)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := exchangeFor(tt.r)
			next, pending := runRequest(t, pools[tt.config], x)
			if !next || x.Responded() {
				t.Fatalf("got next %v, responded %v, want the request to continue", next, x.Responded())
			}
			if out := x.Request(); out != tt.r {
				t.Errorf("outbound request: got a changed copy, want the inbound request untouched")
			}
			if (pending != nil) != (tt.want != nil) {
				t.Fatalf("pending response phase: got %v, want %v", pending != nil, tt.want != nil)
			}
			if pending == nil {
				return
			}
			resp := &http.Response{StatusCode: 200, Header: tt.upstream, Body: io.NopCloser(strings.NewReader("ok"))}
			x.SetUpstreamResponse(resp)
			if err := pending.Response(context.Background(), x, false); err != nil {
				t.Fatalf("running the response phase: %v", err)
			}
			got := corsHeaders(resp.Header)
			got["Vary"] = resp.Header["Vary"]
			if !maps.EqualFunc(got, tt.want, slices.Equal) {
				t.Errorf("response headers: got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestCORSOnRefusal checks that the response of a later policy that refuses the request (here apikey's 401) carries
// the CORS headers, so that the page can read the error, and that a failed upstream call gets none.
func TestCORSOnRefusal(t *testing.T) {
	cors := policyPool(t, "cors", corsListed)
	apikey := policyPool(t, "apikey", "")
	t.Run("later policy refuses", func(t *testing.T) {
		x := exchangeFor(corsRequest("GET", "Origin", originApp))
		next, pending := runRequest(t, cors, x)
		if !next || pending == nil {
			t.Fatalf("cors: got next %v, pending %v, want next with a response phase", next, pending != nil)
		}
		if next, _ = runRequest(t, apikey, x); next {
			t.Fatalf("apikey: got next true, want the request refused")
		}
		if err := pending.Response(context.Background(), x, false); err != nil {
			t.Fatalf("running the response phase: %v", err)
		}
		rec, body := guestResponse(t, x)
		if rec.Code != 401 || body.Error != "unauthorized" {
			t.Errorf("got %d %q, want 401 unauthorized", rec.Code, body.Error)
		}
		want := http.Header{headerAllowOrig: {originApp}, headerAllowCreds: {"true"}}
		if got := corsHeaders(rec.Header()); !maps.EqualFunc(got, want, slices.Equal) {
			t.Errorf("CORS headers: got %v, want %v", got, want)
		}
	})
	t.Run("upstream failed", func(t *testing.T) {
		x := exchangeFor(corsRequest("GET", "Origin", originApp))
		_, pending := runRequest(t, cors, x)
		if pending == nil {
			t.Fatal("got no pending response phase, want one")
		}
		if err := pending.Response(context.Background(), x, true); err != nil {
			t.Fatalf("running the response phase: %v", err)
		}
		rec, _ := guestResponse(t, x)
		if got := corsHeaders(rec.Header()); len(got) > 0 {
			t.Errorf("CORS headers: got %v, want none after a failed upstream call", got)
		}
	})
}

// TestCORSPolicyBadConfig checks that a bad config is refused when the pool is created and that the reason reaches
// the log.
func TestCORSPolicyBadConfig(t *testing.T) {
	host, module := policyModule(t, "cors")
	tests := []struct{ config, reason string }{
		{``, `cors config: required`},
		{`{}`, `origins: required`},
		{`{"origins": []}`, `origins: required`},
		{`{"origins": [""]}`, `origins: \"\" is not an origin`},
		{`{"origins": ["https://a b"]}`, `origins: \"https://a b\" is not an origin`},
		{`{"origins": ["*", "https://a.example"]}`, `\"*\" must be the only origin`},
		{`{"origins": ["*"], "methods": ["G T"]}`, `methods: \"G T\" is not a method`},
		{`{"origins": ["*"], "headers": ["x:y"]}`, `headers: \"x:y\" is not a header name`},
		{`{"origins": ["*"], "maxAge": -1}`, `maxAge: -1 is negative`},
		{`{"origins": ["*"], "origin": "x"}`, `unknown field`},
		{`{"origins": "*"}`, `cannot unmarshal string`},
		{`{"origins": ["*"]} trailing`, `data after the JSON object`},
	}
	for _, tt := range tests {
		t.Run(tt.config, func(t *testing.T) {
			shared.logs.Reset()
			pool, err := host.Pool(context.Background(), module, "cors", []byte(tt.config))
			if err == nil {
				pool.Release()
				t.Fatalf("got no error, want the config refused")
			}
			if got := shared.logs.String(); !strings.Contains(got, "cors config") || !strings.Contains(got, tt.reason) {
				t.Errorf("log: got %q, want the reason %q", got, tt.reason)
			}
		})
	}
}

func BenchmarkCORSPolicy(b *testing.B) {
	pool := policyPool(b, "cors", corsListed)
	ctx := context.Background()
	b.Run("actual", func(b *testing.B) {
		r := corsRequest("GET", "Origin", originApp) // inbound requests are read-only: one serves every iteration
		b.ReportAllocs()
		for b.Loop() {
			x := exchangeFor(r)
			next, pending, err := pool.Request(ctx, x)
			if err != nil || !next || pending == nil {
				b.Fatalf("got next %v, pending %v, err %v, want next with a response phase", next, pending != nil, err)
			}
			x.SetUpstreamResponse(&http.Response{StatusCode: 200, Header: http.Header{}, Body: http.NoBody})
			if err := pending.Response(ctx, x, false); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("preflight", func(b *testing.B) {
		r := preflightRequest(originApp, "PUT", "content-type, api-key")
		b.ReportAllocs()
		for b.Loop() {
			x := exchangeFor(r)
			next, _, err := pool.Request(ctx, x)
			if err != nil || next {
				b.Fatalf("got next %v, err %v, want the preflight answered", next, err)
			}
		}
	})
}
