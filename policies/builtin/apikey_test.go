package builtin_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"portico/plugins"
	"portico/plugins/abi"
)

// testKey is an API key of the test store with its credential record.
type testKey struct {
	id, secret string
	rec        []string // abi.EncodeRecord pairs
}

func (k testKey) String() string { return abi.FormatAPIKey(k.id, k.secret) }

var (
	keyValid = testKey{"0123456789abcdef", "c2VjcmV0LXZhbGlkLWtleQ", []string{
		abi.RecApp, "app-1", abi.RecEnv, "sandbox", abi.RecAPI, "greet", abi.RecMajor, "1",
		abi.RecSubscribed, "true", abi.RecSubStatus, "active", abi.RecSubscription, "sub-1", abi.RecPlan, "Gold"}}
	keyOtherAPI = testKey{"1123456789abcdef", "b3RoZXItYXBp", []string{
		abi.RecApp, "app-1", abi.RecEnv, "production", abi.RecAPI, "weather", abi.RecMajor, "1",
		abi.RecSubscribed, "true", abi.RecSubStatus, "active", abi.RecSubscription, "sub-2", abi.RecPlan, "Gold"}}
	keyOtherMajor = testKey{"2123456789abcdef", "b3RoZXItbWFqb3I", []string{
		abi.RecApp, "app-1", abi.RecEnv, "production", abi.RecAPI, "greet", abi.RecMajor, "2",
		abi.RecSubscribed, "true", abi.RecSubStatus, "active", abi.RecSubscription, "sub-3", abi.RecPlan, "Gold"}}
	keyUnsubscribed = testKey{"3123456789abcdef", "bm90LXN1YnNjcmliZWQ", []string{
		abi.RecApp, "app-2", abi.RecEnv, "production", abi.RecAPI, "greet", abi.RecMajor, "1",
		abi.RecSubscribed, "false"}}
	keyBlocked = testKey{"4123456789abcdef", "YmxvY2tlZA", []string{
		abi.RecApp, "app-3", abi.RecEnv, "production", abi.RecAPI, "greet", abi.RecMajor, "1",
		abi.RecSubscribed, "true", abi.RecSubStatus, "blocked", abi.RecSubscription, "sub-4", abi.RecPlan, "Bronze"}}
)

func newKeys(keys ...testKey) map[string]fakeKey {
	m := make(map[string]fakeKey, len(keys))
	for _, k := range keys {
		m[k.id] = fakeKey{hash: sha256.Sum256([]byte(k.String())), record: abi.EncodeRecord(k.rec...)}
	}
	return m
}

func apikeyPool(tb testing.TB, config string) *plugins.Pool {
	tb.Helper()
	return policyPool(tb, "apikey", config)
}

// newExchange builds the exchange of a request to the operation GET /hello of API greet 1.0.
func newExchange(header, key string, setKey bool) *plugins.Exchange {
	return exchangeFor(newRequest(header, key, setKey))
}

func newRequest(header, key string, setKey bool) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/greet/v1/hello?name=x", nil)
	r.Header.Set("X-Other", "kept")
	if setKey {
		r.Header[http.CanonicalHeaderKey(header)] = []string{key}
	}
	return r
}

func TestAPIKeyPolicy(t *testing.T) {
	pool := apikeyPool(t, "")
	valid := keyValid.String()
	changed := []byte(valid)
	changed[len(changed)-3] ^= 1 // one character of the secret
	tests := []struct {
		name    string
		key     string
		noKey   bool
		twice   bool   // the header twice
		status  int    // 0: the request continues
		message string // of the error response
	}{
		{name: "no header", noKey: true, status: 401, message: "missing API key"},
		{name: "empty header", key: "", status: 401, message: "missing API key"},
		{name: "malformed key", key: "not-a-key", status: 401, message: "invalid API key"},
		{name: "uppercase id", key: abi.FormatAPIKey("0123456789ABCDEF", keyValid.secret), status: 401, message: "invalid API key"},
		{name: "unknown id", key: abi.FormatAPIKey("fedcba9876543210", keyValid.secret), status: 401, message: "invalid API key"},
		{name: "right id wrong secret", key: abi.FormatAPIKey(keyValid.id, "d3Jvbmc"), status: 401, message: "invalid API key"},
		{name: "one character changed", key: string(changed), status: 401, message: "invalid API key"},
		{name: "trailing newline", key: valid + "\n", status: 401, message: "invalid API key"},
		{name: "trailing space", key: valid + " ", status: 401, message: "invalid API key"},
		{name: "key of another API", key: keyOtherAPI.String(), status: 403, message: "API key is not valid for this API"},
		{name: "key of another major version", key: keyOtherMajor.String(), status: 403, message: "API key is not valid for this API"},
		{name: "not subscribed", key: keyUnsubscribed.String(), status: 403, message: "application is not subscribed to this API"},
		{name: "blocked subscription", key: keyBlocked.String(), status: 403, message: "subscription is blocked"},
		{name: "valid", key: valid},
		{name: "two keys, both valid", key: valid, twice: true, status: 401, message: "more than one API key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := newExchange("api-key", tt.key, !tt.noKey)
			if tt.twice {
				r := newRequest("api-key", tt.key, true)
				r.Header.Add("Api-Key", tt.key)
				x = exchangeFor(r)
			}
			next, pending, err := pool.Request(context.Background(), x)
			if err != nil {
				t.Fatalf("running the policy: %v", err)
			}
			if pending != nil {
				t.Errorf("got a pending response phase, want none (the policy skips it)")
				_ = pending.Response(context.Background(), x, false)
			}
			if tt.status == 0 {
				checkAccepted(t, x, next, "api-key")
				return
			}
			checkRejected(t, x, next, tt.status, tt.message)
		})
	}
	if logs := shared.logs.String(); strings.Contains(logs, keyValid.secret) {
		t.Errorf("log: got a secret in %q, want none", logs)
	}
}

