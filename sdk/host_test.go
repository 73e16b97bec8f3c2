//go:build !wasip1

package sdk_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"portico/plugins"
	"portico/plugins/abi"
)

// The tests below run the guest in testdata/guest, built with the SDK, in the real plugin host and check what each
// view reads and writes.

// buildGuest compiles testdata/guest like a policy.
func buildGuest(t *testing.T) []byte {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a wasm guest")
	}
	out := filepath.Join(t.TempDir(), "guest.wasm")
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-trimpath", "-o", out, "./testdata/guest")
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the test guest: %v\n%s", err, b)
	}
	wasm, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return wasm
}

// guestPool starts a host with a captured log and a pool of the test guest with config.
func guestPool(t *testing.T, config string) (*plugins.Pool, *syncBuffer) {
	t.Helper()
	wasm := buildGuest(t)
	ctx := context.Background()
	logs := &syncBuffer{}
	host, err := plugins.New(ctx, plugins.Config{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { host.Close(ctx) })
	module, err := host.Compile(ctx, wasm)
	if err != nil {
		t.Fatalf("compiling the test guest: %v", err)
	}
	pool, err := host.Pool(ctx, module, "guest", []byte(config))
	if err != nil {
		t.Fatalf("starting the test guest: %v", err)
	}
	t.Cleanup(pool.Release)
	return pool, logs
}

func TestSDKInHost(t *testing.T) {
	pool, logs := guestPool(t, `{"k":"v"}`)
	t.Run("echo", func(t *testing.T) { testEcho(t, pool, logs) })
	t.Run("peek", func(t *testing.T) { testPeek(t, pool) })
	t.Run("edit", func(t *testing.T) { testEdit(t, pool, logs) })
	t.Run("error", func(t *testing.T) { testError(t, pool) })
	t.Run("pass", func(t *testing.T) { testPass(t, pool) })
	t.Run("skip", func(t *testing.T) { testSkip(t, pool) })
}

func testEcho(t *testing.T, pool *plugins.Pool, logs *syncBuffer) {
	body := strings.Repeat("b", 5000) // longer than the SDK's scratch buffer
	r := httptest.NewRequest(http.MethodPut, "/a/b%20c?x=1&y=2", strings.NewReader(body))
	r.Header.Set("X-Mode", "echo")
	r.Header["X-Multi"] = []string{"a", "b"}
	r.Header.Set("X-Long", strings.Repeat("l", 3000))
	x := plugins.NewExchange(r, nil)
	x.SetProperty(abi.PropAPIName, "greet")
	next, _, err := pool.Request(context.Background(), x)
	if err != nil || next {
		t.Fatalf("got next %v, err %v, want next false, no error", next, err)
	}
	rec := httptest.NewRecorder()
	x.WriteResponse(rec)
	if rec.Code != 201 {
		t.Errorf("status: got %d, want 201", rec.Code)
	}
	if got := rec.Header().Values("X-Echo"); !slices.Equal(got, []string{"1", "2"}) {
		t.Errorf("x-echo: got %q, want [1 2]", got)
	}
	want := []string{
		"method=PUT",
		"uri=/a/b%20c?x=1&y=2",
		"proto=HTTP/1.1",
		"source=192.0.2.1:1234",
		"names=host,x-long,x-mode,x-multi",
		"multi=a|b",
		"long=3000",
		"missing=false",
		`config={"k":"v"}`,
		"api=greet",
		"unset=",
		"body=" + body,
	}
	if got := strings.Split(rec.Body.String(), "\n"); !slices.Equal(got, want) {
		t.Errorf("echo: got\n%s\nwant\n%s", short(got), short(want))
	}
	if got, _ := io.ReadAll(x.Request().Body); string(got) != body {
		t.Errorf("outbound body after a buffered read: got %d bytes, want the %d bytes sent", len(got), len(body))
	}
	if !strings.Contains(logs.String(), "echo 12 lines") {
		t.Errorf("log: got %q, want the Logf message", logs.String())
	}
}

// bearerStore accepts the bearer token "tok-1" as application app-9; every other credential is unknown.
type bearerStore struct{}

func (bearerStore) LookupCredential(uint32, string, []byte) ([]byte, bool) { return nil, false }

func (bearerStore) Authenticate(kind uint32, credential string) (int32, plugins.Identity) {
	if kind == abi.CredentialBearer && credential == "tok-1" {
		return abi.AuthOK, plugins.Identity{App: "app-9"}
	}
	return abi.AuthUnknown, plugins.Identity{}
}

var _ plugins.CredentialStore = bearerStore{}

func testPeek(t *testing.T, pool *plugins.Pool) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("X-Mode", "peek")
	r.Header["X-Multi"] = []string{"first", "second"}
	r.Header.Set("X-Long", strings.Repeat("l", 3000)) // longer than the SDK's scratch buffer
	r.Header.Set("X-Token", "tok-1")
	x := plugins.NewExchange(r, bearerStore{})
	x.SetProperty(abi.PropAPIName, "greet")
	next, _, err := pool.Request(context.Background(), x)
	if err != nil || next {
		t.Fatalf("got next %v, err %v, want next false, no error", next, err)
	}
	rec := httptest.NewRecorder()
	x.WriteResponse(rec)
	want := []string{
		"multi=first/2",
		"missing=/0",
		"long=3000/1/3000",
		"api=greet",
		"unset=",
		"verdict=0",
		"app=app-9",
		"empty=1",
		"kept=first",
	}
	if got := strings.Split(rec.Body.String(), "\n"); !slices.Equal(got, want) {
		t.Errorf("peek: got\n%s\nwant\n%s", short(got), short(want))
	}
}

