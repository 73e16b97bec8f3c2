package main

import (
	"os"
	"strings"
	"testing"
)

// wantRequest is a request a command must send; write requests carry an Idempotency-Key.
type wantRequest struct {
	method, path, query, ctype, body string
	write                            bool
}

const (
	clusterJSON = `{"leader":"n1","term":3,"index":123,"nodes":[` +
		`{"id":"n1","state":"leader","voter":true,"appliedIndex":123,"servedIndex":123,"adminAddr":"127.0.0.1:9080",` +
		`"raftAddr":"127.0.0.1:9090","gatewayAddr":"127.0.0.1:8080","healthy":true,"error":""},` +
		`{"id":"n3","state":"follower","voter":true,"appliedIndex":120,"servedIndex":119,"adminAddr":"127.0.0.1:9082",` +
		`"raftAddr":"127.0.0.1:9092","gatewayAddr":"127.0.0.1:8082","healthy":false,"error":"probe failed"}]}`
	deployedAll = `{"name":"greet","version":"1.0","context":"/greet","lifecycle":"Published","revision":3,` +
		`"changed":true,"urls":["/greet/v1"],"index":123,"propagation":{"wait":"all","complete":true,"nodes":[` +
		`{"id":"n1","servedIndex":123,"lagMs":2.1,"ok":true},{"id":"n2","servedIndex":123,"lagMs":14.04,"ok":true}]}}`
	deployedLate = `{"name":"greet","version":"1.0","context":"/greet","lifecycle":"Published","revision":3,` +
		`"changed":true,"urls":["/greet/v1"],"index":123,"propagation":{"wait":"quorum","complete":false,"nodes":[` +
		`{"id":"n1","servedIndex":123,"lagMs":2.1,"ok":true},{"id":"n3","ok":false,"error":"timeout after 10s"}]}}`
	unknownOutcome = `{"error":"unavailable","message":"the outcome of the write is unknown (the cluster did not ` +
		`confirm it in time or leadership changed): it is safe to retry with the same Idempotency-Key"}`
	pushed = `{"name":"hdr","version":"1.0.0","sha256":"9f86d0","size":8,"changed":true}`
)