func checkAccepted(t *testing.T, x *plugins.Exchange, next bool, header string) {
	t.Helper()
	if !next || x.Responded() {
		t.Fatalf("got next %v, responded %v, want next true, responded false", next, x.Responded())
	}
	props := map[string]string{
		abi.PropAuthApp: "app-1", abi.PropAuthEnv: "sandbox", abi.PropAuthKeyID: keyValid.id,
		abi.PropAuthSubscription: "sub-1", abi.PropAuthPlan: "Gold",
	}
	for k, want := range props {
		if got := x.Property(k); got != want {
			t.Errorf("property %s: got %q, want %q", k, got, want)
		}
	}
	out := x.Request()
	if got, ok := out.Header[http.CanonicalHeaderKey(header)]; ok {
		t.Errorf("outbound header %s: got %d values, want absent", header, len(got))
	}
	if got := out.Header.Get("X-Other"); got != "kept" {
		t.Errorf("outbound header X-Other: got %q, want %q", got, "kept")
	}
}

func checkRejected(t *testing.T, x *plugins.Exchange, next bool, status int, message string) {
	t.Helper()
	if next || !x.Responded() {
		t.Fatalf("got next %v, responded %v, want next false, responded true", next, x.Responded())
	}
	rec := httptest.NewRecorder()
	x.WriteResponse(rec)
	if rec.Code != status {
		t.Errorf("status: got %d, want %d", rec.Code, status)
	}
	if got := rec.Header().Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type: got %q, want application/json", got)
	}
	want := wireError{Error: "unauthorized", Message: message, RequestID: "req-42"}
	if status == 403 {
		want.Error = "forbidden"
	}
	var got wireError
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("body %q: %v", rec.Body.Bytes(), err)
	}
	if got != want {
		t.Errorf("body: got %+v, want %+v", got, want)
	}
	if x.Property(abi.PropAuthApp) != "" {
		t.Errorf("property auth.app: got %q, want unset", x.Property(abi.PropAuthApp))
	}
}

func TestAPIKeyPolicyHeaderConfig(t *testing.T) {
	pool := apikeyPool(t, `{"header": "X-Key"}`)
	tests := []struct {
		name   string
		header string
		next   bool
	}{
		{"configured header", "x-key", true},
		{"default header ignored", "api-key", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := newExchange(tt.header, keyValid.String(), true)
			next, _, err := pool.Request(context.Background(), x)
			if err != nil {
				t.Fatalf("running the policy: %v", err)
			}
			if next != tt.next {
				t.Fatalf("got next %v, want %v", next, tt.next)
			}
			if next {
				checkAccepted(t, x, next, tt.header)
			}
		})
	}
}

// TestAPIKeyPolicyBadConfig checks that a bad config is refused when the pool is created and that the reason reaches
// the log.
func TestAPIKeyPolicyBadConfig(t *testing.T) {
	host, module := policyModule(t, "apikey")
	ctx := context.Background()
	tests := []struct{ config, reason string }{
		{`{"header": ""}`, `header \"\" is not a valid header name`},
		{`{"header": "bad header"}`, `header \"bad header\" is not a valid header name`},
		{`{"heder": "x"}`, `unknown field`},
		{`{"header": 1}`, `cannot unmarshal number`},
		{`not json`, `invalid character`},
		{`{"header": "x"} trailing`, `data after the JSON object`},
	}
	for _, tt := range tests {
		t.Run(tt.config, func(t *testing.T) {
			shared.logs.Reset()
			pool, err := host.Pool(ctx, module, "apikey", []byte(tt.config))
			if err == nil {
				pool.Release()
				t.Fatalf("got no error, want the config refused")
			}
			if got := shared.logs.String(); !strings.Contains(got, "apikey config") || !strings.Contains(got, tt.reason) {
				t.Errorf("log: got %q, want the reason %q", got, tt.reason)
			}
		})
	}
}

func BenchmarkAPIKeyPolicy(b *testing.B) {
	pool := apikeyPool(b, "")
	r := newRequest("api-key", keyValid.String(), true) // inbound requests are read-only: one serves every iteration
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
