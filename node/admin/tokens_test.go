package admin

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// tokenEnv has the subscribers alice (a user token and a login token) and bob, the publisher pam and the admin root.
type tokenEnv struct {
	*env
	tokens map[string]string // by name: "admin" (bootstrap), alice, alice-login, bob, pam, root
}

func newTokenEnv(t *testing.T) *tokenEnv {
	t.Helper()
	e := newEnv(t)
	te := &tokenEnv{env: e, tokens: map[string]string{"admin": testToken}}
	te.tokens["alice"] = e.postJSON("/v1/users", `{"name":"alice","role":"subscriber","password":"alice-password"}`,
		http.StatusCreated)["token"].(string)
	for _, u := range []struct{ name, role string }{{"bob", "subscriber"}, {"pam", "publisher"}, {"root", "admin"}} {
		te.tokens[u.name] = e.addUser(u.name, u.role)
	}
	login := e.do(request{method: "POST", path: "/v1/login", ctype: "application/json",
		body: `{"username":"alice","password":"alice-password"}`, header: map[string]string{"Authorization": ""}})
	te.tokens["alice-login"] = decodeObject(t, login, http.StatusOK)["token"].(string)
	return te
}

// id is the ID of the stored admin token named name in te.tokens.
func (te *tokenEnv) id(name string) string {
	te.t.Helper()
	tok := findToken(te.store.State(), te.tokens[name])
	if tok == nil {
		te.t.Fatalf("token %s: not stored", name)
	}
	return tok.ID
}

// works reports whether the token named name is accepted.
func (te *tokenEnv) works(name string) bool {
	te.t.Helper()
	return te.as(te.tokens[name], request{method: "GET", path: "/v1/whoami"}).Code == http.StatusOK
}

func TestListTokens(t *testing.T) {
	t.Parallel()
	e := newTokenEnv(t)
	cases := []struct {
		who  string
		want []string // token names in e.tokens
	}{
		{"admin", []string{"admin", "alice", "alice-login", "bob", "pam", "root"}},
		{"root", []string{"admin", "alice", "alice-login", "bob", "pam", "root"}},
		{"alice", []string{"alice", "alice-login"}},
		{"alice-login", []string{"alice", "alice-login"}},
		{"bob", []string{"bob"}},
		{"pam", []string{"pam"}},
	}
	for _, c := range cases {
		t.Run(c.who, func(t *testing.T) {
			list := decodeList(t, e.as(e.tokens[c.who], request{method: "GET", path: "/v1/tokens"}))
			var got, want []string
			for _, tok := range list {
				got = append(got, tok["id"].(string))
			}
			for _, name := range c.want {
				want = append(want, e.id(name))
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("token IDs: got %v, want %v", got, want)
			}
		})
	}
	list := decodeList(t, e.as(e.tokens["alice"], request{method: "GET", path: "/v1/tokens"}))
	st := e.store.State()
	for _, tok := range list {
		stored := st.AdminTokens[tok["id"].(string)]
		want := map[string]any{"id": stored.ID, "user": "alice", "name": stored.Name, "role": "subscriber",
			"createdAt": float64(stored.CreatedAt), "expiresAt": float64(stored.ExpiresAt)}
		if len(tok) != len(want) {
			t.Errorf("listed token: got fields %v, want only %v", tok, want)
		}
		for k, v := range want {
			if tok[k] != v {
				t.Errorf("listed token %s: %s: got %v, want %v", stored.ID, k, tok[k], v)
			}
		}
	}
	if login := st.AdminTokens[e.id("alice-login")]; login.ExpiresAt == 0 {
		t.Errorf("login token: got no expiry, want one")
	}
	boot := decodeList(t, e.as(testToken, request{method: "GET", path: "/v1/tokens"}))[0]
	if boot["id"] != "tok1" || boot["user"] != "" || boot["role"] != "admin" {
		t.Errorf("first token listed to an admin: got %v, want the bootstrap token tok1 with role admin", boot)
	}
}

