package admin

import (
	"bytes"
	"crypto/pbkdf2"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestUsers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	got := e.postJSON("/v1/users", `{"name":"alice","role":"publisher","password":"correct horse"}`, http.StatusCreated)
	token, _ := got["token"].(string)
	if got["name"] != "alice" || got["role"] != "publisher" || !strings.HasPrefix(token, "pat_") {
		t.Fatalf("create: got %v, want alice, publisher and a pat_ token", got)
	}
	u := e.store.State().Users["alice"]
	if u == nil || len(u.PasswordHash) != 32 || len(u.Salt) != 16 || u.Iterations != 210000 {
		t.Fatalf("stored user: got %+v, want a 32-byte key, a 16-byte salt and 210000 iterations", u)
	}
	key, err := pbkdf2.Key(sha256.New, "correct horse", u.Salt, u.Iterations, len(u.PasswordHash))
	if err != nil || !bytes.Equal(key, u.PasswordHash) {
		t.Errorf("stored key: not PBKDF2-SHA256 of the password with the stored salt (err %v)", err)
	}
	who := decodeObject(t, e.as(token, request{method: "GET", path: "/v1/whoami"}), http.StatusOK)
	if who["user"] != "alice" || who["role"] != "publisher" {
		t.Errorf("whoami with alice's token: got %v, want alice publisher", who)
	}
	e.postJSON("/v1/users", `{"name":"bob","role":"subscriber"}`, http.StatusCreated)

	refused := []struct {
		name, body string
		status     int
		msg        string
	}{
		{"duplicate", `{"name":"alice","role":"admin"}`, 409, "alice"},
		{"bad name", `{"name":"Alice!","role":"admin"}`, 400, "name:"},
		{"bad role", `{"name":"carol","role":"root"}`, 400, `role: "root" is not one of`},
		{"short password", `{"name":"carol","role":"admin","password":"short"}`, 400, "password: must be 12"},
		{"unknown field", `{"name":"carol","role":"admin","token":"x"}`, 400, `unknown field "token"`},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			rec := e.do(request{method: "POST", path: "/v1/users", ctype: "application/json", body: c.body})
			wantError(t, rec, c.status, "", c.msg)
			if n := len(e.store.State().Users); n != 2 {
				t.Errorf("users: got %d, want 2", n)
			}
		})
	}

	list := decodeList(t, e.do(request{method: "GET", path: "/v1/users"}))
	if len(list) != 2 || list[0]["name"] != "alice" || list[1]["name"] != "bob" || list[1]["role"] != "subscriber" {
		t.Errorf("list: got %v, want alice then bob", list)
	}
	for _, u := range list {
		if len(u) != 3 {
			t.Errorf("listed user: got fields %v, want only name, role and createdAt", u)
		}
	}

	decodeObject(t, e.do(request{method: "DELETE", path: "/v1/users/alice"}), http.StatusOK)
	wantError(t, e.as(token, request{method: "GET", path: "/v1/whoami"}), 401, "unauthorized", "admin token")
	wantError(t, e.do(request{method: "DELETE", path: "/v1/users/alice"}), 404, "not_found", "alice")
}

func TestDeleteUserOwningApps(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.addUser("dana", "subscriber")
	e.postAs(tok, "/v1/apps", `{"name":"dana-app"}`, http.StatusCreated)
	wantError(t, e.do(request{method: "DELETE", path: "/v1/users/dana"}), 409, "conflict", "dana-app")
	if _, ok := e.store.State().Users["dana"]; !ok {
		t.Errorf("user dana deleted, want kept")
	}
}

func TestLogin(t *testing.T) {
	t.Parallel()
	clk := newClock()
	e := newEnvWith(t, func(c *Config) { c.Now = clk.Now })
	e.postJSON("/v1/users", `{"name":"erin","role":"subscriber","password":"s3cret-passphrase"}`, http.StatusCreated)
	e.postJSON("/v1/users", `{"name":"nopass","role":"admin"}`, http.StatusCreated)
	login := func(body string) *httptest.ResponseRecorder {
		return e.do(request{method: "POST", path: "/v1/login", ctype: "application/json", body: body,
			header: map[string]string{"Authorization": ""}})
	}

	ok := decodeObject(t, login(`{"username":"erin","password":"s3cret-passphrase"}`), http.StatusOK)
	token, _ := ok["token"].(string)
	wantExp := float64(clk.Now().Add(12 * time.Hour).UnixMilli())
	if token == "" || ok["user"] != "erin" || ok["role"] != "subscriber" || ok["expiresAt"] != wantExp {
		t.Fatalf("login: got %v, want erin's subscriber token expiring at %v", ok, wantExp)
	}
	who := decodeObject(t, e.as(token, request{method: "GET", path: "/v1/whoami"}), http.StatusOK)
	if who["user"] != "erin" || who["role"] != "subscriber" {
		t.Errorf("whoami: got %v, want erin subscriber", who)
	}

	refused := []struct{ name, body string }{
		{"wrong password", `{"username":"erin","password":"s3cret-pasS"}`},
		{"unknown user", `{"username":"frank","password":"s3cret-passphrase"}`},
		{"user without a password", `{"username":"nopass","password":""}`},
		{"empty", `{"username":"","password":""}`},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			before := e.store.State().Index
			wantError(t, login(c.body), http.StatusUnauthorized, "unauthorized", "invalid username or password")
			if e.store.State().Index != before {
				t.Errorf("state index: got %d, want %d (no token stored)", e.store.State().Index, before)
			}
		})
	}
	wantError(t, login(`{"user":"erin"}`), http.StatusBadRequest, "invalid_request", `unknown field "user"`)

	clk.Advance(12*time.Hour - time.Millisecond)
	decodeObject(t, e.as(token, request{method: "GET", path: "/v1/whoami"}), http.StatusOK)
	clk.Advance(time.Millisecond)
	wantError(t, e.as(token, request{method: "GET", path: "/v1/whoami"}), http.StatusUnauthorized, "unauthorized",
		"admin token")
	for _, secret := range []string{"s3cret-passphrase", token} {
		if strings.Contains(e.logs.String(), secret) {
			t.Errorf("logs contain a password or token")
		}
	}
}

func TestWhoami(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cases := []struct {
		name, token, user, role string
	}{
		{"bootstrap token", testToken, "", "admin"},
		{"admin user", e.addUser("root", "admin"), "root", "admin"},
		{"publisher", e.addUser("pete", "publisher"), "pete", "publisher"},
		{"subscriber", e.addUser("sam", "subscriber"), "sam", "subscriber"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := decodeObject(t, e.as(c.token, request{method: "GET", path: "/v1/whoami"}), http.StatusOK)
			if got["user"] != c.user || got["role"] != c.role {
				t.Errorf("got %v, want user %q role %q", got, c.user, c.role)
			}
		})
	}
}
