package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const (
	password    = "correct horse battery"
	sessionJSON = `{"token":"session-token-of-alice","expiresAt":1700043200000,"user":"alice","role":"publisher"}`
)

// useConfig points the CLI at a config file of its own in a new directory, and returns its path.
func useConfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "portico", "config.yaml")
	t.Setenv(configEnv, path)
	t.Setenv("PORTICO_SERVER", "")
	t.Setenv("PORTICO_TOKEN", "")
	return path
}

func TestLogin(t *testing.T) {
	cases := []struct {
		name    string
		stdin   string
		reply   fakeReply
		code    int
		stdout  []string
		stderr  string
		request bool // whether the login reached the server
		sent    string
	}{
		{"password on stdin", password + "\n", fakeReply{200, nil, sessionJSON}, exitOK,
			[]string{"alice  publisher  2023-11-15T10:13:20Z\n", "TOKEN  session-token-of-alice\n"}, "", true, password},
		{"windows line ending", password + "\r\n", fakeReply{200, nil, sessionJSON}, exitOK, []string{"TOKEN"}, "",
			true, password},
		{"no line ending", password, fakeReply{200, nil, sessionJSON}, exitOK, []string{"TOKEN"}, "", true, password},
		{"only the first line", password + "\nsecond line\n", fakeReply{200, nil, sessionJSON}, exitOK,
			[]string{"TOKEN"}, "", true, password},
		{"wrong password", "wr0ng-pa55\n", fakeReply{401, nil,
			`{"error":"unauthorized","message":"wrong user or password"}`}, exitError, nil,
			"portico: wrong user or password", true, "wr0ng-pa55"},
		{"empty stdin", "", fakeReply{200, nil, sessionJSON}, exitError, nil, "reading the password: it is empty",
			false, ""},
		{"too long", strings.Repeat("p", maxPassword+1) + "\n", fakeReply{200, nil, sessionJSON}, exitError, nil,
			"longer than 1024 bytes", false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			useConfig(t)
			f := newFakeAdmin(t, tc.reply)
			r := runInput(tc.stdin, "--server", f.url, "--token", "ignored-token", "login", "--user", "alice",
				"--password-stdin")
			if r.code != tc.code {
				t.Errorf("exit code: got %d, want %d (stderr %q)", r.code, tc.code, r.stderr)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("stdout: got %q, want it to contain %q", r.stdout, s)
				}
			}
			checkStderr(t, r.stderr, tc.stderr)
			if tc.sent != "" && (strings.Contains(r.stdout, tc.sent) || strings.Contains(r.stderr, tc.sent)) {
				t.Errorf("the password shows in the output: stdout %q stderr %q", r.stdout, r.stderr)
			}
			reqs := f.requests()
			if !tc.request {
				if len(reqs) != 0 {
					t.Errorf("requests: got %d, want none", len(reqs))
				}
				return
			}
			want := `{"password":"` + tc.sent + `","username":"alice"}`
			if len(reqs) != 1 || reqs[0].method != "POST" || reqs[0].path != "/v1/login" || reqs[0].body != want {
				t.Fatalf("requests: got %+v, want one POST /v1/login with %s", reqs, want)
			}
			if reqs[0].auth != "" {
				t.Errorf("Authorization: got %q, want none on a login", reqs[0].auth)
			}
		})
	}
}

func TestLoginJSON(t *testing.T) {
	useConfig(t)
	f := newFakeAdmin(t, fakeReply{200, nil, sessionJSON})
	var res map[string]any
	decodeOne(t, runInput(password+"\n", "--server", f.url, "-o", "json", "login", "--user", "alice",
		"--password-stdin").ok(t), &res)
	if res["token"] != "session-token-of-alice" || res["role"] != "publisher" || res["context"] != nil {
		t.Errorf("login -o json: got %v, want the token and role, no context", res)
	}
}

// readConfig decodes the config file at path.
func readConfig(t *testing.T, path string) cliConfig {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading the config file: %v", err)
	}
	var cfg cliConfig
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatalf("decoding the config file: %v", err)
	}
	return cfg
}

