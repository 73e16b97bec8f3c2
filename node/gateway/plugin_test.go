package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"portico/plugins"
	"portico/raftstore/state"
)

// pushPlugin adds a pushed plugin with its module bytes to st.
func pushPlugin(st *state.State, name, version string, wasm []byte) *state.Plugin {
	sum := sha256.Sum256(wasm)
	p := &state.Plugin{Name: name, Version: version, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(wasm))}
	st.Plugins[state.PluginKey(name, version)] = p
	st.Blobs[p.SHA256] = wasm
	return p
}

// withPolicies sets the API's request policies.
func withPolicies(refs ...state.PolicyRef) func(*state.API) {
	return func(a *state.API) { a.Policies.Request = refs }
}

func TestPushedPluginRuns(t *testing.T) {
	be := newBackend(t)
	cases := []struct {
		name   string
		refs   []state.PolicyRef
		push   func(st *state.State)
		status int
	}{
		{"pushed plugin runs its module", []state.PolicyRef{{Name: "custom", Version: "1.0.0"}},
			func(st *state.State) { pushPlugin(st, "custom", "1.0.0", guestTeapot) }, http.StatusTeapot},
		{"the referenced version runs, not another", []state.PolicyRef{{Name: "custom", Version: "1.1.0"}},
			func(st *state.State) {
				pushPlugin(st, "custom", "1.0.0", guestTeapot)
				pushPlugin(st, "custom", "1.1.0", guestPass)
			}, http.StatusOK},
		{"a pushed plugin wins over a built-in of the same name", []state.PolicyRef{{Name: "pass", Version: "1.0.0"}},
			func(st *state.State) { pushPlugin(st, "pass", "1.0.0", guestTeapot) }, http.StatusTeapot},
		{"a version the state lacks falls back to the built-in", []state.PolicyRef{{Name: "teapot", Version: "9.9.9"}},
			func(st *state.State) { pushPlugin(st, "teapot", "1.0.0", guestPass) }, http.StatusTeapot},
		{"a reference without version is a built-in", []state.PolicyRef{{Name: "teapot"}},
			func(st *state.State) { pushPlugin(st, "teapot", "1.0.0", guestPass) }, http.StatusTeapot},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, srv := newGateway(t, Config{Plugins: testHost(t), Builtins: testBuiltins})
			st := newState(1, testAPI(be.URL, withPolicies(c.refs...)))
			c.push(st)
			mustUpdate(t, g, st)
			if r := do(t, http.MethodGet, srv.URL+"/greet/v1/hello", nil); r.status != c.status {
				t.Fatalf("status: got %d %q, want %d", r.status, r.body, c.status)
			}
		})
	}
}

// TestPushedPluginSharesModule: two plugin versions with the same bytes share one compiled module (and so one pool
// for one config); different bytes are a different module.
func TestPushedPluginSharesModule(t *testing.T) {
	be := newBackend(t)
	g, _ := newGateway(t, Config{Plugins: testHost(t), Builtins: testBuiltins})
	st := newState(1, testAPI(be.URL, withPolicies(
		state.PolicyRef{Name: "one", Version: "1.0.0"},
		state.PolicyRef{Name: "two", Version: "2.0.0"},
		state.PolicyRef{Name: "pass"},
		state.PolicyRef{Name: "three", Version: "1.0.0"},
	)))
	pushPlugin(st, "one", "1.0.0", guestPass)
	pushPlugin(st, "two", "2.0.0", guestPass)
	three := pushPlugin(st, "three", "1.0.0", guestRewrite("/greet/v1/hello"))
	mustUpdate(t, g, st)
	t1 := g.cur.Load()
	if got := len(t1.pools); got != 2 {
		t.Fatalf("pools: got %d, want 2 (one for the pass module under three names, one for three@1.0.0)", got)
	}
	if got := len(g.modules); got != 2 {
		t.Fatalf("compiled modules: got %d, want 2", got)
	}
	if m := g.modules[three.SHA256]; m == nil || m.Digest() != three.SHA256 {
		t.Fatalf("module of three@1.0.0: got %v, want digest %s", m, three.SHA256)
	}
}

// TestPushedPluginHotSwap: pointing the API at another plugin version swaps the module with the next table, and back.
func TestPushedPluginHotSwap(t *testing.T) {
	be := newBackend(t)
	g, srv := newGateway(t, Config{Plugins: testHost(t), Builtins: testBuiltins})
	steps := []struct {
		name    string
		version string
		status  int
	}{
		{"first version", "1.0.0", http.StatusTeapot},
		{"second version", "2.0.0", http.StatusOK},
		{"back to the first", "1.0.0", http.StatusTeapot},
	}
	for i, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			st := newState(uint64(i+1), testAPI(be.URL, withPolicies(state.PolicyRef{Name: "custom", Version: s.version})))
			pushPlugin(st, "custom", "1.0.0", guestTeapot)
			pushPlugin(st, "custom", "2.0.0", guestPass)
			mustUpdate(t, g, st)
			if r := do(t, http.MethodGet, srv.URL+"/greet/v1/hello", nil); r.status != s.status {
				t.Fatalf("status: got %d %q, want %d", r.status, r.body, s.status)
			}
		})
	}
}

