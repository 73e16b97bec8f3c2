package admin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"portico/plugins"
	"portico/plugins/wasmtest"
	"portico/raftstore"
	"portico/raftstore/state"
)

// guest returns a valid policy module whose data segment holds fill bytes of tag, so that modules of different tags
// differ and a large fill spans several upload chunks.
func guest(fill int, tag byte) []byte {
	m := &wasmtest.Module{}
	m.Func("handle_request", nil, wasmtest.I64, nil, wasmtest.I64Const(1))
	m.Func("handle_response", wasmtest.I32I32, nil, nil)
	m.Memory(uint32(fill>>16)+1, nil)
	m.Data(0, bytes.Repeat([]byte{tag}, fill))
	return m.Bytes()
}

// noResponseGuest lacks the handle_response export the plugin host requires.
func noResponseGuest() []byte {
	m := &wasmtest.Module{}
	m.Func("handle_request", nil, wasmtest.I64, nil, wasmtest.I64Const(1))
	m.Memory(1, nil)
	return m.Bytes()
}

// newPluginEnv is an env whose admin API checks pushed modules with a real plugin host. compiles counts the checks.
func newPluginEnv(t *testing.T, compiles *atomic.Int64) *env {
	t.Helper()
	host, err := plugins.New(context.Background(), plugins.Config{})
	if err != nil {
		t.Fatalf("plugins.New: %v", err)
	}
	t.Cleanup(func() { _ = host.Close(context.Background()) })
	compile := func(ctx context.Context, wasm []byte) error {
		compiles.Add(1)
		_, err := host.Compile(ctx, wasm)
		return err
	}
	store := newStore(t)
	adm, err := New(Config{Store: store, Policies: func(name string) bool { return builtins[name] }, NodeID: "n1",
		Compile: compile})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &env{t: t, store: store, adm: adm, logs: &syncBuffer{}}
}

// push sends a module with an Idempotency-Key and requires status want.
func (e *env) push(name, version string, wasm []byte, key string, want int) map[string]any {
	e.t.Helper()
	rec := e.do(request{method: "PUT", path: "/v1/plugins/" + name + "/" + version, ctype: "application/wasm",
		body: string(wasm), header: map[string]string{"Idempotency-Key": key}})
	return decodeObject(e.t, rec, want)
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// TestPushPlugin pushes a small and a multi-chunk module and retries, checking the responses and the stored state.
func TestPushPlugin(t *testing.T) {
	t.Parallel()
	e := newPluginEnv(t, &atomic.Int64{})
	small, big := guest(100, 'a'), guest(3*raftstore.MaxChunk+1000, 'b')
	steps := []struct {
		name, version string
		wasm          []byte
		key           string
		status        int
		changed       bool
	}{
		{"first push", "1.0.0", small, "push-1", http.StatusCreated, true},
		{"same module again", "1.0.0", small, "push-2", http.StatusOK, false},
		{"module of several chunks", "1.1.0", big, "push-3", http.StatusCreated, true},
		{"retry with the same key answers the first result", "1.1.0", big, "push-3", http.StatusCreated, true},
		{"same module again with a new key", "1.1.0", big, "push-4", http.StatusOK, false},
		{"same bytes under another version", "2.0.0", small, "push-5", http.StatusCreated, true},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			got := e.push("custom", s.version, s.wasm, s.key, s.status)
			want := map[string]any{"name": "custom", "version": s.version, "sha256": digest(s.wasm),
				"size": float64(len(s.wasm)), "changed": s.changed}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("response: got %v, want %v", got, want)
			}
			st := e.store.State()
			p := st.Plugins[state.PluginKey("custom", s.version)]
			if p == nil || p.SHA256 != digest(s.wasm) || p.Size != int64(len(s.wasm)) || p.CreatedAt == 0 {
				t.Fatalf("stored plugin: got %+v, want sha256 %s, size %d and a creation time", p, digest(s.wasm),
					len(s.wasm))
			}
			if !bytes.Equal(st.Blobs[p.SHA256], s.wasm) {
				t.Fatalf("stored module: got %d bytes, want the %d pushed", len(st.Blobs[p.SHA256]), len(s.wasm))
			}
		})
	}
	if n := len(e.store.State().Blobs); n != 2 {
		t.Errorf("blobs: got %d, want 2 (one per distinct module)", n)
	}
}

