package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"portico/node/admin"
	"portico/node/token"
	"portico/raftstore"
	"portico/raftstore/state"
)

// testToken is the admin token of the test cluster.
const testToken = "cli-test-admin-token"

// TestMain keeps the tests away from the user's config file: a test sees no saved context unless it saves one.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "portico-cli-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	_ = os.Setenv(configEnv, filepath.Join(dir, "config.yaml"))
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// cluster is the real admin API over a real single-node raft store, served on loopback.
type cluster struct {
	t     *testing.T
	url   string
	store *raftstore.Store
	seen  *headerLog
}

// newCluster starts a bootstrapped single-node store in a temporary directory, stores the test admin token and serves
// the admin API over it. Everything stops when the test ends.
func newCluster(t *testing.T) *cluster {
	t.Helper()
	store, err := raftstore.Open(raftstore.Config{ID: "n1", DataDir: t.TempDir(), RaftAddr: "127.0.0.1:0", Bootstrap: true})
	if err != nil {
		t.Fatalf("opening store: %v", err)
	}
	t.Cleanup(func() { _ = store.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := store.WaitLeader(ctx); err != nil {
		t.Fatalf("waiting for a leader: %v", err)
	}
	sum := sha256.Sum256([]byte(testToken))
	tok := state.AdminToken{ID: "tok1", Name: "test", Role: state.RoleAdmin, Hash: sum[:], CreatedAt: 1}
	if _, err := store.Apply(ctx, "test-token", raftstore.CreateAdminToken{Token: tok}); err != nil {
		t.Fatalf("storing the admin token: %v", err)
	}
	adm, err := admin.New(admin.Config{Store: store, NodeID: "n1", Policies: func(n string) bool { return n == "cors" },
		NewSigningKey: newSigningKey(t)})
	if err != nil {
		t.Fatalf("admin.New: %v", err)
	}
	seen := &headerLog{}
	srv := httptest.NewServer(seen.wrap(adm))
	t.Cleanup(srv.Close)
	return &cluster{t: t, url: srv.URL, store: store, seen: seen}
}

// newSigningKey makes token signing keys sealed with a cluster key of the test.
func newSigningKey(t *testing.T) func(time.Time) (state.SigningKey, error) {
	t.Helper()
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	key, err := token.NewClusterKey(secret)
	if err != nil {
		t.Fatalf("cluster key: %v", err)
	}
	return func(now time.Time) (state.SigningKey, error) { return token.NewSigningKey(key, now) }
}

// result is what one run of the CLI produced.
type result struct {
	code           int
	stdout, stderr string
}

// run runs the CLI in-process against the cluster, with --server and --token set.
func (c *cluster) run(args ...string) result {
	c.t.Helper()
	return runCLI(append([]string{"--server", c.url, "--token", testToken}, args...)...)
}

// runInputAs runs the CLI in-process against the cluster as the test admin, reading stdin; it requires success.
func (c *cluster) runInputAs(stdin string, args ...string) string {
	c.t.Helper()
	return runInput(stdin, append([]string{"--server", c.url, "--token", testToken}, args...)...).ok(c.t)
}

// runCLI runs the CLI in-process with exactly args and an empty stdin.
func runCLI(args ...string) result {
	return runInput("", args...)
}

// runInput runs the CLI in-process with exactly args, reading stdin.
func runInput(stdin string, args ...string) result {
	return runReader(strings.NewReader(stdin), args...)
}

// runReader runs the CLI in-process with exactly args and stdin.
func runReader(stdin io.Reader, args ...string) result {
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"portico"}, args...), stdin, &stdout, &stderr)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// ok requires exit code 0 and an empty stderr, and returns stdout.
func (r result) ok(t *testing.T) string {
	t.Helper()
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q: want 0 and no stderr (stdout %q)", r.code, r.stderr, r.stdout)
	}
	return r.stdout
}

// failed requires exit code, empty stdout and one stderr line "portico: ..." containing msg.
func (r result) failed(t *testing.T, code int, msg string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit code: got %d, want %d (stderr %q)", r.code, code, r.stderr)
	}
	if !strings.HasPrefix(r.stderr, "portico: ") || strings.Count(r.stderr, "\n") != 1 ||
		!strings.HasSuffix(r.stderr, "\n") {
		t.Errorf("stderr: got %q, want one line starting with \"portico: \"", r.stderr)
	}
	if !strings.Contains(r.stderr, msg) {
		t.Errorf("stderr: got %q, want it to contain %q", r.stderr, msg)
	}
	if r.stdout != "" {
		t.Errorf("stdout: got %q, want nothing", r.stdout)
	}
}

// headerLog records the method and headers of every request the admin API receives.
type headerLog struct {
	mu   sync.Mutex
	reqs []http.Request
}

func (l *headerLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.reqs = append(l.reqs, http.Request{Method: r.Method, URL: r.URL, Header: r.Header.Clone()})
		l.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func (l *headerLog) all() []http.Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]http.Request(nil), l.reqs...)
}
