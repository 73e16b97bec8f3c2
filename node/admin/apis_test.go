package admin

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestDeployRevisions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	steps := []struct {
		name        string
		file        string
		wantRev     float64
		wantChanged bool
	}{
		{"first deploy", "greet.yaml", 1, true},
		{"identical deploy", "greet.yaml", 1, false},
		{"changed deploy", "greet-changed.yaml", 2, true},
		{"identical to the changed one", "greet-changed.yaml", 2, false},
		{"back to the first", "greet.yaml", 3, true},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			got := e.deploy(s.file, http.StatusOK)
			if got["revision"] != s.wantRev || got["changed"] != s.wantChanged {
				t.Errorf("revision, changed: got %v, %v, want %v, %v", got["revision"], got["changed"], s.wantRev,
					s.wantChanged)
			}
			wantURLs := []any{"/greet/v1", "/greet/v1.0"}
			if !reflect.DeepEqual(got["urls"], wantURLs) {
				t.Errorf("urls: got %v, want %v", got["urls"], wantURLs)
			}
			if got["name"] != "greet" || got["version"] != "1.0" || got["context"] != "/greet" ||
				got["lifecycle"] != "Published" {
				t.Errorf("identity: got %v", got)
			}
			if st := e.store.State(); st.APIs["greet@1.0"].Revision != int(s.wantRev) {
				t.Errorf("stored revision: got %d, want %v", st.APIs["greet@1.0"].Revision, s.wantRev)
			}
		})
	}
}

func TestDeployRefused(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		ctype  string
		body   string
		status int
		code   string
		msg    string
	}{
		{"invalid operation path", "application/yaml", fixture(t, "bad-path.yaml"), 400, "invalid_request",
			"operations[1].path"},
		{"unknown lifecycle", "application/yaml", fixture(t, "bad-lifecycle.yaml"), 400, "invalid_request",
			"lifecycle"},
		{"unknown operation policy", "application/yaml", fixture(t, "unknown-policy.yaml"), 400, "invalid_request",
			`operations[0].policies.request[1].name: unknown policy "nope"`},
		{"unknown API policy", "application/yaml", fixture(t, "unknown-api-policy.yaml"), 400, "invalid_request",
			`policies.response[0].name: unknown policy "missing"`},
		{"context of another API", "application/yaml", fixture(t, "other-same-context.yaml"), 409, "conflict",
			"/greet"},
		{"unsupported media type", "text/plain", fixture(t, "shop.yaml"), 415, "unsupported_media_type",
			"text/plain"},
		{"no media type", "", fixture(t, "shop.yaml"), 415, "unsupported_media_type", "Content-Type"},
		{"too large", "application/yaml", "name: x\n" + strings.Repeat("#", maxAPIFile), 413, "payload_too_large",
			"larger than"},
	}
	e := newEnv(t)
	e.deploy("greet.yaml", http.StatusOK)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.store.State()
			rec := e.do(request{method: "POST", path: "/v1/apis", ctype: c.ctype, body: c.body})
			wantError(t, rec, c.status, c.code, c.msg)
			after := e.store.State()
			if after.Index != before.Index || len(after.APIs) != 1 || after.APIs["greet@1.0"].Revision != 1 {
				t.Errorf("state: got index %d with %d APIs, want index %d with greet@1.0 revision 1 only",
					after.Index, len(after.APIs), before.Index)
			}
		})
	}
}

func TestDeployJSON(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body := `{"name":"js","version":"3.1","context":"/js","lifecycle":"Published",
		"endpoints":{"production":["http://127.0.0.1:9000"]},"operations":[{"method":"GET","path":"/a"}]}`
	rec := e.do(request{method: "POST", path: "/v1/apis", ctype: "application/json; charset=utf-8", body: body})
	got := decodeObject(t, rec, http.StatusOK)
	if !reflect.DeepEqual(got["urls"], []any{"/js/v3", "/js/v3.1"}) {
		t.Errorf("urls: got %v, want [/js/v3 /js/v3.1]", got["urls"])
	}
}

func TestDeployOpenAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	q := url.Values{"name": {"pets"}, "version": {"1.0"}, "context": {"/pets"}, "backend": {"http://127.0.0.1:9000"},
		"lifecycle": {"Published"}}
	rec := e.do(request{method: "POST", path: "/v1/apis/openapi?" + q.Encode(), ctype: "application/yaml",
		body: fixture(t, "petstore.yaml")})
	got := decodeObject(t, rec, http.StatusOK)
	if got["name"] != "pets" || got["revision"] != float64(1) || got["lifecycle"] != "Published" {
		t.Errorf("deploy: got %v, want pets revision 1 Published", got)
	}
	api := e.store.State().APIs["pets@1.0"]
	if api == nil || len(api.Operations) != 2 {
		t.Fatalf("stored API: got %+v, want pets@1.0 with 2 operations", api)
	}

	refused := []struct {
		name  string
		query string
		msg   string
	}{
		{"missing backend", "name=p&version=1.0&context=/p", "backend: required"},
		{"unknown parameter", "name=p&version=1.0&context=/p&backend=http://x&color=red", "color: unknown"},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			rec := e.do(request{method: "POST", path: "/v1/apis/openapi?" + c.query, ctype: "application/yaml",
				body: fixture(t, "petstore.yaml")})
			wantError(t, rec, http.StatusBadRequest, "invalid_request", c.msg)
		})
	}
}

func TestListGetDeleteAPIs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.deploy("shop.yaml", http.StatusOK)
	e.deploy("greet-v2.yaml", http.StatusOK)
	e.deploy("greet.yaml", http.StatusOK)

	list := decodeList(t, e.do(request{method: "GET", path: "/v1/apis"}))
	var got []string
	for _, a := range list {
		got = append(got, a["name"].(string)+" "+a["version"].(string)+" "+a["lifecycle"].(string))
	}
	want := []string{"greet 1.0 Published", "greet 2.0 Published", "shop 1.2 Created"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("list: got %v, want %v", got, want)
	}

	api := decodeObject(t, e.do(request{method: "GET", path: "/v1/apis/greet/2.0"}), http.StatusOK)
	ops, _ := api["operations"].([]any)
	if api["context"] != "/greet" || api["major"] != float64(2) || len(ops) != 2 ||
		!reflect.DeepEqual(api["urls"], []any{"/greet/v2", "/greet/v2.0"}) {
		t.Errorf("get: got %v", api)
	}

	cases := []struct {
		name, method, path string
		status             int
	}{
		{"get absent", "GET", "/v1/apis/greet/9.9", http.StatusNotFound},
		{"delete", "DELETE", "/v1/apis/greet/2.0", http.StatusOK},
		{"get deleted", "GET", "/v1/apis/greet/2.0", http.StatusNotFound},
		{"delete again", "DELETE", "/v1/apis/greet/2.0", http.StatusNotFound},
		{"other version kept", "GET", "/v1/apis/greet/1.0", http.StatusOK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := e.do(request{method: c.method, path: c.path})
			if c.status == http.StatusNotFound {
				wantError(t, rec, c.status, "not_found", "greet")
				return
			}
			decodeObject(t, rec, c.status)
		})
	}
	if _, ok := e.store.State().APIs["greet@2.0"]; ok {
		t.Errorf("greet@2.0 still in the state after delete")
	}
}