func TestRevokeToken(t *testing.T) {
	t.Parallel()
	e := newTokenEnv(t)
	cases := []struct {
		name, who, target string // target: a name in e.tokens, or a literal ID
		status            int
		code, msg         string
		revoked           string // the token that stops working
	}{
		{"subscriber on another's token", "alice", "bob", 404, "not_found", "not found", ""},
		{"subscriber on the bootstrap token", "alice", "admin", 404, "not_found", "not found", ""},
		{"subscriber on an absent token", "alice", "0123456789abcdef", 404, "not_found",
			`admin token "0123456789abcdef" not found`, ""},
		{"publisher on a subscriber's token", "pam", "alice", 404, "not_found", "not found", ""},
		{"admin on the bootstrap token", "root", "admin", 409, "conflict", "bootstrap token, which cannot be revoked",
			""},
		{"bootstrap on itself", "admin", "admin", 409, "conflict", "cannot be revoked", ""},
		{"subscriber revokes their own other token", "alice", "alice-login", 200, "", "", "alice-login"},
		{"admin revokes a subscriber's", "root", "bob", 200, "", "", "bob"},
		{"bootstrap revokes an admin's", "admin", "root", 200, "", "", "root"},
		{"publisher revokes the token in use", "pam", "pam", 200, "", "", "pam"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := c.target
			if _, ok := e.tokens[c.target]; ok {
				id = e.id(c.target)
			}
			before := e.store.State().Index
			rec := e.as(e.tokens[c.who], request{method: "DELETE", path: "/v1/tokens/" + id})
			if c.status != http.StatusOK {
				wantError(t, rec, c.status, c.code, c.msg)
				if got := e.store.State().Index; got != before {
					t.Errorf("state index: got %d, want %d (nothing applied)", got, before)
				}
				if strings.Contains(rec.Body.String(), "bob") {
					t.Errorf("the refusal names the owner: %s", rec.Body)
				}
				return
			}
			got := decodeObject(t, rec, http.StatusOK)
			if got["id"] != id || got["deleted"] != true {
				t.Errorf("answer: got %v, want id %s deleted", got, id)
			}
			if e.works(c.revoked) {
				t.Errorf("token %s still accepted after its revocation, want 401 at once", c.revoked)
			}
			if _, ok := e.store.State().AdminTokens[id]; ok {
				t.Errorf("token %s still stored", id)
			}
		})
	}
	for _, name := range []string{"admin", "alice"} {
		if !e.works(name) {
			t.Errorf("token %s refused, want it untouched", name)
		}
	}
}

func TestRevokeRefusalsMatch(t *testing.T) {
	t.Parallel()
	e := newTokenEnv(t)
	refusal := func(id string) string {
		rec := e.as(e.tokens["alice"], request{method: "DELETE", path: "/v1/tokens/" + id})
		msg, _ := decodeObject(t, rec, http.StatusNotFound)["message"].(string)
		return strings.ReplaceAll(msg, id, "ID")
	}
	if got, want := refusal(e.id("bob")), refusal("0123456789abcdef"); got != want {
		t.Errorf("refusal for another's token: got %q, want %q (as for an absent one)", got, want)
	}
}

func TestLogout(t *testing.T) {
	t.Parallel()
	e := newTokenEnv(t)
	cases := []struct {
		name, who string
		status    int
		code, msg string
	}{
		{"bootstrap token", "admin", 409, "conflict", "the bootstrap token cannot log out"},
		{"login token", "alice-login", 200, "", ""},
		{"the same token again", "alice-login", 401, "unauthorized", "admin token"},
		{"subscriber's first token", "bob", 200, "", ""},
		{"admin user", "root", 200, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.store.State()
			rec := e.as(e.tokens[c.who], request{method: "POST", path: "/v1/logout"})
			if c.status != http.StatusOK {
				wantError(t, rec, c.status, c.code, c.msg)
				if got := e.store.State().Index; got != before.Index {
					t.Errorf("state index: got %d, want %d (nothing applied)", got, before.Index)
				}
				return
			}
			if got := decodeObject(t, rec, http.StatusOK); len(got) != 1 || got["loggedOut"] != true {
				t.Errorf("answer: got %v, want only loggedOut true", got)
			}
			if e.works(c.who) {
				t.Errorf("token %s still accepted after logout, want 401", c.who)
			}
			if n := len(e.store.State().AdminTokens); n != len(before.AdminTokens)-1 {
				t.Errorf("admin tokens: got %d, want %d (only the caller's removed)", n, len(before.AdminTokens)-1)
			}
		})
	}
	for _, name := range []string{"admin", "alice", "pam"} {
		if !e.works(name) {
			t.Errorf("token %s refused after others logged out, want it untouched", name)
		}
	}
}

// TestTokenSecretsNeverShown lists and revokes tokens as every caller: no answer and no log line holds a token or
// its hash.
func TestTokenSecretsNeverShown(t *testing.T) {
	t.Parallel()
	e := newTokenEnv(t)
	var forms []string
	for _, tok := range e.tokens {
		sum := sha256.Sum256([]byte(tok))
		forms = append(forms, tok, hex.EncodeToString(sum[:]), base64.StdEncoding.EncodeToString(sum[:]),
			base64.RawURLEncoding.EncodeToString(sum[:]))
	}
	var bodies []string
	for _, who := range []string{"admin", "root", "alice", "bob", "pam"} {
		bodies = append(bodies, e.as(e.tokens[who], request{method: "GET", path: "/v1/tokens"}).Body.String())
	}
	bodies = append(bodies,
		e.as(e.tokens["alice"], request{method: "DELETE", path: "/v1/tokens/" + e.id("alice-login")}).Body.String(),
		e.as(e.tokens["bob"], request{method: "DELETE", path: "/v1/tokens/" + e.id("alice")}).Body.String(),
		e.as(e.tokens["pam"], request{method: "POST", path: "/v1/logout"}).Body.String(),
		e.as(testToken, request{method: "POST", path: "/v1/logout"}).Body.String())
	logs := e.logs.String()
	if !strings.Contains(logs, "/v1/tokens") {
		t.Fatalf("no token request logged: the log check would prove nothing")
	}
	for _, f := range forms {
		for _, b := range append(bodies, logs) {
			if strings.Contains(b, f) {
				t.Errorf("an answer or the log holds a token or its hash %.8s...", f)
			}
		}
	}
}
