package builtin_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"portico/plugins"
	"portico/plugins/abi"
)

// jwtLike builds a token with the shape of a signed JWT (three base64url segments) that differs by tag; the fake
// store only compares strings.
func jwtLike(tag string) string {
	return "eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0." +
		"eyJpc3MiOiJodHRwczovL3BvcnRpY28udGVzdCIsInN1YiI6ImFsaWNlIiwidGFnIjoi" + tag + "In0." +
		strings.Repeat("c2lnbmF0dXJl", 7)
}

var (
	tokValid       = jwtLike("valid")
	tokReadOnly    = jwtLike("read-only")
	tokNoScope     = jwtLike("no-scope")
	tokScopePrefix = jwtLike("scope-prefix")
	tokOtherAPI    = jwtLike("other-api")
	tokUnsubscribe = jwtLike("unsubscribed")
	tokBlocked     = jwtLike("blocked")
	tokOddVerdict  = jwtLike("odd-verdict")
	tokUnknown     = jwtLike("unknown")
)

// validIdentity is the identity of tokValid: a cluster token of app-1 in sandbox.
var validIdentity = plugins.Identity{App: "app-1", Env: "sandbox", Subscription: "sub-1", Plan: "Gold", Sub: "alice",
	Scope: "openid items:read items:write", ClientID: "client-1", TokenID: "jti-1", Issuer: "https://portico.test"}

func withScope(scope string) plugins.Identity {
	who := validIdentity
	who.Scope = scope
	return who
}

var testTokens = map[string]fakeToken{
	tokValid:       {abi.AuthOK, validIdentity},
	tokReadOnly:    {abi.AuthOK, withScope("items:read")},
	tokNoScope:     {abi.AuthOK, withScope("")},
	tokScopePrefix: {abi.AuthOK, withScope("items:readonly xitems:read items:rea")},
	tokOtherAPI:    {verdict: abi.AuthWrongAPI},
	tokUnsubscribe: {verdict: abi.AuthNotSubscribed},
	tokBlocked:     {verdict: abi.AuthInactive},
	tokOddVerdict:  {verdict: 99},
}

// countingStore counts the authenticate calls that reach the credential store.
type countingStore struct {
	fakeCredentials
	calls *atomic.Int32
}

func (s countingStore) Authenticate(kind uint32, credential string) (int32, plugins.Identity) {
	s.calls.Add(1)
	return s.fakeCredentials.Authenticate(kind, credential)
}

var _ plugins.CredentialStore = countingStore{}

// bearerRequest is a request to GET /hello with the given Authorization header values (none when nil).
func bearerRequest(authorization ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/greet/v1/hello?name=x", nil)
	r.Header.Set("X-Other", "kept")
	if authorization != nil {
		r.Header["Authorization"] = authorization
	}
	return r
}

const (
	challengeBare    = `Bearer realm="portico"`
	challengeRequest = `Bearer realm="portico", error="invalid_request"`
	challengeToken   = `Bearer realm="portico", error="invalid_token"`
	msgMissing       = "an OAuth2 access token is required (Authorization: Bearer ...)"
	msgInvalid       = "invalid, expired or revoked access token"
)

// oauth2Case is one request through the oauth2 policy. status 0 means the request must continue upstream.
type oauth2Case struct {
	name          string
	authorization []string
	status        int
	code, message string
	challenge     string // WWW-Authenticate, "" for none
	authCalls     int32  // authenticate calls that reach the store
}

