package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"portico/node/route"
	"portico/node/urlpath"
	"portico/plugins"
	"portico/plugins/abi"
	"portico/policies/builtin"
	"portico/raftstore/state"
)

// sharedHost is one wasm host for the package's tests, so that the built-in apikey module compiles once.
var sharedHost struct {
	sync.Mutex
	h *plugins.Host
}

func testHost(t testing.TB) *plugins.Host {
	t.Helper()
	sharedHost.Lock()
	defer sharedHost.Unlock()
	if sharedHost.h == nil {
		h, err := plugins.New(context.Background(), plugins.Config{})
		if err != nil {
			t.Fatalf("plugins.New: %v", err)
		}
		sharedHost.h = h
	}
	return sharedHost.h
}

func TestMain(m *testing.M) {
	code := m.Run()
	if h := sharedHost.h; h != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := h.Close(ctx); err != nil {
			code = 1
		}
		cancel()
	}
	os.Exit(code)
}

// testBuiltins resolves the test guests by name, then the real built-in policies.
func testBuiltins(name string) ([]byte, bool) {
	switch name {
	case "trap":
		return guestTrap, true
	case "pass":
		return guestPass, true
	case "teapot":
		return guestTeapot, true
	case "rewrite-in":
		return guestRewrite("/greet/v1/items/7?q=rewritten"), true
	case "rewrite-out":
		return guestRewrite("/elsewhere/x"), true
	case "headers":
		return guestHeaders(), true
	}
	return builtin.Lookup(name)
}

// newKey makes an API key and its stored record.
func newKey(id, app, api string, major int, env string) (string, *state.APIKey) {
	key := abi.FormatAPIKey(id, "c2VjcmV0LXNlY3JldC1zZWNyZXQ")
	sum := sha256.Sum256([]byte(key))
	return key, &state.APIKey{ID: id, AppID: app, API: api, Major: major, Env: env, Hash: sum[:]}
}

// keyState is a state with API-key-protected APIs, applications, keys and subscriptions.
type keyState struct {
	st   *state.State
	keys map[string]string // fixture name → key
}

func newKeyState(index uint64, apis ...*state.API) keyState {
	ks := keyState{st: newState(index, apis...), keys: map[string]string{}}
	for _, app := range []string{"app1", "app2", "app3"} {
		ks.st.Apps[app] = &state.Application{ID: app, Name: app}
	}
	ks.sub("s1", "app1", "greet", state.SubActive)
	ks.sub("s2", "app1", "other", state.SubActive)
	ks.sub("s3", "app3", "greet", state.SubBlocked)
	now := time.Now().UnixMilli()
	ks.key("greet", "00000000000000a1", "app1", "greet", state.Production, 0)
	ks.key("sandbox", "00000000000000a2", "app1", "greet", state.Sandbox, 0)
	ks.key("other", "00000000000000a3", "app1", "other", state.Production, 0)
	ks.key("expired", "00000000000000a4", "app1", "greet", state.Production, now-1000)
	ks.key("grace", "00000000000000a5", "app1", "greet", state.Production, now+3600_000)
	ks.key("unsubscribed", "00000000000000b1", "app2", "greet", state.Production, 0)
	ks.key("blocked", "00000000000000c1", "app3", "greet", state.Production, 0)
	return ks
}

func (ks keyState) sub(id, app, api, status string) {
	ks.st.Subscriptions[id] = &state.Subscription{ID: id, AppID: app, API: api, Major: 1, Plan: "Gold", Status: status}
	ks.st.SubIndex[state.SubKey(app, api, 1)] = id
}

func (ks keyState) key(fixture, id, app, api, env string, expiresAt int64) {
	key, rec := newKey(id, app, api, 1, env)
	rec.ExpiresAt = expiresAt
	ks.st.Keys[id] = rec
	ks.keys[fixture] = key
}

