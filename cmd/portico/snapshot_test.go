package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSnapshotSave(t *testing.T) {
	backup := strings.Repeat("snapshot-bytes;", 10000)
	cases := []struct {
		name   string
		before string // content of FILE before the run; "" = absent
		reply  fakeReply
		code   int
		stdout string // after "saved FILE "; "" = no output
		stderr string
		after  string // content of FILE after the run; "" = absent
	}{
		{"saved", "", fakeReply{200, map[string]string{"X-Portico-Index": "77",
			"Content-Type": "application/octet-stream"}, backup}, exitOK, "(150000 bytes, index 77)\n", "", backup},
		{"replaces an older backup", "old", fakeReply{200, map[string]string{"X-Portico-Index": "78"}, backup},
			exitOK, "(150000 bytes, index 78)\n", "", backup},
		{"refused", "", fakeReply{503, nil, `{"error":"unavailable","message":"no leader: election"}`}, exitError, "",
			"portico: no leader: election", ""},
		{"refused keeps the older backup", "old",
			fakeReply{401, nil, `{"error":"unauthorized","message":"a valid admin token is required"}`}, exitError,
			"", "a valid admin token is required", "old"},
		{"broken off", "", fakeReply{200, map[string]string{"Content-Length": "200000"}, backup}, exitError, "",
			"the answer broke off after 150000 bytes", ""},
		{"broken off keeps the older backup", "old", fakeReply{200, map[string]string{"Content-Length": "200000"},
			backup}, exitError, "", "broke off", "old"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "backup.snap")
			if tc.before != "" {
				if err := os.WriteFile(file, []byte(tc.before), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			f := newFakeAdmin(t, tc.reply)
			r := f.run("snapshot", "save", file)
			if r.code != tc.code {
				t.Errorf("exit code: got %d, want %d (stderr %q)", r.code, tc.code, r.stderr)
			}
			want := ""
			if tc.stdout != "" {
				want = "saved " + file + " " + tc.stdout
			}
			if r.stdout != want {
				t.Errorf("stdout: got %q, want %q", r.stdout, want)
			}
			checkStderr(t, r.stderr, tc.stderr)
			checkRequests(t, f.requests(), []wantRequest{{method: "GET", path: "/v1/snapshot"}})
			checkFile(t, file, tc.after)
			if _, err := os.Stat(file + ".tmp"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s.tmp: got %v, want it removed", file, err)
			}
		})
	}
}

// checkFile requires path to hold want, or to be absent when want is "".
func checkFile(t *testing.T, path, want string) {
	t.Helper()
	b, err := os.ReadFile(path)
	switch {
	case want == "" && !errors.Is(err, fs.ErrNotExist):
		t.Errorf("%s: got %d bytes (%v), want no file", path, len(b), err)
	case want != "" && string(b) != want:
		t.Errorf("%s: got %d bytes %.20q (%v), want %d bytes %.20q", path, len(b), b, err, len(want), want)
	}
}

func TestSnapshotSaveOutput(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "b.snap")
	f := newFakeAdmin(t, fakeReply{200, map[string]string{"X-Portico-Index": "9"}, "abc"})
	var res map[string]any
	decodeOne(t, f.run("--stale", "-o", "json", "snapshot", "save", file).ok(t), &res)
	if res["file"] != file || res["bytes"] != float64(3) || res["index"] != float64(9) {
		t.Errorf("snapshot save -o json: got %v, want file, 3 bytes, index 9", res)
	}
	checkRequests(t, f.requests(), []wantRequest{{method: "GET", path: "/v1/snapshot", query: "stale=true"}})
	info, err := os.Stat(file)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("%s: got %v, %v, want mode 0600", file, info, err)
	}
}

func TestSnapshotSaveUnwritable(t *testing.T) {
	f := newFakeAdmin(t, fakeReply{200, nil, "abc"})
	file := filepath.Join(t.TempDir(), "missing-dir", "b.snap")
	f.run("snapshot", "save", file).failed(t, exitError, "creating "+file+".tmp")
	if n := len(f.requests()); n != 0 {
		t.Errorf("requests: got %d, want none before the file can be written", n)
	}
}
