package gateway

import (
	"net/http"
	"strings"
	"testing"

	"portico/raftstore/state"
)

// TestMajorVersionLifecycle: /greet/v1 serves the latest Published minor of major 1; without one the latest
// Deprecated, then Pre-released; a Blocked or Retired version only when nothing else is routable, answered per its
// state; a Created version never (404).
func TestMajorVersionLifecycle(t *testing.T) {
	be := newBackend(t)
	type ver struct{ minor, lifecycle string }
	cases := []struct {
		name     string
		versions []ver
		status   int
		want     string // the version that served (its endpoint path), or the error message
	}{
		{"latest published", []ver{{"0", state.Published}, {"1", state.Published}, {"2", state.Created}}, 200, "1.1"},
		{"published over newer deprecated and pre-released",
			[]ver{{"0", state.Published}, {"1", state.Deprecated}, {"2", state.PreReleased}}, 200, "1.0"},
		{"latest deprecated without published", []ver{{"0", state.Deprecated}, {"1", state.Deprecated},
			{"2", state.PreReleased}}, 200, "1.1"},
		{"pre-released without published or deprecated", []ver{{"0", state.PreReleased}, {"1", state.Blocked},
			{"2", state.Created}}, 200, "1.0"},
		{"served over blocked and retired", []ver{{"0", state.Deprecated}, {"1", state.Blocked},
			{"2", state.Retired}}, 200, "1.0"},
		{"blocked only", []ver{{"0", state.Blocked}, {"1", state.Created}}, 503, "API greet 1.0 is blocked"},
		{"retired only", []ver{{"0", state.Retired}}, 410, "API greet 1.0 is retired"},
		{"blocked before retired", []ver{{"0", state.Retired}, {"1", state.Blocked}}, 503, "API greet 1.1 is blocked"},
		{"created only", []ver{{"0", state.Created}, {"1", state.Created}}, 404, "no API matches the request path"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var apis []*state.API
			for _, v := range c.versions {
				version := "1." + v.minor
				apis = append(apis, testAPI(be.URL+"/"+version, withLifecycle(v.lifecycle), func(a *state.API) {
					a.Version, a.Minor = version, int(v.minor[0]-'0')
				}))
			}
			g, srv := newGateway(t, Config{})
			mustUpdate(t, g, newState(1, apis...))
			r := do(t, http.MethodGet, srv.URL+"/greet/v1/hello", nil)
			if c.status != 200 {
				if w := checkWireError(t, r, c.status, wireCode(c.status)); w.Message != c.want {
					t.Fatalf("message: got %q, want %q", w.Message, c.want)
				}
				return
			}
			if r.status != 200 {
				t.Fatalf("got %d %q, want 200", r.status, r.body)
			}
			if got := be.next(t).RequestURI; !strings.HasPrefix(got, "/"+c.want+"/") {
				t.Fatalf("served by %q, want version %s", got, c.want)
			}
		})
	}
}

// wireCode is the wire error code of the statuses the tests expect.
func wireCode(status int) string {
	return map[int]string{400: "invalid_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
		405: "method_not_allowed", 410: "gone", 500: "internal", 503: "unavailable"}[status]
}
