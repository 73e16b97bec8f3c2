package builtin_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"portico/plugins"
	"portico/plugins/abi"
	"portico/policies/builtin"
)

// fakeCredentials is the credential store of the test: API keys by ID with the SHA-256 of the whole key.
type fakeCredentials map[string]fakeKey

type fakeKey struct {
	hash   [32]byte
	record []byte
}

func (s fakeCredentials) LookupCredential(kind uint32, id string, hash []byte) ([]byte, bool) {
	k, ok := s[id]
	if kind != abi.CredentialAPIKey || !ok || subtle.ConstantTimeCompare(k.hash[:], hash) != 1 {
		return nil, false
	}
	return k.record, true
}

// Authenticate verifies a key the way the gateway does, against the API greet major 1 that every test request calls,
// with the decision fields taken from the key's record.
func (s fakeCredentials) Authenticate(kind uint32, credential string) (int32, plugins.Identity) {
	id, ok := abi.ParseAPIKey(credential)
	if !ok {
		return abi.AuthUnknown, plugins.Identity{}
	}
	sum := sha256.Sum256([]byte(credential))
	record, ok := s.LookupCredential(kind, id, sum[:])
	if !ok {
		return abi.AuthUnknown, plugins.Identity{}
	}
	r := abi.DecodeRecord(record)
	switch {
	case r[abi.RecAPI] != "greet" || r[abi.RecMajor] != "1":
		return abi.AuthWrongAPI, plugins.Identity{}
	case r[abi.RecSubscribed] != "true":
		return abi.AuthNotSubscribed, plugins.Identity{}
	case r[abi.RecSubStatus] != "active":
		return abi.AuthInactive, plugins.Identity{}
	}
	return abi.AuthOK, plugins.Identity{App: r[abi.RecApp], Env: r[abi.RecEnv], Key: id,
		Subscription: r[abi.RecSubscription], Plan: r[abi.RecPlan]}
}

var _ plugins.CredentialStore = fakeCredentials(nil)

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

func newCredentials(keys ...testKey) fakeCredentials {
	s := make(fakeCredentials, len(keys))
	for _, k := range keys {
		s[k.id] = fakeKey{hash: sha256.Sum256([]byte(k.String())), record: abi.EncodeRecord(k.rec...)}
	}
	return s
}

var testCreds = newCredentials(keyValid, keyOtherAPI, keyOtherMajor, keyUnsubscribed, keyBlocked)

// shared holds one host, with its log, and the compiled apikey module for every test and benchmark of the package:
// compiling a Go guest takes about a second.
var shared struct {
	once   sync.Once
	logs   syncBuffer
	host   *plugins.Host
	module *plugins.Module
	err    error
}

func apikeyModule(tb testing.TB) (*plugins.Host, *plugins.Module) {
	tb.Helper()
	shared.once.Do(func() {
		wasm, ok := builtin.Lookup("apikey")
		if !ok {
			shared.err = errNoBuiltin
			return
		}
		ctx := context.Background()
		log := slog.New(slog.NewTextHandler(&shared.logs, nil))
		shared.host, shared.err = plugins.New(ctx, plugins.Config{CallTimeout: 10 * time.Second, Logger: log})
		if shared.err == nil {
			shared.module, shared.err = shared.host.Compile(ctx, wasm)
		}
	})
	if shared.err != nil {
		tb.Fatalf("loading the apikey policy: %v", shared.err)
	}
	return shared.host, shared.module
}

var errNoBuiltin = errors.New("builtin apikey not found")

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.host != nil {
		_ = shared.host.Close(context.Background())
	}
	os.Exit(code)
}

func apikeyPool(tb testing.TB, config string) *plugins.Pool {
	tb.Helper()
	host, module := apikeyModule(tb)
	pool, err := host.Pool(context.Background(), module, "apikey", []byte(config))
	if err != nil {
		tb.Fatalf("creating the apikey pool with config %q: %v", config, err)
	}
	tb.Cleanup(pool.Release)
	return pool
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

// exchangeFor wraps r in an exchange with the properties the gateway presets.
func exchangeFor(r *http.Request) *plugins.Exchange {
	x := plugins.NewExchange(r, testCreds)
	x.SetProperty(abi.PropRequestID, "req-42")
	x.SetProperty(abi.PropAPIName, "greet")
	x.SetProperty(abi.PropAPIVersion, "1.0")
	x.SetProperty(abi.PropAPIMajor, "1")
	x.SetProperty(abi.PropOperationID, "GET /hello")
	return x
}

type wireError struct {
	Error     string `json:"error"`
	Message   string `json:"message"`
	RequestID string `json:"requestId"`
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := newExchange("api-key", tt.key, !tt.noKey)
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
		abi.PropAuthSub: "sub-1", abi.PropAuthPlan: "Gold",
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
	host, module := apikeyModule(t)
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

// syncBuffer is a bytes.Buffer safe for concurrent use, for a logger.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
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
