package admin

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
)

// passwordEnv has the subscribers alice and bob, the publisher pam (without a password) and the admin root, each
// with a password and a token of their own.
type passwordEnv struct {
	*env
	tokens    map[string]string // by user name; "admin" is the bootstrap token
	passwords map[string]string // the password each user has now
}

func newPasswordEnv(t *testing.T) *passwordEnv {
	t.Helper()
	e := newEnv(t)
	pe := &passwordEnv{env: e, tokens: map[string]string{"admin": testToken}, passwords: map[string]string{
		"alice": "alice-first-password", "bob": "bob-first-password", "root": "root-first-password",
	}}
	for _, u := range []struct{ name, role string }{{"alice", "subscriber"}, {"bob", "subscriber"},
		{"pam", "publisher"}, {"root", "admin"}} {
		body := `{"name":"` + u.name + `","role":"` + u.role + `"}`
		if p, ok := pe.passwords[u.name]; ok {
			body = `{"name":"` + u.name + `","role":"` + u.role + `","password":"` + p + `"}`
		}
		pe.tokens[u.name] = e.postJSON("/v1/users", body, http.StatusCreated)["token"].(string)
	}
	return pe
}

// loginStatus is the status of a login of user with password.
func (e *env) loginStatus(user, password string) int {
	e.t.Helper()
	return e.do(request{method: "POST", path: "/v1/login", ctype: "application/json",
		body:   `{"username":"` + user + `","password":"` + password + `"}`,
		header: map[string]string{"Authorization": ""}}).Code
}

