package main

import (
	"os"
	"strings"
	"testing"
)

const tokensJSON = `[{"id":"tok1","user":"","name":"bootstrap","role":"admin","createdAt":1,"expiresAt":0},` +
	`{"id":"00000000000000c3","user":"alice","name":"login","role":"subscriber","createdAt":1700000000000,` +
	`"expiresAt":1700043200000}]`

func TestTokenCommands(t *testing.T) {
	list := wantRequest{method: "GET", path: "/v1/tokens"}
	revoke := wantRequest{method: "DELETE", path: "/v1/tokens/00000000000000c3", write: true}
	cases := []struct {
		name    string
		args    []string
		replies []fakeReply
		want    []wantRequest
		code    int
		stdout  []string
		stderr  string
	}{
		{"list", []string{"token", "list"}, []fakeReply{{200, nil, tokensJSON}}, []wantRequest{list}, exitOK,
			[]string{"ID                USER         NAME       ROLE        CREATED               EXPIRES\n",
				"tok1              (bootstrap)  bootstrap  admin       1970-01-01T00:00:00Z  -\n",
				"00000000000000c3  alice        login      subscriber  2023-11-14T22:13:20Z  2023-11-15T10:13:20Z\n"},
			""},
		{"list as JSON", []string{"token", "list", "-o", "json"}, []fakeReply{{200, nil, tokensJSON}},
			[]wantRequest{list}, exitOK, []string{`"id": "tok1"`, `"user": ""`, `"name": "login"`,
				`"role": "subscriber"`, `"createdAt": 1700000000000`, `"expiresAt": 0`}, ""},
		{"list of none", []string{"token", "list", "-o", "json"}, []fakeReply{{200, nil, `[]`}},
			[]wantRequest{list}, exitOK, []string{"[]\n"}, ""},
		{"revoke", []string{"token", "revoke", "00000000000000c3"},
			[]fakeReply{{200, nil, `{"id":"00000000000000c3","deleted":true}`}}, []wantRequest{revoke}, exitOK,
			[]string{"revoked admin token 00000000000000c3\n"}, ""},
		{"revoke as JSON", []string{"-o", "json", "token", "revoke", "00000000000000c3"},
			[]fakeReply{{200, nil, `{"id":"00000000000000c3","deleted":true}`}}, []wantRequest{revoke}, exitOK,
			[]string{`"id": "00000000000000c3"`, `"deleted": true`}, ""},
		{"revoke of the bootstrap token", []string{"token", "revoke", "tok1"},
			[]fakeReply{{409, nil, `{"error":"conflict","message":"admin token \"tok1\" is the bootstrap token, ` +
				`which cannot be revoked"}`}},
			[]wantRequest{{method: "DELETE", path: "/v1/tokens/tok1", write: true}}, exitError, nil,
			`portico: admin token "tok1" is the bootstrap token, which cannot be revoked`},
		{"revoke of another's", []string{"token", "revoke", "00000000000000c3"},
			[]fakeReply{{404, nil, `{"error":"not_found","message":"admin token \"00000000000000c3\" not found"}`}},
			[]wantRequest{revoke}, exitError, nil, `portico: admin token "00000000000000c3" not found`},
		{"revoke without ID", []string{"token", "revoke"}, nil, nil, exitUsage, nil, "want 1 argument(s) [ID]"},
		{"list with an argument", []string{"token", "list", "all"}, nil, nil, exitUsage, nil, "want 0 argument(s)"},
		{"token without subcommand", []string{"token"}, nil, nil, exitUsage, nil,
			"portico: token: a command is required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAdmin(t, tc.replies...)
			r := f.run(tc.args...)
			if r.code != tc.code {
				t.Errorf("exit code: got %d, want %d (stderr %q)", r.code, tc.code, r.stderr)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("stdout: got %q, want it to contain %q", r.stdout, s)
				}
			}
			checkStderr(t, r.stderr, tc.stderr)
			checkCalls(t, f.requests(), tc.want)
		})
	}
}