func TestOAuth2Policy(t *testing.T) {
	huge := strings.Repeat("a", 16<<10+1)
	tests := []oauth2Case{
		{name: "no header", status: 401, code: "unauthorized", message: msgMissing, challenge: challengeBare},
		{name: "empty header", authorization: []string{""}, status: 401, code: "unauthorized", message: msgMissing,
			challenge: challengeBare},
		{name: "basic scheme", authorization: []string{"Basic YWxpY2U6c2VjcmV0"}, status: 401, code: "unauthorized",
			message: msgMissing, challenge: challengeBare},
		{name: "longer scheme", authorization: []string{"Bearerx " + tokValid}, status: 401, code: "unauthorized",
			message: msgMissing, challenge: challengeBare},
		{name: "tab after the scheme", authorization: []string{"Bearer\t" + tokValid}, status: 401,
			code: "unauthorized", message: msgMissing, challenge: challengeBare},
		{name: "scheme only", authorization: []string{"Bearer"}, status: 401, code: "invalid_request",
			message: "malformed Bearer access token", challenge: challengeRequest},
		{name: "space inside the token", authorization: []string{"Bearer " + tokValid + " x"}, status: 401,
			code: "invalid_request", message: "malformed Bearer access token", challenge: challengeRequest},
		{name: "comma inside the token", authorization: []string{"Bearer a,b"}, status: 401,
			code: "invalid_request", message: "malformed Bearer access token", challenge: challengeRequest},
		{name: "bad last byte of a long token", authorization: []string{"Bearer " + tokValid + "!"}, status: 401,
			code: "invalid_request", message: "malformed Bearer access token", challenge: challengeRequest},
		{name: "bad first byte of a long token", authorization: []string{"Bearer !" + tokValid}, status: 401,
			code: "invalid_request", message: "malformed Bearer access token", challenge: challengeRequest},
		{name: "padding first", authorization: []string{"Bearer =abc"}, status: 401,
			code: "invalid_request", message: "malformed Bearer access token", challenge: challengeRequest},
		{name: "padding only", authorization: []string{"Bearer =="}, status: 401,
			code: "invalid_request", message: "malformed Bearer access token", challenge: challengeRequest},
		{name: "non-ASCII in the token", authorization: []string{"Bearer " + tokValid[:40] + "é" + tokValid[40:]},
			status: 401, code: "invalid_request", message: "malformed Bearer access token", challenge: challengeRequest},
		{name: "two headers", authorization: []string{"Bearer " + tokValid, "Bearer " + tokValid}, status: 401,
			code: "invalid_request", message: "more than one Authorization header", challenge: challengeRequest},
		{name: "unknown token", authorization: []string{"Bearer " + tokUnknown}, status: 401, code: "unauthorized",
			message: msgInvalid, challenge: challengeToken, authCalls: 1},
		{name: "padded unknown token", authorization: []string{"Bearer abc=="}, status: 401, code: "unauthorized",
			message: msgInvalid, challenge: challengeToken, authCalls: 1},
		{name: "unknown token of one block", authorization: []string{"Bearer " + strings.Repeat("A", 64)}, status: 401,
			code: "unauthorized", message: msgInvalid, challenge: challengeToken, authCalls: 1},
		{name: "padded unknown long token", authorization: []string{"Bearer " + tokUnknown + "="}, status: 401,
			code: "unauthorized", message: msgInvalid, challenge: challengeToken, authCalls: 1},
		{name: "token over the size limit", authorization: []string{"Bearer " + huge}, status: 401,
			code: "unauthorized", message: msgInvalid, challenge: challengeToken},
		{name: "token of another API", authorization: []string{"Bearer " + tokOtherAPI}, status: 403,
			code: "forbidden", message: "access token is not valid for this API", authCalls: 1},
		{name: "not subscribed", authorization: []string{"Bearer " + tokUnsubscribe}, status: 403,
			code: "forbidden", message: "application is not subscribed to this API", authCalls: 1},
		{name: "blocked subscription", authorization: []string{"Bearer " + tokBlocked}, status: 403,
			code: "forbidden", message: "subscription is blocked", authCalls: 1},
		{name: "unexpected verdict fails closed", authorization: []string{"Bearer " + tokOddVerdict}, status: 401,
			code: "unauthorized", message: msgInvalid, challenge: challengeToken, authCalls: 1},
		{name: "valid", authorization: []string{"Bearer " + tokValid}, authCalls: 1},
		{name: "scheme in lower case, several spaces", authorization: []string{"bearer   " + tokValid}, authCalls: 1},
		{name: "scheme in upper case", authorization: []string{"BEARER " + tokValid}, authCalls: 1},
	}
	runOAuth2Cases(t, "", tests)
}

func TestOAuth2PolicyScopes(t *testing.T) {
	one := `Bearer realm="portico", error="insufficient_scope", scope="items:read"`
	two := `Bearer realm="portico", error="insufficient_scope", scope="items:read items:write"`
	tests := []struct {
		config string
		cases  []oauth2Case
	}{
		{`{"scopes": ["items:read"]}`, []oauth2Case{
			{name: "granted among others", authorization: []string{"Bearer " + tokValid}, authCalls: 1},
			{name: "granted alone", authorization: []string{"Bearer " + tokReadOnly}, authCalls: 1},
			{name: "no scope granted", authorization: []string{"Bearer " + tokNoScope}, status: 403,
				code: "insufficient_scope", message: `the access token does not grant the required scope "items:read"`,
				challenge: one, authCalls: 1},
			{name: "only scopes sharing a prefix", authorization: []string{"Bearer " + tokScopePrefix}, status: 403,
				code: "insufficient_scope", message: `the access token does not grant the required scope "items:read"`,
				challenge: one, authCalls: 1},
			{name: "invalid token before scopes", authorization: []string{"Bearer " + tokUnknown}, status: 401,
				code: "unauthorized", message: msgInvalid, challenge: challengeToken, authCalls: 1},
		}},
		{`{"scopes": ["items:read", "items:write"]}`, []oauth2Case{
			{name: "both granted", authorization: []string{"Bearer " + tokValid}, authCalls: 1},
			{name: "one missing", authorization: []string{"Bearer " + tokReadOnly}, status: 403,
				code: "insufficient_scope", message: `the access token does not grant the required scope "items:write"`,
				challenge: two, authCalls: 1},
		}},
		{`{"scopes": []}`, []oauth2Case{
			{name: "none required", authorization: []string{"Bearer " + tokNoScope}, authCalls: 1},
		}},
		{`{}`, []oauth2Case{
			{name: "none configured", authorization: []string{"Bearer " + tokNoScope}, authCalls: 1},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.config, func(t *testing.T) { runOAuth2Cases(t, tt.config, tt.cases) })
	}
}

func runOAuth2Cases(t *testing.T, config string, tests []oauth2Case) {
	pool := policyPool(t, "oauth2", config)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			x := exchangeOn(bearerRequest(tt.authorization...), countingStore{testCreds, &calls})
			next, pending := runRequest(t, pool, x)
			if pending != nil {
				t.Errorf("got a pending response phase, want none (the policy skips it)")
			}
			if calls.Load() != tt.authCalls {
				t.Errorf("authenticate calls: got %d, want %d", calls.Load(), tt.authCalls)
			}
			if tt.status == 0 {
				checkBearerAccepted(t, x, next)
				return
			}
			checkBearerRejected(t, x, next, tt)
		})
	}
	if logs := shared.logs.String(); strings.Contains(logs, tokValid) {
		t.Errorf("log: got a token in %q, want none", logs)
	}
}

