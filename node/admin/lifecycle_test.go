package admin

import (
	"net/http"
	"testing"
)

func TestLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.deploy("greet.yaml", http.StatusOK)
	// Steps run in order: each starts from the state the previous one left.
	steps := []struct {
		name, path, body string
		status           int
		msg              string // error message part, or the previous state on success
		want             string // lifecycle stored afterwards
	}{
		{"refused move names the allowed ones", "/v1/apis/greet/1.0/lifecycle", `{"state":"Created"}`, 400,
			"lifecycle: cannot move greet 1.0 from Published to Created; allowed from Published: Blocked, Deprecated",
			"Published"},
		{"unknown state", "/v1/apis/greet/1.0/lifecycle", `{"state":"Gone"}`, 400,
			`state: "Gone" is not one of Created, Pre-released, Published, Blocked, Deprecated, Retired`, "Published"},
		{"missing state", "/v1/apis/greet/1.0/lifecycle", `{}`, 400, `state: "" is not one of`, "Published"},
		{"unknown field", "/v1/apis/greet/1.0/lifecycle", `{"to":"Blocked"}`, 400, `unknown field "to"`, "Published"},
		{"unknown API", "/v1/apis/greet/9.0/lifecycle", `{"state":"Blocked"}`, 404, "API greet 9.0 not found",
			"Published"},
		{"block", "/v1/apis/greet/1.0/lifecycle", `{"state":"Blocked"}`, 200, "Published", "Blocked"},
		{"unblock", "/v1/apis/greet/1.0/lifecycle", `{"state":"Published"}`, 200, "Blocked", "Published"},
		{"same state", "/v1/apis/greet/1.0/lifecycle", `{"state":"Published"}`, 200, "Published", "Published"},
		{"deprecate", "/v1/apis/greet/1.0/lifecycle", `{"state":"Deprecated"}`, 200, "Published", "Deprecated"},
		{"deprecated cannot be published", "/v1/apis/greet/1.0/lifecycle", `{"state":"Published"}`, 400,
			"allowed from Deprecated: Retired", "Deprecated"},
		{"retire", "/v1/apis/greet/1.0/lifecycle", `{"state":"Retired"}`, 200, "Deprecated", "Retired"},
		{"retired is final", "/v1/apis/greet/1.0/lifecycle", `{"state":"Published"}`, 400,
			"allowed from Retired: none", "Retired"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			rec := e.do(request{method: "POST", path: s.path, ctype: "application/json", body: s.body})
			if s.status != http.StatusOK {
				wantError(t, rec, s.status, map[int]string{400: "invalid_request", 404: "not_found"}[s.status], s.msg)
			} else {
				got := decodeObject(t, rec, http.StatusOK)
				if got["name"] != "greet" || got["version"] != "1.0" || got["lifecycle"] != s.want ||
					got["previous"] != s.msg {
					t.Errorf("response: got %v, want greet 1.0 %s from %s", got, s.want, s.msg)
				}
			}
			if got := e.store.State().APIs["greet@1.0"].Lifecycle; got != s.want {
				t.Errorf("stored lifecycle: got %s, want %s", got, s.want)
			}
		})
	}
}
