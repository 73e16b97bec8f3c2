package admin

import (
	"net/http"
	"strings"
	"testing"
)

func TestAuth(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cases := []struct {
		name   string
		auth   string // Authorization header; "" sends none
		path   string
		status int
	}{
		{"no token", "", "/v1/apis", http.StatusUnauthorized},
		{"bad token", "Bearer wrong-token", "/v1/apis", http.StatusUnauthorized},
		{"token prefix only", "Bearer " + testToken[:10], "/v1/apis", http.StatusUnauthorized},
		{"other scheme", "Basic " + testToken, "/v1/apis", http.StatusUnauthorized},
		{"scheme without token", "Bearer ", "/v1/apps", http.StatusUnauthorized},
		{"bad token on status", "Bearer nope", "/v1/status", http.StatusUnauthorized},
		{"valid token", "Bearer " + testToken, "/v1/apis", http.StatusOK},
		{"scheme is case-insensitive", "bearer " + testToken, "/v1/keys", http.StatusOK},
		{"healthz needs no token", "", "/healthz", http.StatusOK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := e.do(request{method: "GET", path: c.path, header: map[string]string{"Authorization": c.auth}})
			if c.status == http.StatusUnauthorized {
				wantError(t, rec, c.status, "unauthorized", "admin token")
				return
			}
			decodeBody(t, rec, c.status, new(any))
		})
	}
}

func TestAuthRefusesWritesWithoutApplying(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	before := e.store.State().Index
	rec := e.do(request{method: "POST", path: "/v1/apps", ctype: "application/json", body: `{"name":"a"}`,
		header: map[string]string{"Authorization": "Bearer nope"}})
	wantError(t, rec, http.StatusUnauthorized, "unauthorized", "admin token")
	if got := e.store.State().Index; got != before {
		t.Errorf("state index: got %d, want %d (unchanged)", got, before)
	}
	if strings.Contains(e.logs.String(), testToken) || strings.Contains(e.logs.String(), "nope") {
		t.Errorf("logs contain a token: %s", e.logs)
	}
}
