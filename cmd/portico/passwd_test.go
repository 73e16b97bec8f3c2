package main

import (
	"strings"
	"testing"
)

// Passwords of the passwd tests.
const (
	oldPassword = "old-password-1"
	newPassword = "new-password-12"
)

func TestUserPasswd(t *testing.T) {
	aliceJSON := `{"user":"alice","role":"subscriber"}`
	changed := func(name string) fakeReply {
		return fakeReply{200, nil, `{"name":"` + name + `","changed":true}`}
	}
	whoami := wantRequest{method: "GET", path: "/v1/whoami"}
	ownChange := wantRequest{method: "POST", path: "/v1/users/alice/password", ctype: "application/json",
		body: `{"currentPassword":"` + oldPassword + `","password":"` + newPassword + `"}`, write: true}
	setBob := wantRequest{method: "POST", path: "/v1/users/bob/password", ctype: "application/json",
		body: `{"password":"` + newPassword + `"}`, write: true}
	cases := []struct {
		name    string
		args    []string
		stdin   string
		replies []fakeReply
		want    []wantRequest
		code    int
		stdout  []string
		stderr  string
	}{
		{"own password", []string{"user", "passwd", "--password-stdin"}, oldPassword + "\n" + newPassword + "\n",
			[]fakeReply{{200, nil, aliceJSON}, changed("alice")}, []wantRequest{whoami, ownChange}, exitOK,
			[]string{"changed the password of user alice; the user's other sessions are ended\n"}, ""},
		{"own password as JSON", []string{"-o", "json", "user", "passwd", "--password-stdin"},
			oldPassword + "\r\n" + newPassword, []fakeReply{{200, nil, aliceJSON}, changed("alice")},
			[]wantRequest{whoami, ownChange}, exitOK, []string{`"name": "alice"`, `"changed": true`}, ""},
		{"another user's", []string{"user", "passwd", "bob", "--password-stdin"}, newPassword + "\n",
			[]fakeReply{changed("bob")}, []wantRequest{setBob}, exitOK, []string{"changed the password of user bob; the user's other sessions are ended\n"},
			""},
		{"another user's reads one line", []string{"user", "passwd", "--password-stdin", "bob"},
			newPassword + "\n" + oldPassword + "\n", []fakeReply{changed("bob")}, []wantRequest{setBob}, exitOK,
			[]string{"changed the password of user bob; the user's other sessions are ended\n"}, ""},
		{"a name that needs escaping", []string{"user", "passwd", "a/b", "--password-stdin"}, newPassword + "\n",
			[]fakeReply{changed("a/b")}, []wantRequest{{method: "POST", path: "/v1/users/a%2Fb/password",
				ctype: "application/json", body: `{"password":"` + newPassword + `"}`, write: true}}, exitOK, nil, ""},
		{"own without a new password", []string{"user", "passwd", "--password-stdin"}, oldPassword + "\n",
			[]fakeReply{{200, nil, aliceJSON}}, []wantRequest{whoami}, exitError, nil,
			"portico: reading the new password: it is empty"},
		{"own with an empty current password", []string{"user", "passwd", "--password-stdin"},
			"\n" + newPassword + "\n", []fakeReply{{200, nil, aliceJSON}}, []wantRequest{whoami}, exitError, nil,
			"portico: reading the current password: it is empty"},
		{"own with the bootstrap token", []string{"user", "passwd", "--password-stdin"},
			oldPassword + "\n" + newPassword + "\n", []fakeReply{{200, nil, `{"user":"","role":"admin"}`}},
			[]wantRequest{whoami}, exitError, nil, "the bootstrap token belongs to no user: give the NAME"},
		{"wrong current password", []string{"user", "passwd", "--password-stdin"},
			oldPassword + "\n" + newPassword + "\n", []fakeReply{{200, nil, aliceJSON},
				{401, nil, `{"error":"unauthorized","message":"invalid username or password"}`}},
			[]wantRequest{whoami, ownChange}, exitError, nil, "portico: invalid username or password\n"},
		{"new password too short", []string{"user", "passwd", "bob", "--password-stdin"}, newPassword + "\n",
			[]fakeReply{{400, nil, `{"error":"invalid_request","message":"password: must be 12 to 1024 bytes"}`}},
			[]wantRequest{setBob}, exitError, nil, "portico: password: must be 12 to 1024 bytes\n"},
		{"naming oneself without being an admin", []string{"user", "passwd", "bob", "--password-stdin"},
			newPassword + "\n", []fakeReply{{400, nil, `{"error":"invalid_request","message":"currentPassword: is ` +
				`required to change your own password"}`}}, []wantRequest{setBob}, exitError, nil,
			"currentPassword: is required to change your own password (to change your own password, omit NAME"},
		{"another's as a subscriber", []string{"user", "passwd", "bob", "--password-stdin"}, newPassword + "\n",
			[]fakeReply{{404, nil, `{"error":"not_found","message":"user \"bob\" not found"}`}},
			[]wantRequest{setBob}, exitError, nil, `portico: user "bob" not found`},
		{"too many arguments", []string{"user", "passwd", "bob", "carol", "--password-stdin"}, newPassword + "\n",
			nil, nil, exitUsage, nil, "want at most 1 argument [NAME], got 2"},
		{"from a pipe without --password-stdin", []string{"user", "passwd"}, oldPassword + "\n" + newPassword + "\n",
			nil, nil, exitUsage, nil, "user passwd: stdin is not a terminal: give the password on stdin with " +
				"--password-stdin"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAdmin(t, tc.replies...)
			r := f.runInput(tc.stdin, tc.args...)
			if r.code != tc.code {
				t.Errorf("exit code: got %d, want %d (stderr %q)", r.code, tc.code, r.stderr)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("stdout: got %q, want it to contain %q", r.stdout, s)
				}
			}
			if tc.code != exitOK && r.stdout != "" {
				t.Errorf("stdout: got %q, want nothing on failure", r.stdout)
			}
			checkStderr(t, r.stderr, tc.stderr)
			checkCalls(t, f.requests(), tc.want)
			for _, p := range []string{oldPassword, newPassword} {
				if strings.Contains(r.stdout, p) || strings.Contains(r.stderr, p) {
					t.Errorf("a password shows in the output: stdout %q stderr %q", r.stdout, r.stderr)
				}
			}
		})
	}
}

// checkCalls compares the requests received with the ones wanted, each write with an Idempotency-Key of its own
// (checkRequests wants every request to be an attempt of one write).
func checkCalls(t *testing.T, got []gotRequest, want []wantRequest) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("requests: got %d %+v, want %d", len(got), got, len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.method != w.method || g.path != w.path || g.query != w.query {
			t.Errorf("request %d: got %s %s?%s, want %s %s?%s", i, g.method, g.path, g.query, w.method, w.path, w.query)
		}
		if g.ctype != w.ctype || g.body != w.body {
			t.Errorf("request %d body: got %q (%s), want %q (%s)", i, g.body, g.ctype, w.body, w.ctype)
		}
		if g.auth != "Bearer "+testToken {
			t.Errorf("request %d Authorization: got %q, want the admin token", i, g.auth)
		}
		if w.write != (g.key != "") {
			t.Errorf("request %d Idempotency-Key: got %q, want one only on writes", i, g.key)
		}
	}
}
