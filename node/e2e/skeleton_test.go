package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"portico/node/nodetest"
)

// backend is a real HTTP backend that remembers whether a credential header ever reached it.
type backend struct {
	*httptest.Server
	sawAPIKey atomic.Bool
	hits      atomic.Int64
	slowSeen  chan struct{} // receives when a request to /slow arrives
}

func newBackend(t *testing.T) *backend {
	b := &backend{slowSeen: make(chan struct{}, 16)}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.hits.Add(1)
		if r.URL.Path == "/slow" {
			b.slowSeen <- struct{}{}
			time.Sleep(time.Second)
		}
		if r.Header.Get("Api-Key") != "" {
			b.sawAPIKey.Store(true)
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"path":%q,"requestId":%q}`, r.URL.Path, r.Header.Get("X-Request-Id"))
	}))
	t.Cleanup(b.Close)
	return b
}

// apiFile writes testdata/name with {{BACKEND}} replaced and returns its path.
func apiFile(t *testing.T, name, backendURL string, edit func(string) string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(b), "{{BACKEND}}", backendURL)
	if edit != nil {
		s = edit(s)
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func closedPortURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

type response struct {
	status int
	header http.Header
	body   map[string]any
}

func get(t *testing.T, method, url, key string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("api-key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, header: resp.Header}
	if len(raw) > 0 && json.Unmarshal(raw, &r.body) != nil {
		t.Fatalf("%s %s: body is not JSON: %q", method, url, raw)
	}
	return r
}

// getNoFatal is get for goroutines other than the test's: a transport error is reported as status 0.
func getNoFatal(url string) response {
	resp, err := http.Get(url)
	if err != nil {
		return response{body: map[string]any{"error": err.Error()}}
	}
	defer resp.Body.Close()
	r := response{status: resp.StatusCode, header: resp.Header}
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &r.body)
	return r
}

func createKey(t *testing.T, n *nodetest.Node, app, api string) string {
	t.Helper()
	var out struct{ ID, Key string }
	if err := json.Unmarshal([]byte(n.MustCLI("-o", "json", "key", "create", "--app", app, "--api", api)), &out); err != nil {
		t.Fatalf("key create output: %v", err)
	}
	if !strings.HasPrefix(out.Key, "pk_") || out.ID == "" {
		t.Fatalf("key create: got %+v, want an id and a pk_ key", out)
	}
	return out.Key
}

func TestWalkingSkeleton(t *testing.T) {
	be := newBackend(t)
	n := nodetest.NewNode(t, "n1")
	n.Start("--bootstrap", "--log-level", "debug") // secrets must stay out of even the debug log
	if n.Token == "" {
		t.Fatalf("no admin token written by --bootstrap; logs:\n%s", n.Logs())
	}
	if st, err := os.Stat(filepath.Join(n.DataDir, "admin.token")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("admin.token: got %v %v, want mode 0600", st, err)
	}
	if !strings.Contains(n.Stdout(), n.Token) {
		t.Fatalf("the first admin token was not printed on bootstrap; stdout %q", n.Stdout())
	}

	n.MustCLI("deploy", "-f", apiFile(t, "greet.yaml", be.URL, nil))
	n.MustCLI("deploy", "-f", apiFile(t, "other.yaml", be.URL, nil))
	n.MustCLI("deploy", "-f", apiFile(t, "down.yaml", closedPortURL(t), nil))
	n.MustCLI("app", "create", "shop")
	key := createKey(t, n, "shop", "greet")
	otherKey := createKey(t, n, "shop", "other")
	gw := n.GatewayURL()

	cases := []struct {
		name, method, path, key string
		want                    int
		wantCode                string
	}{
		{"valid key", "GET", "/greet/v1/hello", key, 200, ""},
		{"exact version", "GET", "/greet/v1.0/items/42", key, 200, ""},
		{"open operation", "GET", "/greet/v1/open", "", 200, ""},
		{"no key", "GET", "/greet/v1/hello", "", 401, "unauthorized"},
		{"bad key", "GET", "/greet/v1/hello", key[:len(key)-1] + "x", 401, "unauthorized"},
		{"key of another API", "GET", "/greet/v1/hello", otherKey, 403, "forbidden"},
		{"unknown API", "GET", "/nope/v1/hello", key, 404, "not_found"},
		{"unknown operation", "GET", "/greet/v1/missing", key, 404, "not_found"},
		{"wrong method", "POST", "/greet/v1/hello", key, 405, "method_not_allowed"},
		{"encoded slash", "GET", "/greet/v1/items/a%2Fb", key, 400, "invalid_request"},
		{"upstream down", "GET", "/down/v1/hello", "", 502, "bad_gateway"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := get(t, c.method, gw+c.path, c.key)
			if r.status != c.want {
				t.Fatalf("status: got %d, want %d (body %v)", r.status, c.want, r.body)
			}
			if r.header.Get("X-Request-Id") == "" {
				t.Fatal("X-Request-Id missing")
			}
			if c.wantCode != "" && r.body["error"] != c.wantCode {
				t.Fatalf("error code: got %v, want %s", r.body["error"], c.wantCode)
			}
			if c.want == 405 && !strings.Contains(r.header.Get("Allow"), "GET") {
				t.Fatalf("Allow: got %q, want it to list GET", r.header.Get("Allow"))
			}
		})
	}
	if be.sawAPIKey.Load() {
		t.Fatal("the api-key header reached the backend")
	}
	if strings.Contains(n.Logs(), key) || strings.Contains(n.Logs(), n.Token) {
		t.Fatalf("a secret appears in the node's logs:\n%s", n.Logs())
	}

	t.Run("restart keeps everything", func(t *testing.T) {
		n.Stop()
		n.Start("--bootstrap", "--log-level", "debug") // a second --bootstrap must not bootstrap again
		if strings.Contains(n.Stdout(), "pat_") {
			t.Fatalf("a restart printed an admin token again: %q", n.Stdout())
		}
		if r := get(t, "GET", gw+"/greet/v1/hello", key); r.status != 200 {
			t.Fatalf("after restart: got %d, want 200 (body %v)", r.status, r.body)
		}
	})

	t.Run("SIGTERM drains in-flight requests", func(t *testing.T) {
		done := make(chan response, 1)
		go func() { done <- getNoFatal(gw + "/greet/v1/slow") }()
		select {
		case <-be.slowSeen:
		case <-time.After(10 * time.Second):
			t.Fatal("the slow request never reached the backend")
		}
		n.Stop() // fails the test unless the node exits 0
		if r := <-done; r.status != 200 {
			t.Fatalf("in-flight request during SIGTERM: got %d (%v), want 200", r.status, r.body)
		}
		n.Start("--log-level", "debug")
	})

	t.Run("redeploys drop no request", func(t *testing.T) {
		redeployUnderLoad(t, n, be, key)
	})
	if logs := n.Logs(); strings.Contains(logs, key) || strings.Contains(logs, n.Token) {
		t.Fatal("a secret appears in the node's debug log")
	}
}

// redeployUnderLoad sends requests continuously from several clients while the API is redeployed with changes, and
// requires that every request succeeds.
func redeployUnderLoad(t *testing.T, n *nodetest.Node, be *backend, key string) {
	url := n.GatewayURL() + "/greet/v1/hello"
	stop := make(chan struct{})
	var sent, failed atomic.Int64
	var firstErr sync.Once
	var errText atomic.Value
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 10 * time.Second}
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 100000; j++ {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest("GET", url, nil)
				req.Header.Set("api-key", key)
				resp, err := client.Do(req)
				sent.Add(1)
				if err != nil {
					failed.Add(1)
					firstErr.Do(func() { errText.Store(err.Error()) })
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					failed.Add(1)
					firstErr.Do(func() { errText.Store(resp.Status) })
				}
			}
		}()
	}
	for i := 0; i < 10; i++ {
		op := fmt.Sprintf("  - method: GET\n    path: /extra%d\n", i)
		n.MustCLI("deploy", "-f", apiFile(t, "greet.yaml", be.URL, func(s string) string { return s + op }))
	}
	close(stop)
	wg.Wait()
	if sent.Load() < 50 {
		t.Fatalf("only %d requests were sent during the redeploys, want at least 50", sent.Load())
	}
	if failed.Load() != 0 {
		t.Fatalf("%d of %d requests failed during redeploys (first: %v)", failed.Load(), sent.Load(), errText.Load())
	}
	var api struct{ Revision int }
	if err := json.Unmarshal([]byte(n.MustCLI("-o", "json", "api", "get", "greet", "1.0")), &api); err != nil {
		t.Fatal(err)
	}
	if api.Revision < 11 {
		t.Fatalf("revision: got %d, want at least 11 after 10 changed redeploys", api.Revision)
	}
}