func TestLogout(t *testing.T) {
	const saved = "session-token-of-alice"
	cases := []struct {
		name     string
		args     []string // after the program name; the fake's URL replaces SERVER
		context  bool     // whether a current context holds the fake's server and the saved token
		reply    fakeReply
		code     int
		stdout   []string
		stderr   string
		auth     string // the Authorization the logout sends; "" = no request
		keepSave bool   // whether the saved token stays in the context
	}{
		{"the current context's token", []string{"logout"}, true, fakeReply{200, nil, `{"loggedOut":true}`}, exitOK,
			[]string{"logged out: the admin token is revoked\n", "removed the token from context prod\n"}, "",
			"Bearer " + saved, false},
		{"as JSON", []string{"logout", "-o", "json"}, true, fakeReply{200, nil, `{"loggedOut":true}`}, exitOK,
			[]string{`"loggedOut": true`, `"context": "prod"`}, "", "Bearer " + saved, false},
		{"the same token given as a flag", []string{"--token", saved, "logout"}, true,
			fakeReply{200, nil, `{"loggedOut":true}`}, exitOK, []string{"removed the token from context prod\n"}, "",
			"Bearer " + saved, false},
		{"another token keeps the saved one", []string{"--token", "other-token", "logout"}, true,
			fakeReply{200, nil, `{"loggedOut":true}`}, exitOK, []string{"logged out: the admin token is revoked\n"}, "",
			"Bearer other-token", true},
		{"without a context", []string{"--server", "SERVER", "--token", "flag-token", "logout", "-o", "json"}, false,
			fakeReply{200, nil, `{"loggedOut":true}`}, exitOK, []string{"{\n  \"loggedOut\": true\n}\n"}, "",
			"Bearer flag-token", false},
		{"a token refused already", []string{"logout"}, true, fakeReply{401, nil,
			`{"error":"unauthorized","message":"a valid admin token is required"}`}, exitOK,
			[]string{"no longer accepted (expired or revoked)", "removed the token from context prod\n"}, "",
			"Bearer " + saved, false},
		{"the bootstrap token", []string{"logout"}, true, fakeReply{409, nil, `{"error":"conflict","message":` +
			`"the bootstrap token cannot log out: it belongs to no user"}`}, exitError, nil,
			"portico: the bootstrap token cannot log out", "Bearer " + saved, true},
		{"no token", []string{"--server", "SERVER", "logout"}, false, fakeReply{}, exitUsage, nil,
			"logout: no admin token to log out", "", false},
		{"an argument", []string{"logout", "now"}, true, fakeReply{}, exitUsage, nil, "want 0 argument(s)", "",
			true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := useConfig(t)
			f := newFakeAdmin(t, tc.reply)
			if tc.context {
				cfg := &cliConfig{Current: "prod", Contexts: map[string]*cliContext{
					"prod": {Server: f.url, Token: saved}, "other": {Server: f.url, Token: saved}}}
				if err := cfg.save(path); err != nil {
					t.Fatal(err)
				}
			}
			args := append([]string(nil), tc.args...)
			for i, a := range args {
				if a == "SERVER" {
					args[i] = f.url
				}
			}
			r := runCLI(args...)
			if r.code != tc.code {
				t.Errorf("exit code: got %d, want %d (stderr %q)", r.code, tc.code, r.stderr)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("stdout: got %q, want it to contain %q", r.stdout, s)
				}
			}
			checkStderr(t, r.stderr, tc.stderr)
			checkLogoutRequest(t, f.requests(), tc.auth)
			if strings.Contains(r.stdout+r.stderr, saved) {
				t.Errorf("the token shows in the output: %q %q", r.stdout, r.stderr)
			}
			if tc.context {
				checkSavedToken(t, path, f.url, tc.keepSave, saved)
			}
		})
	}
}

// checkLogoutRequest requires one POST /v1/logout with Authorization auth, or no request when auth is "".
func checkLogoutRequest(t *testing.T, reqs []gotRequest, auth string) {
	t.Helper()
	if auth == "" {
		if len(reqs) != 0 {
			t.Errorf("requests: got %+v, want none", reqs)
		}
		return
	}
	if len(reqs) != 1 || reqs[0].method != "POST" || reqs[0].path != "/v1/logout" || reqs[0].auth != auth ||
		reqs[0].key == "" {
		t.Errorf("requests: got %+v, want one POST /v1/logout with %q and an Idempotency-Key", reqs, auth)
	}
}

// checkSavedToken requires the current context prod to keep its server, and its token only if keep; the other
// context is never changed, and the file stays 0600.
func checkSavedToken(t *testing.T, path, server string, keep bool, token string) {
	t.Helper()
	cfg := readConfig(t, path)
	want := cliContext{Server: server}
	if keep {
		want.Token = token
	}
	if cfg.Current != "prod" || cfg.Contexts["prod"] == nil || *cfg.Contexts["prod"] != want {
		t.Errorf("context prod: got %+v, want %+v", cfg.Contexts["prod"], want)
	}
	if o := cfg.Contexts["other"]; o == nil || o.Token != token {
		t.Errorf("context other: got %+v, want its token kept", o)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("config file: got %v, %v, want mode 0600", info, err)
	}
}