func TestAPIKey(t *testing.T) {
	prod, sandbox := newBackend(t), newBackend(t)
	secured := func(a *state.API) {
		a.Security = []string{state.SecurityAPIKey}
		a.Endpoints.Sandbox = []string{sandbox.URL}
		a.Operations[1].Security = []string{state.SecurityNone} // GET /items/{id} is open
	}
	other := testAPI(prod.URL, secured, func(a *state.API) { a.Name, a.Context = "other", "/other" })
	ks := newKeyState(1, testAPI(prod.URL, secured), other)
	g, srv := newGateway(t, Config{Plugins: testHost(t), Builtins: builtin.Lookup})
	mustUpdate(t, g, ks.st)
	cases := []struct {
		name    string
		path    string
		key     string
		status  int
		code    string
		backend *backend
	}{
		{"valid key", "/greet/v1/hello", ks.keys["greet"], 200, "", prod},
		{"sandbox key goes to the sandbox", "/greet/v1/hello", ks.keys["sandbox"], 200, "", sandbox},
		{"key in its grace period", "/greet/v1/hello", ks.keys["grace"], 200, "", prod},
		{"open operation", "/greet/v1/items/1", "", 200, "", prod},
		{"no key", "/greet/v1/hello", "", 401, "unauthorized", nil},
		{"malformed key", "/greet/v1/hello", "not-a-key", 401, "unauthorized", nil},
		{"wrong secret", "/greet/v1/hello", ks.keys["greet"] + "x", 401, "unauthorized", nil},
		{"expired key", "/greet/v1/hello", ks.keys["expired"], 401, "unauthorized", nil},
		{"key of another API", "/greet/v1/hello", ks.keys["other"], 403, "forbidden", nil},
		{"not subscribed", "/greet/v1/hello", ks.keys["unsubscribed"], 403, "forbidden", nil},
		{"blocked subscription", "/greet/v1/hello", ks.keys["blocked"], 403, "forbidden", nil},
		{"other API with its key", "/other/v1/hello", ks.keys["other"], 200, "", prod},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{}
			if c.key != "" {
				h.Set("api-key", c.key)
			}
			r := do(t, http.MethodGet, srv.URL+c.path, h)
			if c.status != 200 {
				checkWireError(t, r, c.status, c.code)
				if strings.Contains(r.body, "c2VjcmV0") {
					t.Fatalf("error body %q echoes the key", r.body)
				}
				return
			}
			if r.status != 200 || r.body != "hello" {
				t.Fatalf("got %d %q, want 200 hello", r.status, r.body)
			}
			s := c.backend.next(t)
			if got := s.Header.Values("Api-Key"); len(got) != 0 {
				t.Fatalf("backend got the api-key header %q", got)
			}
		})
	}
	if n := len(prod.seen) + len(sandbox.seen); n != 0 {
		t.Fatalf("backends saw %d refused requests, want 0", n)
	}
}

// TestAPIKeyHeaderDropped: even if the authentication policy forwarded the credential header, the gateway strips it
// for operations that require api-key.
func TestAPIKeyHeaderDropped(t *testing.T) {
	be := newBackend(t)
	leaky := func(name string) ([]byte, bool) {
		if name == builtinAPIKey {
			return guestPass, true // lets everything through, header included
		}
		return nil, false
	}
	g, srv := newGateway(t, Config{Plugins: testHost(t), Builtins: leaky})
	mustUpdate(t, g, newState(1, testAPI(be.URL, func(a *state.API) { a.Security = []string{state.SecurityAPIKey} })))
	r := do(t, http.MethodGet, srv.URL+"/greet/v1/hello", http.Header{"Api-Key": {"pk_0123456789abcdef_x"}})
	if r.status != 200 {
		t.Fatalf("got %d, want 200", r.status)
	}
	if got := be.next(t).Header.Values("Api-Key"); len(got) != 0 {
		t.Fatalf("backend got the api-key header %q", got)
	}
}

func TestPolicyOutcomes(t *testing.T) {
	be := newBackend(t)
	cases := []struct {
		name    string
		policy  string
		path    string
		status  int
		code    string // wire error code when the gateway answers
		wantURI string // what the backend sees when the request passes
	}{
		{"trap fails closed", "trap", "/greet/v1/hello", 500, "internal", ""},
		{"policy responds", "teapot", "/greet/v1/hello", 418, "", ""},
		{"pass", "pass", "/greet/v1/hello?a=b", 200, "", "/hello?a=b"},
		{"rewrite within the API", "rewrite-in", "/greet/v1/hello", 200, "", "/items/7?q=rewritten"},
		{"rewrite outside the API fails closed", "rewrite-out", "/greet/v1/hello", 500, "internal", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, srv := newGateway(t, Config{Plugins: testHost(t), Builtins: testBuiltins})
			api := testAPI(be.URL, func(a *state.API) { a.Policies.Request = []state.PolicyRef{{Name: c.policy}} })
			mustUpdate(t, g, newState(1, api))
			r := do(t, http.MethodGet, srv.URL+c.path, nil)
			switch {
			case c.code != "":
				w := checkWireError(t, r, c.status, c.code)
				if strings.Contains(w.Message, "wasm") || strings.Contains(w.Message, "unreachable") {
					t.Fatalf("message %q shows the guest error", w.Message)
				}
			case c.wantURI == "":
				if r.status != c.status || r.header.Get("X-Request-Id") == "" {
					t.Fatalf("got %d with X-Request-Id %q, want %d with a request ID", r.status,
						r.header.Get("X-Request-Id"), c.status)
				}
			default:
				if r.status != 200 {
					t.Fatalf("got %d %q, want 200", r.status, r.body)
				}
				if s := be.next(t); s.RequestURI != c.wantURI {
					t.Fatalf("upstream URI: got %q, want %q", s.RequestURI, c.wantURI)
				}
			}
			if c.wantURI == "" && len(be.seen) != 0 {
				t.Fatalf("backend saw a request that the policy stopped")
			}
		})
	}
}