// TestPushedPluginBroken: a plugin whose module cannot be had fails the build of the API that uses it, naming the
// plugin, while the other APIs are served.
func TestPushedPluginBroken(t *testing.T) {
	be := newBackend(t)
	cases := []struct {
		name string
		push func(st *state.State)
		want []string
	}{
		{"missing blob", func(st *state.State) {
			p := pushPlugin(st, "custom", "1.0.0", guestPass)
			delete(st.Blobs, p.SHA256)
		}, []string{"plugin custom@1.0.0", "missing"}},
		{"unknown version", func(st *state.State) { pushPlugin(st, "custom", "2.0.0", guestPass) },
			[]string{"unknown plugin custom@1.0.0"}},
		{"bytes that do not match the hash", func(st *state.State) {
			p := pushPlugin(st, "custom", "1.0.0", guestPass)
			st.Blobs[p.SHA256] = guestTeapot
		}, []string{"plugin custom@1.0.0", "hash"}},
		{"invalid module", func(st *state.State) { pushPlugin(st, "custom", "1.0.0", []byte("\x00asm-not-really")) },
			[]string{"compiling plugin custom@1.0.0"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, srv := newGateway(t, Config{Plugins: testHost(t), Builtins: testBuiltins})
			broken := testAPI(be.URL, withPolicies(state.PolicyRef{Name: "custom", Version: "1.0.0"}),
				func(a *state.API) { a.Name, a.Context = "other", "/other" })
			st := newState(1, testAPI(be.URL), broken)
			c.push(st)
			err := g.Update(context.Background(), st)
			for _, want := range append(c.want, "other@1.0") {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("Update: got %v, want an error containing %q", err, want)
				}
			}
			if r := do(t, http.MethodGet, srv.URL+"/greet/v1/hello", nil); r.status != http.StatusOK {
				t.Fatalf("healthy API: got %d, want 200", r.status)
			}
			checkWireError(t, do(t, http.MethodGet, srv.URL+"/other/v1/hello", nil), 404, "not_found")
		})
	}
}

// TestDeletedPluginVersionIsFreed: the compiled module of a plugin version stays while the state has that version
// and is freed once the version is deleted and the tables that used it have drained; closing the gateway frees the
// rest. Requests are answered by the right version throughout.
func TestDeletedPluginVersionIsFreed(t *testing.T) {
	be := newBackend(t)
	h, err := plugins.New(context.Background(), plugins.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close(context.Background()) })
	g, srv := newGateway(t, Config{Plugins: h, Builtins: testBuiltins})
	modules := map[string][]byte{"1.0.0": guestTeapot, "2.0.0": guestPass, "3.0.0": guestRewrite("/greet/v1/hello")}
	steps := []struct {
		name     string
		use      string   // the version the API runs
		versions []string // the versions in the state
		status   int
		modules  int // compiled modules once replaced tables have drained
	}{
		{"first version", "1.0.0", []string{"1.0.0", "2.0.0"}, http.StatusTeapot, 1},
		{"second version, first still pushed", "2.0.0", []string{"1.0.0", "2.0.0"}, http.StatusOK, 2},
		{"first version deleted", "2.0.0", []string{"2.0.0"}, http.StatusOK, 1},
		{"a third version replaces the second", "3.0.0", []string{"3.0.0"}, http.StatusOK, 1},
	}
	for i, s := range steps {
		st := newState(uint64(i+1), testAPI(be.URL, withPolicies(state.PolicyRef{Name: "custom", Version: s.use})))
		for _, v := range s.versions {
			pushPlugin(st, "custom", v, modules[v])
		}
		mustUpdate(t, g, st)
		if r := do(t, http.MethodGet, srv.URL+"/greet/v1/hello", nil); r.status != s.status {
			t.Fatalf("%s: got %d %q, want %d", s.name, r.status, r.body, s.status)
		}
		if s.status == http.StatusOK {
			be.next(t)
		}
		waitFor(t, fmt.Sprintf("%s: %d compiled modules", s.name, s.modules), func() bool { return h.Modules() == s.modules })
	}
	if err := g.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := h.Modules(); got != 0 {
		t.Fatalf("after the gateway closed: got %d compiled modules, want 0", got)
	}
}