func TestLoginSaveAndContexts(t *testing.T) {
	path := useConfig(t)
	prod := newFakeAdmin(t, fakeReply{200, nil, sessionJSON}, fakeReply{200, nil, `{"user":"alice","role":"publisher"}`})
	staging := newFakeAdmin(t, fakeReply{200, nil, `{"token":"staging-token","expiresAt":1,"user":"bob",` +
		`"role":"admin"}`}, fakeReply{200, nil, `{"user":"bob","role":"admin"}`})

	out := runInput(password+"\n", "--server", prod.url, "login", "--user", "alice", "--password-stdin", "--save",
		"prod").ok(t)
	if !strings.Contains(out, "saved as context prod, the current context") {
		t.Errorf("login --save: got %q, want the context saved as current", out)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("config file: got %v, %v, want mode 0600", info, err)
	}
	if dir, err := os.Stat(filepath.Dir(path)); err != nil || dir.Mode().Perm() != 0o700 {
		t.Errorf("config directory: got %v, %v, want mode 0700", dir, err)
	}
	b, _ := os.ReadFile(path)
	if strings.Contains(string(b), password) {
		t.Errorf("config file holds the password: %q", b)
	}
	cfg := readConfig(t, path)
	if cfg.Current != "prod" || cfg.Contexts["prod"] == nil ||
		*cfg.Contexts["prod"] != (cliContext{Server: prod.url, Token: "session-token-of-alice"}) {
		t.Fatalf("config: got %+v, want the current context prod with the server and token", cfg)
	}

	out = runInput("pw\n", "--server", staging.url, "login", "--user", "bob", "--password-stdin", "--save",
		"staging").ok(t)
	if !strings.Contains(out, "select it with 'portico context use staging'") {
		t.Errorf("second login --save: got %q, want a hint to select it", out)
	}
	if cfg := readConfig(t, path); cfg.Current != "prod" || len(cfg.Contexts) != 2 {
		t.Errorf("config after a second save: got %+v, want prod still current and two contexts", cfg)
	}

	// Without --server and --token a command calls the current context's server with its token.
	if out := runCLI("whoami").ok(t); !strings.Contains(out, "alice  publisher") {
		t.Errorf("whoami through the context: got %q", out)
	}
	checkAuth(t, prod, 1, "Bearer session-token-of-alice")

	out = runCLI("context", "use", "staging").ok(t)
	if out != "using context staging ("+staging.url+")\n" {
		t.Errorf("context use: got %q", out)
	}
	if out := runCLI("whoami").ok(t); !strings.Contains(out, "bob   admin\n") {
		t.Errorf("whoami after context use: got %q", out)
	}
	checkAuth(t, staging, 1, "Bearer staging-token")

	list := runCLI("context", "list").ok(t)
	for _, want := range []string{"CURRENT  NAME     SERVER\n", "         prod     " + prod.url + "\n",
		"*        staging  " + staging.url + "\n"} {
		if !strings.Contains(list, want) {
			t.Errorf("context list: got %q, want it to contain %q", list, want)
		}
	}
	var views []map[string]any
	decodeOne(t, runCLI("context", "list", "-o", "json").ok(t), &views)
	if len(views) != 2 || views[1]["name"] != "staging" || views[1]["current"] != true {
		t.Errorf("context list -o json: got %v", views)
	}
	for _, out := range []string{list, runCLI("context", "list", "-o", "yaml").ok(t)} {
		if strings.Contains(out, "token") {
			t.Errorf("context list shows a token: %q", out)
		}
	}
	runCLI("context", "use", "nope").failed(t, exitError, `no context "nope"`)
}

// checkAuth requires the n-th request (from 0) f received to carry the Authorization header want.
func checkAuth(t *testing.T, f *fakeAdmin, n int, want string) {
	t.Helper()
	reqs := f.requests()
	if len(reqs) <= n || reqs[n].auth != want {
		t.Fatalf("request %d of %d: got %+v, want Authorization %q", n, len(reqs), reqs, want)
	}
}

func TestContextFallback(t *testing.T) {
	ctxServer := newFakeAdmin(t, fakeReply{200, nil, "[]"})
	other := newFakeAdmin(t, fakeReply{200, nil, "[]"})
	cases := []struct {
		name     string
		env      map[string]string
		args     []string
		reached  *fakeAdmin
		wantAuth string
	}{
		{"the context's server and token", nil, nil, ctxServer, "Bearer ctx-token"},
		{"a flag token with the context's server", nil, []string{"--token", "flag-token"}, ctxServer,
			"Bearer flag-token"},
		{"the context's token is not sent to another server", nil, []string{"--server", other.url}, other, ""},
		{"the context's token goes to its server named again", nil, []string{"--server", ctxServer.url + "/"},
			ctxServer, "Bearer ctx-token"},
		{"PORTICO_SERVER wins over the context", map[string]string{"PORTICO_SERVER": other.url}, nil, other, ""},
		{"PORTICO_TOKEN wins over the context", map[string]string{"PORTICO_TOKEN": "env-token"}, nil, ctxServer,
			"Bearer env-token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := useConfig(t)
			cfg := &cliConfig{Current: "c", Contexts: map[string]*cliContext{"c": {Server: ctxServer.url,
				Token: "ctx-token"}}}
			if err := cfg.save(path); err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			before := len(tc.reached.requests())
			runCLI(append(tc.args, "app", "list")...).ok(t)
			checkAuth(t, tc.reached, before, tc.wantAuth)
		})
	}
}

func TestConfigFile(t *testing.T) {
	cases := []struct {
		name    string
		content string
		code    int
		msg     string
	}{
		{"unknown field", "current-context: a\ncontexts:\n  a:\n    server: http://x\n    tokn: t\n", exitError,
			"field tokn not found"},
		{"current context not defined", "current-context: b\ncontexts:\n  a:\n    server: http://x\n", exitError,
			`current context "b" is not defined`},
		{"context without server", "contexts:\n  a:\n    token: t\n", exitError, `context "a" has no server`},
		{"not YAML", "{{{", exitError, "reading the config file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := useConfig(t)
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			runCLI("app", "list").failed(t, tc.code, tc.msg)
		})
	}
}

func TestSaveReplacesAWiderFile(t *testing.T) {
	path := useConfig(t)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("contexts:\n  old:\n    server: http://old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := newFakeAdmin(t, fakeReply{200, nil, sessionJSON})
	runInput(password+"\n", "--server", f.url, "login", "--user", "alice", "--password-stdin", "--save", "new").ok(t)
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("config file: got %v, %v, want mode 0600", info, err)
	}
	if cfg := readConfig(t, path); cfg.Contexts["old"] == nil || cfg.Contexts["new"] == nil || cfg.Current != "new" {
		t.Errorf("config: got %+v, want both contexts and new current", cfg)
	}
}

func TestEndpointWithoutConfig(t *testing.T) {
	useConfig(t)
	cases := []struct {
		name                  string
		flags                 globalFlags
		wantServer, wantToken string
	}{
		{"the default server", globalFlags{}, defaultServer, ""},
		{"flags", globalFlags{Server: "http://h:1", Token: "t"}, "http://h:1", "t"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			server, token, err := tc.flags.endpoint()
			if err != nil || server != tc.wantServer || token != tc.wantToken {
				t.Errorf("endpoint: got %q, %q, %v, want %q, %q", server, token, err, tc.wantServer, tc.wantToken)
			}
		})
	}
}
