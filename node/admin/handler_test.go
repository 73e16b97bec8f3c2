package admin

import (
	"net/http"
	"strings"
	"testing"
)

func TestFallback(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cases := []struct {
		name, method, path string
		status             int
		code, allow        string
	}{
		{"unknown path", "GET", "/nope", 404, "not_found", ""},
		{"unknown v1 path", "GET", "/v1/things", 404, "not_found", ""},
		{"too deep", "GET", "/v1/apis/a/b/c", 404, "not_found", ""},
		{"trailing slash", "GET", "/v1/apis/", 404, "not_found", ""},
		{"dot segments", "GET", "/v1/apis/../apps", 404, "not_found", ""},
		{"double slash", "POST", "/v1//apps", 404, "not_found", ""},
		{"wrong method on a collection", "PUT", "/v1/apps", 405, "method_not_allowed", "GET, HEAD, POST"},
		{"wrong method on an item", "GET", "/v1/keys/0123456789abcdef", 405, "method_not_allowed", "DELETE"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := e.do(request{method: c.method, path: c.path})
			wantError(t, rec, c.status, c.code, c.path)
			if got := rec.Header().Get("Allow"); got != c.allow {
				t.Errorf("Allow: got %q, want %q", got, c.allow)
			}
		})
	}
}

func TestRequestIDs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cases := []struct {
		name, sent string
		keep       bool
	}{
		{"none sent", "", false},
		{"well-formed kept", "fwd-1234.abc_D", true},
		{"malformed replaced", "bad id\x01", false},
		{"too long replaced", strings.Repeat("a", 65), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := e.do(request{method: "GET", path: "/healthz", header: map[string]string{"X-Request-Id": c.sent}})
			got := rec.Header().Get("X-Request-Id")
			if c.keep && got != c.sent || !c.keep && (got == "" || got == c.sent) {
				t.Errorf("X-Request-Id: got %q for %q, want kept: %v", got, c.sent, c.keep)
			}
		})
	}
}

func TestRequestLog(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := e.do(request{method: "POST", path: "/v1/apps", ctype: "application/json", body: `{"name":"logged"}`})
	decodeObject(t, rec, http.StatusCreated)
	id := rec.Header().Get("X-Request-Id")
	line := ""
	for _, l := range strings.Split(e.logs.String(), "\n") {
		if strings.Contains(l, "requestId="+id) {
			line = l
		}
	}
	for _, want := range []string{"level=DEBUG", "method=POST", "path=/v1/apps", "status=201", "duration="} {
		if !strings.Contains(line, want) {
			t.Errorf("request log line %q: want it to contain %q", line, want)
		}
	}
	if strings.Contains(e.logs.String(), testToken) {
		t.Errorf("logs contain the admin token")
	}
}

func TestIdempotencyKeyHeader(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := request{method: "POST", path: "/v1/apps", ctype: "application/json", body: `{"name":"once"}`,
		header: map[string]string{"Idempotency-Key": "same-key"}}
	first := decodeObject(t, e.do(r), http.StatusCreated)
	again := decodeObject(t, e.do(r), http.StatusCreated)
	if first["id"] != again["id"] || len(e.store.State().Apps) != 1 {
		t.Errorf("retry: got id %v then %v with %d apps, want the same app once", first["id"], again["id"],
			len(e.store.State().Apps))
	}
	r.header["Idempotency-Key"] = "bad key!"
	wantError(t, e.do(r), http.StatusBadRequest, "invalid_request", "Idempotency-Key")
}