func TestPushPluginRefused(t *testing.T) {
	t.Parallel()
	var compiles atomic.Int64
	e := newPluginEnv(t, &compiles)
	valid := guest(10, 'v')
	cases := []struct {
		name, path, ctype string
		body              []byte
		status            int
		code, msg         string
		compiled          bool // whether the module reached the plugin host
	}{
		{"upper-case name", "/v1/plugins/Custom/1.0.0", "application/wasm", valid, 400, "invalid_request",
			`name: "Custom"`, false},
		{"name too long", "/v1/plugins/" + strings.Repeat("a", 64) + "/1.0.0", "application/wasm", valid, 400,
			"invalid_request", "name:", false},
		{"two-part version", "/v1/plugins/custom/1.0", "application/wasm", valid, 400, "invalid_request",
			`version: "1.0" must be MAJOR.MINOR.PATCH`, false},
		{"leading zero", "/v1/plugins/custom/1.01.0", "application/wasm", valid, 400, "invalid_request",
			"version:", false},
		{"built-in name", "/v1/plugins/cors/1.0.0", "application/wasm", valid, 409, "conflict",
			`"cors" is a built-in policy`, false},
		{"wrong media type", "/v1/plugins/custom/1.0.0", "application/octet-stream", valid, 415,
			"unsupported_media_type", "application/wasm", false},
		{"empty body", "/v1/plugins/custom/1.0.0", "application/wasm", nil, 400, "invalid_request",
			"a wasm module is required", false},
		{"too large", "/v1/plugins/custom/1.0.0", "application/wasm", make([]byte, raftstore.MaxPluginSize+1), 413,
			"payload_too_large", strconv.Itoa(raftstore.MaxPluginSize), false},
		{"not wasm", "/v1/plugins/custom/1.0.0", "application/wasm", []byte("hello"), 400, "invalid_request",
			"module refused by the plugin host", true},
		{"missing export", "/v1/plugins/custom/1.0.0", "application/wasm", noResponseGuest(), 400,
			"invalid_request", "handle_response", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before, calls := e.store.State().Index, compiles.Load()
			rec := e.do(request{method: "PUT", path: c.path, ctype: c.ctype, body: string(c.body)})
			wantError(t, rec, c.status, c.code, c.msg)
			if got := compiles.Load() > calls; got != c.compiled {
				t.Errorf("module checked by the host: got %v, want %v", got, c.compiled)
			}
			if st := e.store.State(); st.Index != before || len(st.Plugins) != 0 {
				t.Errorf("state: got index %d with %d plugins, want index %d with none", st.Index, len(st.Plugins),
					before)
			}
		})
	}
}

// TestPushPluginWithoutHost: a node without a plugin host refuses pushes and applies nothing.
func TestPushPluginWithoutHost(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	before := e.store.State().Index
	rec := e.do(request{method: "PUT", path: "/v1/plugins/custom/1.0.0", ctype: "application/wasm",
		body: string(guest(10, 'x'))})
	wantError(t, rec, http.StatusServiceUnavailable, "unavailable", "plugin host unavailable")
	if got := e.store.State().Index; got != before {
		t.Errorf("state index: got %d, want %d", got, before)
	}
}

func TestListPlugins(t *testing.T) {
	t.Parallel()
	e := newPluginEnv(t, &atomic.Int64{})
	start := time.Now().UnixMilli()
	list := func() []map[string]any {
		return decodeList(t, e.do(request{method: "GET", path: "/v1/plugins"}))
	}
	if got := list(); len(got) != 0 {
		t.Fatalf("empty cluster: got %v, want []", got)
	}
	pushed := []struct {
		name, version string
		wasm          []byte
	}{
		{"beta", "1.10.0", guest(10, '1')},
		{"beta", "1.9.0", guest(10, '2')},
		{"alpha", "2.0.0", guest(10, '3')},
		{"beta", "1.9.1", guest(10, '2')},
	}
	for i, p := range pushed {
		e.push(p.name, p.version, p.wasm, "list-"+strconv.Itoa(i), http.StatusCreated)
	}
	got := list()
	var order []string
	for _, item := range got {
		order = append(order, item["name"].(string)+"@"+item["version"].(string))
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range item {
				if !yield(k) {
					return
				}
			}
		})
		if want := []string{"createdAt", "name", "sha256", "size", "version"}; !slices.Equal(keys, want) {
			t.Errorf("fields: got %v, want %v", keys, want)
		}
		if c, _ := item["createdAt"].(float64); int64(c) < start {
			t.Errorf("createdAt: got %v, want at least %d", item["createdAt"], start)
		}
	}
	if want := []string{"alpha@2.0.0", "beta@1.9.0", "beta@1.9.1", "beta@1.10.0"}; !slices.Equal(order, want) {
		t.Fatalf("order: got %v, want %v", order, want)
	}
	if got[1]["sha256"] != digest(pushed[1].wasm) || got[1]["size"] != float64(len(pushed[1].wasm)) {
		t.Errorf("beta@1.9.0: got %v, want sha256 %s and size %d", got[1], digest(pushed[1].wasm), len(pushed[1].wasm))
	}
}

