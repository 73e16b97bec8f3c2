package admin

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"portico/node/signin"
)

// TestSignInLimits: failed logins are counted per client address and per user at that address; once an allowance
// is spent, even the right password answers 429 with Retry-After until the window ends; a forwarded login counts
// under the client's address its member saw, and that header counts for nothing when a client sends it.
func TestSignInLimits(t *testing.T) {
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	guard := signin.New(signin.Config{PerAddr: 6, PerUser: 3, Window: time.Minute, Now: func() time.Time { return clock }})
	e := newEnvWith(t, func(c *Config) { c.SignIn = guard })
	for _, u := range []string{"alice", "bob"} {
		e.postJSON("/v1/users", `{"name":"`+u+`","role":"subscriber","password":"`+u+`-password-1"}`, http.StatusCreated)
	}
	login := func(h http.Handler, remote, user, password string, header map[string]string) *httptest.ResponseRecorder {
		if header == nil {
			header = map[string]string{}
		}
		header["Authorization"] = ""
		return serve(h, request{method: "POST", path: "/v1/login", ctype: "application/json", remote: remote,
			header: header, body: `{"username":"` + user + `","password":"` + password + `"}`})
	}
	steps := []struct {
		name     string
		peer     bool // sent over the inter-node link
		remote   string
		header   map[string]string
		user, pw string
		status   int
	}{
		{"alice wrong 1", false, "198.51.100.1:1000", nil, "alice", "wrong-password-1", 401},
		{"alice wrong 2, another port", false, "198.51.100.1:2000", nil, "alice", "wrong-password-2", 401},
		{"alice wrong 3", false, "198.51.100.1:1000", nil, "alice", "wrong-password-3", 401},
		{"alice right, allowance spent", false, "198.51.100.1:1000", nil, "alice", "alice-password-1", 429},
		{"alice from another address", false, "198.51.100.2:1000", nil, "alice", "alice-password-1", 200},
		{"bob from the first address", false, "198.51.100.1:1000", nil, "bob", "bob-password-1", 200},
		{"bob wrong, forwarded from the first address", true, "10.0.0.2:7000",
			map[string]string{ClientAddrHeader: "198.51.100.1:3000"}, "bob", "wrong-password-4", 401},
		{"bob wrong 2", false, "198.51.100.1:1000", nil, "bob", "wrong-password-5", 401},
		{"bob wrong 3: the address has 6 failures", false, "198.51.100.1:1000", nil, "bob", "wrong-password-6", 401},
		{"unknown user from the first address", false, "198.51.100.1:1000", nil, "zed", "whatever-password", 429},
		{"a client's own forwarding header counts for nothing", false, "198.51.100.9:1000",
			map[string]string{ClientAddrHeader: "198.51.100.1:1"}, "bob", "bob-password-1", 200},
	}
	for _, s := range steps {
		h := http.Handler(e.adm)
		if s.peer {
			h = e.adm.PeerHandler()
		}
		rec := login(h, s.remote, s.user, s.pw, s.header)
		if rec.Code != s.status {
			t.Fatalf("%s: got %d %s, want %d", s.name, rec.Code, rec.Body.String(), s.status)
		}
		if s.status == http.StatusTooManyRequests {
			if ra, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || ra < 1 || ra > 60 {
				t.Fatalf("%s: Retry-After %q, want 1 to 60 seconds", s.name, rec.Header().Get("Retry-After"))
			}
			wantError(t, rec, http.StatusTooManyRequests, "rate_limited", "too many failed sign-ins")
		}
	}
	clock = clock.Add(time.Minute)
	if rec := login(e.adm, "198.51.100.1:1000", "alice", "alice-password-1", nil); rec.Code != http.StatusOK {
		t.Fatalf("after the window: got %d %s, want 200", rec.Code, rec.Body.String())
	}
}