func checkBearerAccepted(t *testing.T, x *plugins.Exchange, next bool) {
	t.Helper()
	if !next || x.Responded() {
		t.Fatalf("got next %v, responded %v, want next true, responded false", next, x.Responded())
	}
	if got := x.Property(abi.PropAuthApp); got != "app-1" {
		t.Errorf("property %s: got %q, want app-1", abi.PropAuthApp, got)
	}
	out := x.Request()
	if got, ok := out.Header["Authorization"]; ok {
		t.Errorf("outbound Authorization: got %d values, want absent", len(got))
	}
	if got := out.Header.Get("X-Other"); got != "kept" {
		t.Errorf("outbound header X-Other: got %q, want kept", got)
	}
}

func checkBearerRejected(t *testing.T, x *plugins.Exchange, next bool, tt oauth2Case) {
	t.Helper()
	if next || !x.Responded() {
		t.Fatalf("got next %v, responded %v, want next false, responded true", next, x.Responded())
	}
	rec, body := guestResponse(t, x)
	if rec.Code != tt.status {
		t.Errorf("status: got %d, want %d", rec.Code, tt.status)
	}
	if got := rec.Header().Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type: got %q, want application/json", got)
	}
	if want := (wireError{tt.code, tt.message, "req-42"}); body != want {
		t.Errorf("body: got %+v, want %+v", body, want)
	}
	if got := rec.Header().Values("Www-Authenticate"); tt.challenge == "" && len(got) > 0 ||
		tt.challenge != "" && (len(got) != 1 || got[0] != tt.challenge) {
		t.Errorf("WWW-Authenticate: got %q, want %q", got, tt.challenge)
	}
}

// TestOAuth2PolicyBadConfig checks that a bad config is refused when the pool is created and that the reason reaches
// the log.
func TestOAuth2PolicyBadConfig(t *testing.T) {
	host, module := policyModule(t, "oauth2")
	many := make([]string, 65)
	for i := range many {
		many[i] = strconv.Quote("s" + strconv.Itoa(i))
	}
	tests := []struct{ config, reason string }{
		{`{"scopes": [""]}`, `scope \"\" is not a valid scope token`},
		{`{"scopes": ["items read"]}`, `scope \"items read\" is not a valid scope token`},
		{`{"scopes": ["a\"b"]}`, `is not a valid scope token`},
		{`{"scopes": ["a\\b"]}`, `is not a valid scope token`},
		{`{"scope": ["x"]}`, `unknown field`},
		{`{"scopes": "x"}`, `cannot unmarshal string`},
		{`{"scopes": []} trailing`, `data after the JSON object`},
		{`{"scopes": [` + strings.Join(many, ",") + `]}`, `65 scopes, want at most 64`},
	}
	for _, tt := range tests {
		t.Run(tt.config, func(t *testing.T) {
			shared.logs.Reset()
			pool, err := host.Pool(context.Background(), module, "oauth2", []byte(tt.config))
			if err == nil {
				pool.Release()
				t.Fatalf("got no error, want the config refused")
			}
			if got := shared.logs.String(); !strings.Contains(got, "oauth2 config") || !strings.Contains(got, tt.reason) {
				t.Errorf("log: got %q, want the reason %q", got, tt.reason)
			}
		})
	}
}

// BenchmarkOAuth2Policy is a valid token on an operation that requires a scope.
func BenchmarkOAuth2Policy(b *testing.B) {
	benchmarkOAuth2(b, `{"scopes": ["items:read"]}`)
}

// BenchmarkOAuth2PolicyNoScope is a valid token on an operation that requires none, as in deploy/bench/load.sh.
func BenchmarkOAuth2PolicyNoScope(b *testing.B) {
	benchmarkOAuth2(b, "")
}

func benchmarkOAuth2(b *testing.B, config string) {
	pool := policyPool(b, "oauth2", config)
	r := bearerRequest("Bearer " + tokValid) // inbound requests are read-only: one serves every iteration
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		x := exchangeFor(r)
		next, pending, err := pool.Request(ctx, x)
		if err != nil || !next || pending != nil {
			b.Fatalf("got next %v, pending %v, err %v, want next true, no pending, no error", next, pending != nil, err)
		}
	}
}
