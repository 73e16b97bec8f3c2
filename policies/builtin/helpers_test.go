package builtin_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"portico/plugins"
	"portico/plugins/abi"
	"portico/policies/builtin"
)

// The tests of this package run the embedded built-in policies in the real plugin host, against a fake credential
// store, on exchanges built the way the gateway builds them.

// fakeCredentials is the credential store of the tests: API keys by ID with the SHA-256 of the whole key, and
// bearer tokens with the verdict and identity the gateway would give them.
type fakeCredentials struct {
	keys   map[string]fakeKey
	tokens map[string]fakeToken
}

type fakeKey struct {
	hash   [32]byte
	record []byte
}

type fakeToken struct {
	verdict int32
	who     plugins.Identity
}

func (s fakeCredentials) LookupCredential(kind uint32, id string, hash []byte) ([]byte, bool) {
	k, ok := s.keys[id]
	if kind != abi.CredentialAPIKey || !ok || subtle.ConstantTimeCompare(k.hash[:], hash) != 1 {
		return nil, false
	}
	return k.record, true
}

// Authenticate verifies an API key the way the gateway does, against the API greet major 1 that every test request
// calls, with the decision fields taken from the key's record; a bearer token gets the verdict of its entry, or
// AuthUnknown.
func (s fakeCredentials) Authenticate(kind uint32, credential string) (int32, plugins.Identity) {
	switch kind {
	case abi.CredentialAPIKey:
		return s.authenticateKey(credential)
	case abi.CredentialBearer:
		if t, ok := s.tokens[credential]; ok {
			return t.verdict, t.who
		}
	}
	return abi.AuthUnknown, plugins.Identity{}
}

func (s fakeCredentials) authenticateKey(key string) (int32, plugins.Identity) {
	id, ok := abi.ParseAPIKey(key)
	if !ok {
		return abi.AuthUnknown, plugins.Identity{}
	}
	sum := sha256.Sum256([]byte(key))
	record, ok := s.LookupCredential(abi.CredentialAPIKey, id, sum[:])
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

var _ plugins.CredentialStore = fakeCredentials{}

var testCreds = fakeCredentials{
	keys:   newKeys(keyValid, keyOtherAPI, keyOtherMajor, keyUnsubscribed, keyBlocked),
	tokens: testTokens,
}

// shared holds one host, with its log, and the compiled built-in modules for every test and benchmark of the
// package: compiling a Go guest takes about a second.
var shared struct {
	mu      sync.Mutex
	logs    syncBuffer
	host    *plugins.Host
	modules map[string]*plugins.Module
}

// policyModule returns the shared host and the compiled module of built-in policy name.
func policyModule(tb testing.TB, name string) (*plugins.Host, *plugins.Module) {
	tb.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	ctx := context.Background()
	if shared.host == nil {
		log := slog.New(slog.NewTextHandler(&shared.logs, nil))
		host, err := plugins.New(ctx, plugins.Config{CallTimeout: 10 * time.Second, Logger: log})
		if err != nil {
			tb.Fatalf("starting the plugin host: %v", err)
		}
		shared.host, shared.modules = host, map[string]*plugins.Module{}
	}
	if m, ok := shared.modules[name]; ok {
		return shared.host, m
	}
	wasm, ok := builtin.Lookup(name)
	if !ok {
		tb.Fatalf("built-in policy %q: not found, run `make policies`", name)
	}
	m, err := shared.host.Compile(ctx, wasm)
	if err != nil {
		tb.Fatalf("compiling the %s policy: %v", name, err)
	}
	shared.modules[name] = m
	return shared.host, m
}

// policyPool starts a pool of built-in policy name with config, released when the test ends.
func policyPool(tb testing.TB, name, config string) *plugins.Pool {
	tb.Helper()
	host, module := policyModule(tb, name)
	pool, err := host.Pool(context.Background(), module, name, []byte(config))
	if err != nil {
		tb.Fatalf("creating the %s pool with config %q: %v", name, config, err)
	}
	tb.Cleanup(pool.Release)
	return pool
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.host != nil {
		_ = shared.host.Close(context.Background())
	}
	os.Exit(code)
}

// exchangeFor wraps r in an exchange on the test credential store with the properties the gateway presets for the
// operation GET /hello of API greet 1.0.
func exchangeFor(r *http.Request) *plugins.Exchange { return exchangeOn(r, testCreds) }

// exchangeOn is exchangeFor on the credential store creds.
func exchangeOn(r *http.Request, creds plugins.CredentialStore) *plugins.Exchange {
	x := plugins.NewExchange(r, creds)
	x.SetProperty(abi.PropRequestID, "req-42")
	x.SetProperty(abi.PropAPIName, "greet")
	x.SetProperty(abi.PropAPIVersion, "1.0")
	x.SetProperty(abi.PropAPIMajor, "1")
	x.SetProperty(abi.PropOperationID, "GET /hello")
	return x
}

// wireError is the gateway's JSON error body.
type wireError struct {
	Error     string `json:"error"`
	Message   string `json:"message"`
	RequestID string `json:"requestId"`
}

// guestResponse writes the response a policy produced and returns it with its decoded error body (zero when the
// body is empty).
func guestResponse(t *testing.T, x *plugins.Exchange) (*httptest.ResponseRecorder, wireError) {
	t.Helper()
	rec := httptest.NewRecorder()
	x.WriteResponse(rec)
	var body wireError
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("body %q: %v", rec.Body.Bytes(), err)
		}
	}
	return rec, body
}

// runRequest runs the request phase of pool on x and fails the test on a host error.
func runRequest(t *testing.T, pool *plugins.Pool, x *plugins.Exchange) (next bool, pending *plugins.Pending) {
	t.Helper()
	next, pending, err := pool.Request(context.Background(), x)
	if err != nil {
		t.Fatalf("running the policy: %v", err)
	}
	if pending != nil {
		t.Cleanup(pending.Release)
	}
	return next, pending
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