// TestPolicyHeaderEdits: request header edits reach the upstream without touching the inbound request, and a
// policy cannot forge the forwarding headers the gateway sets.
func TestPolicyHeaderEdits(t *testing.T) {
	be := newBackend(t)
	g, srv := newGateway(t, Config{Plugins: testHost(t), Builtins: testBuiltins})
	api := testAPI(be.URL, func(a *state.API) { a.Policies.Request = []state.PolicyRef{{Name: "headers"}} })
	mustUpdate(t, g, newState(1, api))
	r := do(t, http.MethodGet, srv.URL+"/greet/v1/hello", http.Header{"X-Gone": {"secret"}, "X-Kept": {"k"}})
	if r.status != 200 {
		t.Fatalf("got %d %q, want 200", r.status, r.body)
	}
	h := be.next(t).Header
	for name, want := range map[string]string{"X-Added": "1", "X-Gone": "", "X-Kept": "k",
		"X-Forwarded-For": "127.0.0.1"} {
		if got := strings.Join(h.Values(name), ","); got != want {
			t.Errorf("upstream %s: got %q, want %q", name, got, want)
		}
	}
}

// TestResponsePhaseReturnsInstances: a pass-through policy holds its only instance until the response phase, so
// requests after a success, an upstream failure or a busy refusal only succeed if the instance came back.
func TestResponsePhaseReturnsInstances(t *testing.T) {
	h, err := plugins.New(context.Background(), plugins.Config{MaxInstances: 1, AcquireTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close(context.Background()) })
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/stream" {
			arrived <- struct{}{}
			select {
			case <-release:
			case <-time.After(10 * time.Second):
			}
		}
		_, _ = w.Write([]byte("hello"))
	}))
	t.Cleanup(be.Close)
	g, srv := newGateway(t, Config{Plugins: h, Builtins: testBuiltins})
	pass := func(a *state.API) { a.Policies.Request = []state.PolicyRef{{Name: "pass"}} }
	down := testAPI("http://127.0.0.1:1", pass, func(a *state.API) { a.Name, a.Context = "down", "/down" })
	mustUpdate(t, g, newState(1, testAPI(be.URL, pass), down))

	for i := 0; i < 3; i++ {
		if r := do(t, http.MethodGet, srv.URL+"/greet/v1/hello", nil); r.status != 200 {
			t.Fatalf("request %d: got %d, want 200", i, r.status)
		}
		checkWireError(t, do(t, http.MethodGet, srv.URL+"/down/v1/hello", nil), 502, "bad_gateway")
	}
	slow := getAsync(t, srv.URL+"/greet/v1/stream")
	<-arrived // the only instance is held by the slow request
	checkWireError(t, do(t, http.MethodGet, srv.URL+"/greet/v1/hello", nil), 503, "unavailable")
	close(release)
	if r := <-slow; r.status != 200 {
		t.Fatalf("slow request: got %d %q, want 200", r.status, r.body)
	}
	if r := do(t, http.MethodGet, srv.URL+"/greet/v1/hello", nil); r.status != 200 {
		t.Fatalf("after the slow request: got %d, want 200", r.status)
	}
}

