package main

import (
	"strings"
	"testing"
)

func TestConsumerUsageErrors(t *testing.T) {
	cases := []struct {
		name  string
		args  []string
		stdin string
		msg   string
	}{
		{"lifecycle without STATE", []string{"api", "lifecycle", "greet", "1.0"},
			"", "want 3 argument(s) [NAME VERSION STATE], got 2"},
		{"consumers without NAME", []string{"api", "consumers"}, "", "want 1 argument(s) [NAME]"},
		{"doc without subcommand", []string{"api", "doc"}, "", "portico: api doc: a command is required"},
		{"unknown doc subcommand", []string{"api", "doc", "edit"}, "", `portico: api doc: unknown command "edit"`},
		{"doc add without a file", []string{"api", "doc", "add", "greet", "1.0", "guide"}, "", "--file is required"},
		{"doc get without DOC", []string{"api", "doc", "get", "greet", "1.0"}, "", "want 3 argument(s)"},
		{"app get without APP", []string{"app", "get"}, "", "want 1 argument(s) [APP]"},
		{"app share without users", []string{"app", "share", "web"}, "", "give --user NAME (repeatable) or --none"},
		{"app share with users and none", []string{"app", "share", "web", "--user", "bob", "--none"}, "",
			"give --user NAME (repeatable) or --none"},
		{"credentials without env", []string{"app", "credentials", "web"}, "", `--env "": want production or sandbox`},
		{"credentials with a bad env", []string{"app", "credentials", "web", "--env", "staging"}, "",
			`--env "staging"`},
		{"credentials with a fractional ttl", []string{"app", "credentials", "web", "--env", "sandbox",
			"--token-ttl", "1500ms"}, "", "--token-ttl 1.5s: want a whole number of seconds"},
		{"credentials with a zero refresh ttl", []string{"app", "credentials", "web", "--env", "sandbox",
			"--refresh-ttl", "0s"}, "", "--refresh-ttl 0s"},
		{"credentials with a bad duration", []string{"app", "credentials", "web", "--env", "sandbox",
			"--token-ttl", "900"}, "", "token-ttl"},
		{"sub create without major", []string{"sub", "create", "--app", "web", "--api", "greet", "--plan", "Gold"}, "",
			"--app, --api, --major and --plan are required"},
		{"sub create without plan", []string{"sub", "create", "--app", "web", "--api", "greet", "--major", "1"}, "",
			"--app, --api, --major and --plan are required"},
		{"sub block without ID", []string{"sub", "block"}, "", "want 1 argument(s) [ID]"},
		{"sub without subcommand", []string{"sub"}, "", "portico: sub: a command is required"},
		{"key regenerate without ID", []string{"key", "regenerate"}, "", "want 1 argument(s) [ID]"},
		{"plan create without rpm", []string{"plan", "create", "Platinum"}, "", "--rpm is required and at least 1"},
		{"plan create with rpm 0", []string{"plan", "create", "Platinum", "--rpm", "0"}, "", "--rpm is required"},
		{"plan create with a negative burst", []string{"plan", "create", "P", "--rpm", "5", "--burst", "-1"}, "",
			"--burst cannot be negative"},
		{"user create without role", []string{"user", "create", "alice"}, "",
			`--role "": want admin, publisher, subscriber`},
		{"user create with an unknown role", []string{"user", "create", "alice", "--role", "root"}, "", `--role "root"`},
		{"keys rotate with an argument", []string{"keys", "rotate", "now"}, "", "want 0 argument(s)"},
		{"keys without subcommand", []string{"keys"}, "", "portico: keys: a command is required"},
		{"whoami with an argument", []string{"whoami", "me"}, "", "want 0 argument(s)"},
		{"login without user", []string{"login", "--password-stdin"}, "pw\n", "login: --user is required"},
		{"login with a bad context name", []string{"login", "--user", "a", "--password-stdin", "--save", "my ctx"},
			"pw\n", `login: --save "my ctx"`},
		{"login from a pipe without --password-stdin", []string{"login", "--user", "alice"}, "secret\n",
			"login: stdin is not a terminal: give the password on stdin with --password-stdin"},
		{"context use without NAME", []string{"context", "use"}, "", "want 1 argument(s) [NAME]"},
	}
	t.Setenv("PORTICO_TOKEN", "")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAdmin(t)
			r := runInput(tc.stdin, append([]string{"--server", f.url}, tc.args...)...)
			r.failed(t, exitUsage, tc.msg)
			if n := len(f.requests()); n != 0 {
				t.Errorf("requests: got %d, want none", n)
			}
			if tc.stdin != "" && strings.Contains(r.stderr, strings.TrimSpace(tc.stdin)) {
				t.Errorf("stderr %q shows the password", r.stderr)
			}
		})
	}
}

func TestHelpNamesBothKindsOfKeys(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"key", "--help"}, "token signing keys: see 'portico keys'"},
		{[]string{"keys", "--help"}, "API keys: see 'portico key'"},
		{[]string{"--help"}, "manage the keys that sign the cluster's OAuth2 access tokens"},
		{[]string{"app", "credentials", "--help"}, "--refresh-ttl"},
		{[]string{"api", "doc", "--help"}, "add"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			if out := runCLI(tc.args...).ok(t); !strings.Contains(out, tc.want) {
				t.Errorf("stdout: got %q, want it to contain %q", out, tc.want)
			}
		})
	}
}
