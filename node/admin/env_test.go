package admin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"portico/raftstore"
	"portico/raftstore/state"
)

// testToken is the admin token every test environment accepts.
const testToken = "test-admin-token-0123456789"

// builtins are the policy names the test environments know.
var builtins = map[string]bool{"cors": true, "api-key": true}

// env is an admin handler over a real single-node raft store on loopback, with one admin token.
type env struct {
	t     *testing.T
	store *raftstore.Store
	adm   *Admin
	logs  *syncBuffer
}

// newEnv opens a bootstrapped single-node store in a temporary directory, waits for it to lead, stores the test admin
// token and builds the admin API over it. Everything is closed when the test ends.
func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, nil)
}

// newEnvWith is newEnv with the configuration changed by edit (if not nil) before the handler is built.
func newEnvWith(t *testing.T, edit func(*Config)) *env {
	t.Helper()
	store := newStore(t)
	logs := &syncBuffer{}
	cfg := Config{
		Store: store, Policies: func(name string) bool { return builtins[name] }, NodeID: "n1",
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if edit != nil {
		edit(&cfg)
	}
	adm, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &env{t: t, store: store, adm: adm, logs: logs}
}

// as sends r with token as its bearer token instead of the test admin token.
func (e *env) as(token string, r request) *httptest.ResponseRecorder {
	e.t.Helper()
	h := map[string]string{"Authorization": "Bearer " + token}
	for k, v := range r.header {
		h[k] = v
	}
	r.header = h
	return serve(e.adm, r)
}

// postAs posts a JSON body with token and requires status want.
func (e *env) postAs(token, path, body string, want int) map[string]any {
	e.t.Helper()
	rec := e.as(token, request{method: "POST", path: path, ctype: "application/json", body: body})
	return decodeObject(e.t, rec, want)
}

// addUser creates a user with the test admin token and returns the user's own admin token.
func (e *env) addUser(name, role string) string {
	e.t.Helper()
	got := e.postJSON("/v1/users", `{"name":"`+name+`","role":"`+role+`"}`, http.StatusCreated)
	token, _ := got["token"].(string)
	if token == "" {
		e.t.Fatalf("creating user %s: got %v, want a token", name, got)
	}
	return token
}

// clock is a settable time source for Config.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.UnixMilli(1_750_000_000_000)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newStore opens the real store with the test admin token applied.
func newStore(t *testing.T) *raftstore.Store {
	t.Helper()
	store, err := raftstore.Open(raftstore.Config{ID: "n1", DataDir: t.TempDir(), RaftAddr: "127.0.0.1:0", Bootstrap: true})
	if err != nil {
		t.Fatalf("opening store: %v", err)
	}
	t.Cleanup(func() { _ = store.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := store.WaitLeader(ctx); err != nil {
		t.Fatalf("waiting for a leader: %v", err)
	}
	if _, err := store.Apply(ctx, "test-token", raftstore.CreateAdminToken{Token: testAdminToken()}); err != nil {
		t.Fatalf("storing the admin token: %v", err)
	}
	return store
}

func testAdminToken() state.AdminToken {
	sum := sha256.Sum256([]byte(testToken))
	return state.AdminToken{ID: "tok1", Name: "test", Role: state.RoleAdmin, Hash: sum[:], CreatedAt: 1}
}

// request describes one call to the handler.
type request struct {
	method, path string
	ctype, body  string
	header       map[string]string // extra headers; "Authorization": "" removes the default one
	remote       string            // the client's address (host:port); "" = httptest's default
}

// do sends r to the handler with the test token unless r overrides Authorization.
func (e *env) do(r request) *httptest.ResponseRecorder {
	e.t.Helper()
	return serve(e.adm, r)
}

func serve(h http.Handler, r request) *httptest.ResponseRecorder {
	req := httptest.NewRequest(r.method, r.path, strings.NewReader(r.body))
	if r.remote != "" {
		req.RemoteAddr = r.remote
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	if r.ctype != "" {
		req.Header.Set("Content-Type", r.ctype)
	}
	for k, v := range r.header {
		if v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// deploy posts an API file from testdata and requires status want.
func (e *env) deploy(file string, want int) map[string]any {
	e.t.Helper()
	rec := e.do(request{method: "POST", path: "/v1/apis", ctype: "application/yaml", body: fixture(e.t, file)})
	return decodeObject(e.t, rec, want)
}

// postJSON posts a JSON body and requires status want.
func (e *env) postJSON(path, body string, want int) map[string]any {
	e.t.Helper()
	rec := e.do(request{method: "POST", path: path, ctype: "application/json", body: body})
	return decodeObject(e.t, rec, want)
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("reading fixture: %v", err)
	}
	return string(b)
}

// decodeObject requires status want, a JSON content type and a request ID, and decodes the body as an object.
func decodeObject(t *testing.T, rec *httptest.ResponseRecorder, want int) map[string]any {
	t.Helper()
	var out map[string]any
	decodeBody(t, rec, want, &out)
	return out
}

func decodeList(t *testing.T, rec *httptest.ResponseRecorder) []map[string]any {
	t.Helper()
	var out []map[string]any
	decodeBody(t, rec, http.StatusOK, &out)
	return out
}

func decodeBody(t *testing.T, rec *httptest.ResponseRecorder, want int, v any) {
	t.Helper()
	if rec.Code != want {
		t.Fatalf("status: got %d, want %d (body %s)", rec.Code, want, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type: got %q, want application/json", ct)
	}
	if rec.Header().Get("X-Request-Id") == "" {
		t.Fatalf("X-Request-Id: got none, want one")
	}
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		t.Fatalf("decoding %s: %v", rec.Body, err)
	}
}

// wantError requires a JSON wire error with status, code (unless empty) and a message containing msg.
func wantError(t *testing.T, rec *httptest.ResponseRecorder, status int, code, msg string) {
	t.Helper()
	body := decodeObject(t, rec, status)
	if code != "" && body["error"] != code {
		t.Errorf("error code: got %v, want %s", body["error"], code)
	}
	if m, _ := body["message"].(string); !strings.Contains(m, msg) {
		t.Errorf("message: got %q, want it to contain %q", m, msg)
	}
	if body["requestId"] != rec.Header().Get("X-Request-Id") {
		t.Errorf("requestId: got %v, want the X-Request-Id header %q", body["requestId"], rec.Header().Get("X-Request-Id"))
	}
}

// syncBuffer is a log sink safe for concurrent writes.
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