func TestSetPassword(t *testing.T) {
	t.Parallel()
	e := newPasswordEnv(t)
	long := strings.Repeat("x", 1025)
	cases := []struct {
		name, who, user string
		body            string
		status          int
		code, msg       string
		newPassword     string // the user's password afterwards, when the change succeeds
	}{
		{"subscriber without the current password", "alice", "alice", `{"password":"alice-second-pass"}`, 400,
			"invalid_request", "currentPassword: is required to change your own password", ""},
		{"subscriber with a wrong current password", "alice", "alice",
			`{"password":"alice-second-pass","currentPassword":"alice-first-passworD"}`, 401, "unauthorized",
			"invalid username or password", ""},
		{"too short", "alice", "alice", `{"password":"eleven-byte","currentPassword":"alice-first-password"}`, 400,
			"invalid_request", "password: must be 12 to 1024 bytes", ""},
		{"too long", "admin", "bob", `{"password":"` + long + `"}`, 400, "invalid_request",
			"password: must be 12 to 1024 bytes", ""},
		{"no password", "admin", "bob", `{}`, 400, "invalid_request", "password: must be 12", ""},
		{"unknown field", "alice", "alice", `{"password":"alice-second-pass","old":"x"}`, 400, "invalid_request",
			`unknown field "old"`, ""},
		{"subscriber on another subscriber", "alice", "bob", `{"password":"taken-over-pass"}`, 404, "not_found",
			`user "bob" not found`, ""},
		{"subscriber on another with that user's password", "alice", "bob",
			`{"password":"taken-over-pass","currentPassword":"bob-first-password"}`, 404, "not_found",
			`user "bob" not found`, ""},
		{"subscriber on an absent user", "alice", "zed", `{"password":"taken-over-pass"}`, 404, "not_found",
			`user "zed" not found`, ""},
		{"publisher on a subscriber", "pam", "alice", `{"password":"taken-over-pass"}`, 404, "not_found",
			`user "alice" not found`, ""},
		{"publisher without a password", "pam", "pam", `{"password":"pam-first-pass","currentPassword":""}`, 401,
			"unauthorized", "invalid username or password", ""},
		{"admin with another user's current password", "admin", "bob",
			`{"password":"bob-second-pass","currentPassword":"bob-first-password"}`, 400, "invalid_request",
			"currentPassword: is only accepted when changing your own password", ""},
		{"admin on an absent user", "admin", "zed", `{"password":"zed-first-pass"}`, 404, "not_found",
			`user "zed" not found`, ""},
		{"subscriber changes their own", "alice", "alice",
			`{"password":"alice-second-pass","currentPassword":"alice-first-password"}`, 200, "", "",
			"alice-second-pass"},
		{"bootstrap admin sets a subscriber's", "admin", "bob", `{"password":"bob-second-pass"}`, 200, "", "",
			"bob-second-pass"},
		{"admin sets a publisher's first", "root", "pam", `{"password":"pam-first-pass"}`, 200, "", "",
			"pam-first-pass"},
		{"admin sets their own without the current one", "root", "root", `{"password":"root-second-pass"}`, 200, "",
			"", "root-second-pass"},
	}
	// A second session of alice's, from a sign-in before her change.
	aliceOther := e.do(request{method: "POST", path: "/v1/login", ctype: "application/json",
		body:   `{"username":"alice","password":"alice-first-password"}`,
		header: map[string]string{"Authorization": ""}})
	otherToken, _ := decodeObject(t, aliceOther, http.StatusOK)["token"].(string)
	if otherToken == "" {
		t.Fatal("login gave no token")
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.store.State()
			rec := e.as(e.tokens[c.who], request{method: "POST", path: "/v1/users/" + c.user + "/password",
				ctype: "application/json", body: c.body})
			if c.status != http.StatusOK {
				wantError(t, rec, c.status, c.code, c.msg)
				if got := e.store.State().Index; got != before.Index {
					t.Errorf("state index: got %d, want %d (nothing applied)", got, before.Index)
				}
				return
			}
			got := decodeObject(t, rec, http.StatusOK)
			if len(got) != 2 || got["name"] != c.user || got["changed"] != true {
				t.Errorf("answer: got %v, want only name %s and changed true", got, c.user)
			}
			old := before.Users[c.user]
			if u := e.store.State().Users[c.user]; bytes.Equal(u.PasswordHash, old.PasswordHash) ||
				bytes.Equal(u.Salt, old.Salt) {
				t.Errorf("stored key and salt of %s unchanged, want both new", c.user)
			}
			if s := e.loginStatus(c.user, c.newPassword); s != http.StatusOK {
				t.Errorf("login with the new password: got %d, want 200", s)
			}
			if p, ok := e.passwords[c.user]; ok {
				if s := e.loginStatus(c.user, p); s != http.StatusUnauthorized {
					t.Errorf("login with the old password: got %d, want 401", s)
				}
			}
			e.passwords[c.user] = c.newPassword
		})
	}
	t.Run("other sessions ended", func(t *testing.T) {
		// Those who changed their own password keep the session they did it with; every other session of a user
		// whose password changed is over, so a stolen token does not outlive the change.
		for _, s := range []struct {
			name, token string
			status      int
		}{
			{"alice's session that changed her password", e.tokens["alice"], http.StatusOK},
			{"root's session that changed his password", e.tokens["root"], http.StatusOK},
			{"alice's other session", otherToken, http.StatusUnauthorized},
			{"bob's session, password set by an admin", e.tokens["bob"], http.StatusUnauthorized},
			{"pam's session, password set by an admin", e.tokens["pam"], http.StatusUnauthorized},
			{"the bootstrap token", e.tokens["admin"], http.StatusOK},
		} {
			if got := e.as(s.token, request{method: "GET", path: "/v1/whoami"}).Code; got != s.status {
				t.Errorf("%s: got %d, want %d", s.name, got, s.status)
			}
		}
	})
	logs := e.logs.String()
	if !strings.Contains(logs, "/password") {
		t.Fatalf("no password change logged: the log check would prove nothing")
	}
	for _, p := range []string{"alice-first-password", "alice-second-pass", "bob-second-pass", "pam-first-pass",
		"root-second-pass", "taken-over-pass", "bob-first-password"} {
		if strings.Contains(logs, p) {
			t.Errorf("logs hold the password %q", p)
		}
	}
}

// TestSetPasswordRefusalsMatch checks that a user another subscriber may not change answers exactly like an absent
// one, so that the endpoint does not tell which users exist.
func TestSetPasswordRefusalsMatch(t *testing.T) {
	t.Parallel()
	e := newPasswordEnv(t)
	refusal := func(user string) string {
		rec := e.as(e.tokens["alice"], request{method: "POST", path: "/v1/users/" + user + "/password",
			ctype: "application/json", body: `{"password":"x"}`})
		msg, _ := decodeObject(t, rec, http.StatusNotFound)["message"].(string)
		return strings.ReplaceAll(msg, user, "NAME")
	}
	if got, want := refusal("bob"), refusal("nobody"); got != want {
		t.Errorf("refusal for an existing user: got %q, want %q (as for an absent one)", got, want)
	}
}
