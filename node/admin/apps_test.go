package admin

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestApps(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	created := e.postJSON("/v1/apps", `{"name":"mobile","description":"the mobile app"}`, http.StatusCreated)
	id, _ := created["id"].(string)
	if len(id) != 16 || created["name"] != "mobile" || created["description"] != "the mobile app" ||
		created["createdAt"] == float64(0) {
		t.Fatalf("create: got %v", created)
	}
	if app := e.store.State().Apps[id]; app == nil || app.Name != "mobile" {
		t.Fatalf("stored app: got %+v, want mobile under %s", app, id)
	}
	e.postJSON("/v1/apps", `{"name":"web"}`, http.StatusCreated)

	refused := []struct {
		name, body string
		status     int
		code, msg  string
	}{
		{"duplicate name", `{"name":"mobile"}`, 409, "conflict", "mobile"},
		{"bad name", `{"name":"Mobile App"}`, 400, "invalid_request", "name:"},
		{"empty name", `{}`, 400, "invalid_request", "name:"},
		{"unknown field", `{"name":"x","owner":"me"}`, 400, "invalid_request", `unknown field "owner"`},
		{"wrong type", `{"name":7}`, 400, "invalid_request", "name"},
		{"trailing data", `{"name":"x"} {"name":"y"}`, 400, "invalid_request", "single JSON object"},
		{"not JSON", `name: x`, 400, "invalid_request", "not valid JSON"},
		{"too large", `{"name":"x","description":"` + strings.Repeat("d", maxJSONBody) + `"}`, 413,
			"payload_too_large", "larger than"},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			before := e.store.State().Index
			rec := e.do(request{method: "POST", path: "/v1/apps", ctype: "application/json", body: c.body})
			wantError(t, rec, c.status, c.code, c.msg)
			if got := len(e.store.State().Apps); got != 2 {
				t.Errorf("apps: got %d, want 2", got)
			}
			if c.status != http.StatusConflict && e.store.State().Index != before {
				t.Errorf("state index: got %d, want %d (nothing proposed)", e.store.State().Index, before)
			}
		})
	}
	t.Run("wrong media type", func(t *testing.T) {
		rec := e.do(request{method: "POST", path: "/v1/apps", ctype: "application/yaml", body: `{"name":"z"}`})
		wantError(t, rec, http.StatusUnsupportedMediaType, "unsupported_media_type", "application/json")
	})

	var names []string
	for _, a := range decodeList(t, e.do(request{method: "GET", path: "/v1/apps"})) {
		names = append(names, a["name"].(string))
	}
	if !reflect.DeepEqual(names, []string{"mobile", "web"}) {
		t.Errorf("list: got %v, want [mobile web]", names)
	}

	deletes := []struct {
		name, ref string
		status    int
	}{
		{"by name", "web", http.StatusOK},
		{"by id", id, http.StatusOK},
		{"absent", "web", http.StatusNotFound},
	}
	for _, c := range deletes {
		t.Run("delete "+c.name, func(t *testing.T) {
			rec := e.do(request{method: "DELETE", path: "/v1/apps/" + c.ref})
			if c.status == http.StatusNotFound {
				wantError(t, rec, c.status, "not_found", c.ref)
				return
			}
			got := decodeObject(t, rec, c.status)
			if got["deleted"] != true || got["id"] == "" {
				t.Errorf("delete: got %v", got)
			}
		})
	}
	if n := len(e.store.State().Apps); n != 0 {
		t.Errorf("apps after deletes: got %d, want 0", n)
	}
}