func TestOperatorCommands(t *testing.T) {
	greet := readFixture(t, "testdata/greet.yaml")
	wasm := readFixture(t, "testdata/plugin.wasm")
	backup := readFixture(t, "testdata/backup.snap")
	cases := []struct {
		name    string
		args    []string
		replies []fakeReply
		want    []wantRequest // every request, in order
		code    int
		stdout  []string // each must appear on stdout
		stderr  string   // must appear on stderr; "" = stderr stays empty
	}{
		{"cluster status", []string{"cluster", "status"}, []fakeReply{{200, nil, clusterJSON}},
			[]wantRequest{{method: "GET", path: "/v1/cluster"}}, exitOK,
			[]string{"leader n1, term 3\n", "ID  STATE     VOTER  APPLIED  SERVED  ADMIN           HEALTHY",
				"n3  follower  true   120      119     127.0.0.1:9082  false (probe failed)"}, ""},
		{"cluster status as JSON", []string{"cluster", "status", "-o", "json"}, []fakeReply{{200, nil, clusterJSON}},
			[]wantRequest{{method: "GET", path: "/v1/cluster"}}, exitOK,
			[]string{`"leader": "n1"`, `"appliedIndex": 120`, `"gatewayAddr": "127.0.0.1:8082"`, `"error": ""`}, ""},
		{"stale cluster status", []string{"cluster", "status", "--stale"},
			[]fakeReply{{200, nil, `{"leader":"","term":4,"nodes":[]}`}},
			[]wantRequest{{method: "GET", path: "/v1/cluster", query: "stale=true"}}, exitOK,
			[]string{"leader none, term 4"}, ""},
		{"no leader", []string{"cluster", "status"},
			[]fakeReply{{503, nil, `{"error":"unavailable","message":"no leader: election in progress"}`}},
			[]wantRequest{{method: "GET", path: "/v1/cluster"}}, exitError, nil, "portico: no leader: election in progress"},
		{"cluster remove", []string{"cluster", "remove", "n3"}, []fakeReply{{200, nil, `{"removed":"n3"}`}},
			[]wantRequest{{method: "DELETE", path: "/v1/cluster/nodes/n3", write: true}}, exitOK,
			[]string{"removed node n3\n"}, ""},
		{"cluster remove of a stranger is not retried", []string{"cluster", "remove", "n9"},
			[]fakeReply{{404, nil, `{"error":"not_found","message":"node n9 is not a member"}`}},
			[]wantRequest{{method: "DELETE", path: "/v1/cluster/nodes/n9", write: true}}, exitError, nil,
			"portico: node n9 is not a member"},
		{"plugin push", []string{"plugin", "push", "hdr", "1.0.0", "testdata/plugin.wasm"},
			[]fakeReply{{200, nil, pushed}},
			[]wantRequest{{method: "PUT", path: "/v1/plugins/hdr/1.0.0", ctype: "application/wasm", body: wasm,
				write: true}}, exitOK, []string{"NAME  VERSION  SHA256  SIZE  CHANGED", "hdr   1.0.0    9f86d0  8     true"}, ""},
		{"plugin push retried after an unknown outcome", []string{"plugin", "push", "hdr", "1.0.0",
			"testdata/plugin.wasm", "-o", "json"}, []fakeReply{{503, nil, unknownOutcome}, {200, nil, pushed}},
			[]wantRequest{
				{method: "PUT", path: "/v1/plugins/hdr/1.0.0", ctype: "application/wasm", body: wasm, write: true},
				{method: "PUT", path: "/v1/plugins/hdr/1.0.0", ctype: "application/wasm", body: wasm, write: true},
			}, exitOK, []string{`"sha256": "9f86d0"`}, ""},
		{"plugin push refused is not retried", []string{"plugin", "push", "hdr", "1.0.0", "testdata/plugin.wasm"},
			[]fakeReply{{400, nil, `{"error":"invalid_request","message":"not a wasm module"}`}, {200, nil, pushed}},
			[]wantRequest{{method: "PUT", path: "/v1/plugins/hdr/1.0.0", ctype: "application/wasm", body: wasm,
				write: true}}, exitError, nil, "portico: not a wasm module"},
		{"plugin push of a missing file", []string{"plugin", "push", "hdr", "1.0.0", "testdata/none.wasm"}, nil,
			nil, exitError, nil, "reading the plugin"},
		{"plugin list", []string{"plugin", "list"},
			[]fakeReply{{200, nil, `[{"name":"hdr","version":"1.0.0","sha256":"9f86d0","size":8,"createdAt":0}]`}},
			[]wantRequest{{method: "GET", path: "/v1/plugins"}}, exitOK,
			[]string{"NAME  VERSION  SHA256  SIZE  CREATED", "hdr   1.0.0    9f86d0  8     -"}, ""},
		{"plugin delete", []string{"plugin", "delete", "hdr", "1.0.0"},
			[]fakeReply{{200, nil, `{"deleted":"hdr@1.0.0"}`}},
			[]wantRequest{{method: "DELETE", path: "/v1/plugins/hdr/1.0.0", write: true}}, exitOK,
			[]string{"deleted plugin hdr@1.0.0\n"}, ""},
		{"snapshot restore", []string{"snapshot", "restore", "testdata/backup.snap"},
			[]fakeReply{{200, nil, `{"restored":true,"index":42}`}},
			[]wantRequest{{method: "POST", path: "/v1/snapshot", ctype: "application/octet-stream", body: backup,
				write: true}}, exitOK, []string{"restored testdata/backup.snap at index 42\n"}, ""},
		{"snapshot restore retried from the start of the file", []string{"snapshot", "restore",
			"testdata/backup.snap", "-o", "json"},
			[]fakeReply{{503, nil, unknownOutcome}, {200, nil, `{"restored":true,"index":42}`}},
			[]wantRequest{
				{method: "POST", path: "/v1/snapshot", ctype: "application/octet-stream", body: backup, write: true},
				{method: "POST", path: "/v1/snapshot", ctype: "application/octet-stream", body: backup, write: true},
			}, exitOK, []string{`"index": 42`, `"file": "testdata/backup.snap"`}, ""},
		{"deploy waiting for all", []string{"deploy", "-f", "testdata/greet.yaml", "--wait", "all"},
			[]fakeReply{{200, nil, deployedAll}},
			[]wantRequest{{method: "POST", path: "/v1/apis", query: "wait=all", ctype: "application/yaml",
				body: greet, write: true}}, exitOK,
			[]string{"greet", "n1  served index 123  lag 2.1 ms\n", "n2  served index 123  lag 14.0 ms\n"}, ""},
		{"deploy not served in time", []string{"deploy", "-f", "testdata/greet.yaml", "--wait", "quorum"},
			[]fakeReply{{200, nil, deployedLate}},
			[]wantRequest{{method: "POST", path: "/v1/apis", query: "wait=quorum", ctype: "application/yaml",
				body: greet, write: true}}, exitError,
			[]string{"greet", "n1  served index 123  lag 2.1 ms\n", "n3  not served: timeout after 10s\n"},
			"portico: deploy applied but not served by a quorum of nodes within 10s (n3: timeout after 10s)\n"},
		{"deploy not served in time as JSON", []string{"-o", "json", "deploy", "-f", "testdata/greet.yaml",
			"--wait", "quorum"}, []fakeReply{{200, nil, deployedLate}},
			[]wantRequest{{method: "POST", path: "/v1/apis", query: "wait=quorum", ctype: "application/yaml",
				body: greet, write: true}}, exitError,
			[]string{`"complete": false`, `"error": "timeout after 10s"`, `"index": 123`},
			"portico: deploy applied but not served by a quorum of nodes"},
		{"deploy without waiting", []string{"deploy", "-f", "testdata/greet.yaml"},
			[]fakeReply{{200, nil, `{"name":"greet","version":"1.0","revision":1,"urls":[]}`}},
			[]wantRequest{{method: "POST", path: "/v1/apis", ctype: "application/yaml", body: greet, write: true}},
			exitOK, []string{"greet"}, ""},
		{"openapi deploy waiting for all", []string{"deploy", "--openapi", "testdata/petstore.yaml", "--name", "pets",
			"--version", "1.0", "--context", "/pets", "--backend", "http://b", "--wait", "all"},
			[]fakeReply{{200, nil, deployedAll}},
			[]wantRequest{{method: "POST", path: "/v1/apis/openapi",
				query: "backend=http%3A%2F%2Fb&context=%2Fpets&name=pets&version=1.0&wait=all",
				ctype: "application/yaml", body: readFixture(t, "testdata/petstore.yaml"), write: true}},
			exitOK, []string{"n2  served index 123"}, ""},
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
			checkRequests(t, f.requests(), tc.want)
		})
	}
}

// checkStderr requires stderr to be empty when want is, else one "portico: " line containing want.
func checkStderr(t *testing.T, stderr, want string) {
	t.Helper()
	if want == "" {
		if stderr != "" {
			t.Errorf("stderr: got %q, want nothing", stderr)
		}
		return
	}
	if !strings.HasPrefix(stderr, "portico: ") || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, want) {
		t.Errorf("stderr: got %q, want one line starting with \"portico: \" containing %q", stderr, want)
	}
}

// checkRequests compares the requests received with the ones wanted; every attempt of one write carries the same
// Idempotency-Key.
func checkRequests(t *testing.T, got []gotRequest, want []wantRequest) {
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
		if w.write && (g.key == "" || g.key != got[0].key) || !w.write && g.key != "" {
			t.Errorf("request %d Idempotency-Key: got %q (first %q), want one on writes, the same on retries", i,
				g.key, got[0].key)
		}
	}
}

func readFixture(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