// deployRef deploys testdata/plugin-ref.yaml with ref, a YAML flow mapping, as the operation's second policy.
func (e *env) deployRef(ref string) *httptest.ResponseRecorder {
	e.t.Helper()
	body := strings.Replace(fixture(e.t, "plugin-ref.yaml"), "POLICY_REF", ref, 1)
	return e.do(request{method: "POST", path: "/v1/apis", ctype: "application/yaml", body: body})
}

func TestDeletePlugin(t *testing.T) {
	t.Parallel()
	e := newPluginEnv(t, &atomic.Int64{})
	unused := guest(10, 'd')
	e.push("custom", "1.0.0", unused, "del-1", http.StatusCreated)
	e.push("used", "1.0.0", guest(10, 'u'), "del-2", http.StatusCreated)
	decodeObject(t, e.deployRef(`{name: used, version: "1.0.0"}`), http.StatusOK)
	cases := []struct {
		name, path string
		status     int
		code, msg  string
	}{
		{"unused plugin", "/v1/plugins/custom/1.0.0", 200, "", ""},
		{"deleted already", "/v1/plugins/custom/1.0.0", 404, "not_found", "custom"},
		{"never pushed", "/v1/plugins/never/9.9.9", 404, "not_found", "never"},
		{"used by an API", "/v1/plugins/used/1.0.0", 409, "conflict", "used"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := e.do(request{method: "DELETE", path: c.path,
				header: map[string]string{"Idempotency-Key": "delete-" + strconv.Itoa(i)}})
			if c.code != "" {
				wantError(t, rec, c.status, c.code, c.msg)
				return
			}
			if got := decodeObject(t, rec, c.status); got["deleted"] != "custom@1.0.0" || len(got) != 1 {
				t.Fatalf("response: got %v, want {deleted: custom@1.0.0}", got)
			}
		})
	}
	st := e.store.State()
	if _, ok := st.Plugins[state.PluginKey("custom", "1.0.0")]; ok {
		t.Errorf("custom@1.0.0 is still stored")
	}
	if _, ok := st.Blobs[digest(unused)]; ok {
		t.Errorf("the module of custom@1.0.0 is still stored though no plugin uses it")
	}
	if _, ok := st.Plugins[state.PluginKey("used", "1.0.0")]; !ok {
		t.Errorf("used@1.0.0 was deleted though an API uses it")
	}
}

// TestDeployPluginRefs: an API may reference a pushed plugin by name and a version the cluster holds.
func TestDeployPluginRefs(t *testing.T) {
	t.Parallel()
	e := newPluginEnv(t, &atomic.Int64{})
	e.push("custom", "1.1.0", guest(10, '2'), "ref-1", http.StatusCreated)
	e.push("custom", "1.0.0", guest(10, '1'), "ref-2", http.StatusCreated)
	cases := []struct {
		name    string
		ref     string
		status  int
		msg     string
		wantRef state.PolicyRef
	}{
		{"pushed version", `{name: custom, version: "1.1.0"}`, 200, "",
			state.PolicyRef{Name: "custom", Version: "1.1.0"}},
		{"version not pushed", `{name: custom, version: "2.0.0"}`, 400,
			`operations[0].policies.request[1].version: plugin "custom" has no version "2.0.0" ` +
				`(versions: 1.0.0, 1.1.0)`, state.PolicyRef{}},
		{"no version", `{name: custom}`, 400,
			`operations[0].policies.request[1].version: required for plugin "custom" (versions: 1.0.0, 1.1.0)`,
			state.PolicyRef{}},
		{"unknown plugin", `{name: other, version: "1.0.0"}`, 400,
			`operations[0].policies.request[1].name: unknown policy "other"`, state.PolicyRef{}},
		{"built-in", `{name: api-key}`, 200, "", state.PolicyRef{Name: "api-key"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.store.State().Index
			rec := e.deployRef(c.ref)
			if c.status != http.StatusOK {
				wantError(t, rec, c.status, "invalid_request", c.msg)
				if got := e.store.State().Index; got != before {
					t.Errorf("state index: got %d, want %d", got, before)
				}
				return
			}
			decodeObject(t, rec, c.status)
			got := e.store.State().APIs["greet@1.0"].Operations[0].Policies.Request[1]
			if got.Name != c.wantRef.Name || got.Version != c.wantRef.Version {
				t.Errorf("stored reference: got %s@%s, want %s@%s", got.Name, got.Version, c.wantRef.Name,
					c.wantRef.Version)
			}
		})
	}
}