func testEdit(t *testing.T, pool *plugins.Pool, logs *syncBuffer) {
	r := httptest.NewRequest(http.MethodGet, "/old?z=0", strings.NewReader("old body"))
	r.Header.Set("X-Mode", "edit")
	r.Header.Set("X-Drop", "1")
	r.Header.Set("X-Multi", "a")
	x := plugins.NewExchange(r, nil)
	next, pending, err := pool.Request(context.Background(), x)
	if err != nil || !next || pending == nil {
		t.Fatalf("got next %v, pending %v, err %v, want next true, a pending response phase", next, pending != nil, err)
	}
	out := x.Request()
	got := []string{out.Method, out.URL.Path, out.URL.RawQuery, out.Header.Get("X-Set"),
		strings.Join(out.Header.Values("X-Multi"), ","), out.Header.Get("X-Drop"), readAll(t, out.Body),
		x.Property(abi.PropAuthApp)}
	want := []string{"POST", "/new/path", "q=1", "v", "a,c", "", "new body", "app-7"}
	if !slices.Equal(got, want) {
		t.Errorf("outbound request: got %q, want %q", got, want)
	}
	if !strings.Contains(logs.String(), "edited") {
		t.Errorf("log: got %q, want the Log message", logs.String())
	}

	resp := &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("hello"))}
	x.SetUpstreamResponse(resp)
	if err := pending.Response(context.Background(), x, false); err != nil {
		t.Fatalf("running the response phase: %v", err)
	}
	got = []string{resp.Header.Get("X-Ctx"), resp.Header.Get("X-Is-Error"), resp.Header.Get("X-Upstream-Status"),
		resp.Header.Get("X-Method"), readAll(t, resp.Body)}
	want = []string{"7", "false", "200", "POST", "wrapped:hello"}
	if !slices.Equal(got, want) || resp.StatusCode != 202 {
		t.Errorf("upstream response: got %d %q, want 202 %q", resp.StatusCode, got, want)
	}
}

func testError(t *testing.T, pool *plugins.Pool) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("X-Mode", "error")
	x := plugins.NewExchange(r, nil)
	x.SetProperty(abi.PropRequestID, "req-1")
	next, _, err := pool.Request(context.Background(), x)
	if err != nil || next {
		t.Fatalf("got next %v, err %v, want next false, no error", next, err)
	}
	rec := httptest.NewRecorder()
	x.WriteResponse(rec)
	want := `{"error":"rate_limited","message":"slow \"down\"","requestId":"req-1"}`
	if rec.Code != 429 || rec.Header().Get("Content-Type") != "application/json" || rec.Body.String() != want {
		t.Errorf("got %d %q %s, want 429 \"application/json\" %s", rec.Code, rec.Header().Get("Content-Type"),
			rec.Body.String(), want)
	}
}

func testPass(t *testing.T, pool *plugins.Pool) {
	x := plugins.NewExchange(httptest.NewRequest(http.MethodGet, "/", nil), nil)
	next, pending, err := pool.Request(context.Background(), x)
	if err != nil || !next || pending == nil {
		t.Fatalf("got next %v, pending %v, err %v, want next true, a pending response phase", next, pending != nil, err)
	}
	resp := &http.Response{StatusCode: 503, Header: http.Header{}, Body: http.NoBody}
	x.SetUpstreamResponse(resp)
	if err := pending.Response(context.Background(), x, true); err != nil {
		t.Fatalf("running the response phase: %v", err)
	}
	got := []string{resp.Header.Get("X-Ctx"), resp.Header.Get("X-Is-Error"), resp.Header.Get("X-Upstream-Status")}
	if want := []string{"0", "true", "503"}; !slices.Equal(got, want) {
		t.Errorf("response headers: got %q, want %q", got, want)
	}
}

// testSkip checks that SkipResponse releases the instance of a guest that has a response handler.
func testSkip(t *testing.T, pool *plugins.Pool) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("X-Mode", "skip")
	next, pending, err := pool.Request(context.Background(), plugins.NewExchange(r, nil))
	if err != nil || !next || pending != nil {
		t.Fatalf("got next %v, pending %v, err %v, want next true, no pending response phase", next, pending != nil, err)
	}
}

func readAll(t *testing.T, r io.Reader) string {
	t.Helper()
	if r == nil {
		return ""
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// short abbreviates long lines for failure messages.
func short(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		if len(l) > 80 {
			l = l[:80] + "..."
		}
		b.WriteString(l + "\n")
	}
	return b.String()
}

// syncBuffer is a bytes.Buffer safe for concurrent use, for a logger.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
