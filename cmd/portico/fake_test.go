package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// fakeReply is one scripted answer of the fake admin API.
type fakeReply struct {
	status int
	header map[string]string
	body   string
}

// gotRequest is what the fake admin API received.
type gotRequest struct {
	method, path, query, ctype, auth, key, body string
}

// fakeAdmin is a scripted admin API on loopback: it answers the n-th request with replies[n] (the last one once they
// run out) and records every request.
type fakeAdmin struct {
	url     string
	mu      sync.Mutex
	replies []fakeReply
	seen    []gotRequest
}

func newFakeAdmin(t *testing.T, replies ...fakeReply) *fakeAdmin {
	t.Helper()
	f := &fakeAdmin{replies: replies}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

func (f *fakeAdmin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	n := len(f.seen)
	f.seen = append(f.seen, gotRequest{method: r.Method, path: r.URL.EscapedPath(), query: r.URL.RawQuery,
		ctype: r.Header.Get("Content-Type"), auth: r.Header.Get("Authorization"),
		key: r.Header.Get("Idempotency-Key"), body: string(body)})
	rep := fakeReply{status: http.StatusOK, body: "{}"}
	if len(f.replies) > 0 {
		rep = f.replies[min(n, len(f.replies)-1)]
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(rep.status)
	_, _ = io.WriteString(w, rep.body)
}

func (f *fakeAdmin) requests() []gotRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]gotRequest(nil), f.seen...)
}

// run runs the CLI in-process against the fake, with --server and --token set.
func (f *fakeAdmin) run(args ...string) result {
	return f.runInput("", args...)
}

// runInput runs the CLI in-process against the fake, with --server and --token set, reading stdin.
func (f *fakeAdmin) runInput(stdin string, args ...string) result {
	return runInput(stdin, append([]string{"--server", f.url, "--token", testToken}, args...)...)
}