// TestPoolsReleasedAfterDrain: a replaced table keeps its pools while a request started on it is in flight, then
// releases them; a pool whose module and config are unchanged is shared by the new table and keeps working.
func TestPoolsReleasedAfterDrain(t *testing.T) {
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/stream" {
			arrived <- struct{}{}
			select {
			case <-release:
			case <-time.After(10 * time.Second):
			}
		}
		_, _ = w.Write([]byte("hello"))
	}))
	t.Cleanup(be.Close)
	g, srv := newGateway(t, Config{Plugins: testHost(t), Builtins: testBuiltins})
	withConfig := func(cfg string) *state.API {
		return testAPI(be.URL, func(a *state.API) {
			a.Policies.Request = []state.PolicyRef{{Name: "pass", Config: json.RawMessage(cfg)}}
		})
	}
	mustUpdate(t, g, newState(1, withConfig(`{"v":1}`)))
	t1 := g.cur.Load()
	p1 := t1.pools[0]

	slow := getAsync(t, srv.URL+"/greet/v1/stream")
	<-arrived
	mustUpdate(t, g, newState(2, withConfig(`{"v":2}`)))
	t2 := g.cur.Load()
	if t2.pools[0] == p1 {
		t.Fatal("a changed config got the old pool")
	}
	if r := do(t, http.MethodGet, srv.URL+"/greet/v1/hello", nil); r.status != 200 {
		t.Fatalf("on the new table: got %d, want 200", r.status)
	}
	if t1.closed.Load() || t1.inflight.Load() != 1 {
		t.Fatalf("old table with a request in flight: closed %v in flight %d, want open with 1",
			t1.closed.Load(), t1.inflight.Load())
	}
	close(release)
	if r := <-slow; r.status != 200 {
		t.Fatalf("request in flight during the swap: got %d %q, want 200", r.status, r.body)
	}
	waitFor(t, "the old table to close", t1.closed.Load)
	_, _, err := p1.Request(context.Background(), plugins.NewExchange(httptest.NewRequest("GET", "/", nil), nil))
	if !errors.Is(err, plugins.ErrClosed) {
		t.Fatalf("old pool after drain: got %v, want ErrClosed", err)
	}

	mustUpdate(t, g, newState(3, withConfig(`{"v":2}`), testAPI(be.URL, func(a *state.API) {
		a.Name, a.Context = "more", "/more"
	})))
	t3 := g.cur.Load()
	if t3.pools[0] != t2.pools[0] {
		t.Fatal("an unchanged policy got a new pool, want the shared one")
	}
	waitFor(t, "the second table to close", t2.closed.Load)
	if r := do(t, http.MethodGet, srv.URL+"/greet/v1/hello", nil); r.status != 200 {
		t.Fatalf("shared pool after the old table closed: got %d, want 200", r.status)
	}
}

func TestLookupAPIKey(t *testing.T) {
	ks := newKeyState(1)
	api := testAPI("http://127.0.0.1:1")
	hash := func(key string) []byte { s := sha256.Sum256([]byte(key)); return s[:] }
	id := func(key string) string { id, _ := abi.ParseAPIKey(key); return id }
	cases := []struct {
		name string
		key  string
		hash []byte
		want map[string]string // nil: not found
	}{
		{"subscribed", ks.keys["greet"], nil, map[string]string{
			abi.RecApp: "app1", abi.RecEnv: "production", abi.RecAPI: "greet", abi.RecMajor: "1",
			abi.RecSubscribed: "true", abi.RecSubStatus: "active", abi.RecSubscription: "s1", abi.RecPlan: "Gold"}},
		{"not subscribed", ks.keys["unsubscribed"], nil, map[string]string{
			abi.RecApp: "app2", abi.RecEnv: "production", abi.RecAPI: "greet", abi.RecMajor: "1",
			abi.RecSubscribed: "false"}},
		{"wrong hash", ks.keys["greet"], hash("pk_00000000000000a1_other"), nil},
		{"short hash", ks.keys["greet"], []byte{1, 2, 3}, nil},
		{"expired", ks.keys["expired"], nil, nil},
		{"unknown id", "pk_ffffffffffffffff_x", nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := c.hash
			if h == nil {
				h = hash(c.key)
			}
			rec, ok := lookupAPIKey(ks.st, api, id(c.key), h, time.Now())
			if c.want == nil {
				if ok {
					t.Fatalf("got record %q, want not found", rec)
				}
				return
			}
			got := abi.DecodeRecord(rec)
			if !ok || len(got) != len(c.want) {
				t.Fatalf("got %v (found %v), want %v", got, ok, c.want)
			}
			for k, v := range c.want {
				if got[k] != v {
					t.Fatalf("%s: got %q, want %q", k, got[k], v)
				}
			}
		})
	}
	delete(ks.st.Apps, "app1")
	if _, ok := lookupAPIKey(ks.st, api, id(ks.keys["greet"]), hash(ks.keys["greet"]), time.Now()); ok {
		t.Fatal("key of a deleted application: found, want not found")
	}
}

func TestVersionPrefix(t *testing.T) {
	api := testAPI("http://127.0.0.1:1", func(a *state.API) {
		a.Context = "/shop/orders"
		a.Operations = append(a.Operations, state.Operation{Method: http.MethodGet, Path: "/"})
	})
	rt, err := route.Build([]*state.API{api}, func(*state.API, int) (int, error) { return 0, nil })
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ path, want string }{
		{"/shop/orders/v1/hello", "/shop/orders/v1"},
		{"/shop/orders/v1.0/items/7", "/shop/orders/v1.0"},
		{"/shop/orders/v1", "/shop/orders/v1"},
		{"/shop/orders/v1/", "/shop/orders/v1"},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			p, err := urlpath.Normalize(c.path)
			if err != nil {
				t.Fatal(err)
			}
			m, err := rt.Match(http.MethodGet, p)
			if err != nil {
				t.Fatalf("Match: %v", err)
			}
			if got := versionPrefix(p.Escaped, m.Upstream); got != c.want {
				t.Fatalf("got %q, want %q (upstream %q)", got, c.want, m.Upstream)
			}
		})
	}
}
