package proxy

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"portico/node/httperr"
)

// seen is what a backend observed of one request.
type seen struct {
	RequestURI string
	Host       string
	Header     http.Header
	RemoteAddr string
}

// recordingBackend answers 200 "ok" and sends every request it saw on the returned channel.
func recordingBackend(t *testing.T, extra http.Header) (*httptest.Server, <-chan seen) {
	t.Helper()
	ch := make(chan seen, 64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ch <- seen{RequestURI: r.RequestURI, Host: r.Host, Header: r.Header.Clone(), RemoteAddr: r.RemoteAddr}
		for k, v := range extra {
			w.Header()[k] = v
		}
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv, ch
}

// front serves u under a test listener, forwarding every request with out (Path defaults to the request's path).
func front(t *testing.T, u *Upstream, out Outbound) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o := out
		if o.Path == "" {
			o.Path = r.URL.EscapedPath()
		}
		u.Serve(w, r, o)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func newUpstream(t *testing.T, cfg Config) *Upstream {
	t.Helper()
	u, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return u
}

func get(t *testing.T, url string, h http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return resp, string(b)
}

func TestRewritePathAndQuery(t *testing.T) {
	cases := []struct {
		name     string
		basePath string
		path     string
		query    string
		wantURI  string
	}{
		{"base path joined", "/api", "/hello", "", "/api/hello"},
		{"base trailing slash", "/api/", "/hello", "", "/api/hello"},
		{"no base path", "", "/hello", "a=1&b=2", "/hello?a=1&b=2"},
		{"root", "/api", "/", "", "/api/"},
		{"escaping kept exactly", "/api", "/a%252e/%20b/c(d)", "", "/api/a%252e/%20b/c(d)"},
		{"encoded base kept", "/a%20pi", "/x", "q=%2F", "/a%20pi/x?q=%2F"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			be, ch := recordingBackend(t, nil)
			u := newUpstream(t, Config{Name: "t", Endpoints: []string{be.URL + c.basePath}})
			fe := front(t, u, Outbound{Path: c.path, RequestID: "rid"})
			uri := "/ignored"
			if c.query != "" {
				uri += "?" + c.query
			}
			resp, body := get(t, fe.URL+uri, nil)
			if resp.StatusCode != 200 || body != "ok" {
				t.Fatalf("got %d %q, want 200 ok", resp.StatusCode, body)
			}
			if s := <-ch; s.RequestURI != c.wantURI {
				t.Fatalf("upstream request URI: got %q, want %q", s.RequestURI, c.wantURI)
			}
		})
	}
}

func TestRewriteHeaders(t *testing.T) {
	be, ch := recordingBackend(t, http.Header{"X-Request-Id": {"from-backend"}})
	u := newUpstream(t, Config{Name: "t", Endpoints: []string{be.URL}})
	fe := front(t, u, Outbound{Path: "/x", RequestID: "rid-42", Drop: []string{"Api-Key"}})
	resp, _ := get(t, fe.URL+"/x", http.Header{
		"X-Forwarded-For":  {"10.9.9.9"},
		"X-Forwarded-Host": {"evil"},
		"Forwarded":        {"for=10.9.9.9"},
		"X-Real-Ip":        {"10.9.9.9"},
		"X-Portico-App":    {"forged"},
		"X-Request-Id":     {"client-chosen"},
		"Api-Key":          {"pk_secret"},
		"X-Custom":         {"kept"},
		"Connection":       {"X-Request-Id"},
	})
	s := <-ch
	feHost := strings.TrimPrefix(fe.URL, "http://")
	beHost := strings.TrimPrefix(be.URL, "http://")
	checks := []struct{ name, got, want string }{
		{"X-Forwarded-For", s.Header.Get("X-Forwarded-For"), "127.0.0.1"},
		{"X-Forwarded-Host", s.Header.Get("X-Forwarded-Host"), feHost},
		{"X-Forwarded-Proto", s.Header.Get("X-Forwarded-Proto"), "http"},
		{"Forwarded", s.Header.Get("Forwarded"), ""},
		{"X-Real-Ip", s.Header.Get("X-Real-Ip"), ""},
		{"X-Portico-App", s.Header.Get("X-Portico-App"), ""},
		{"upstream X-Request-Id", strings.Join(s.Header.Values("X-Request-Id"), ","), "rid-42"},
		{"Api-Key", s.Header.Get("Api-Key"), ""},
		{"X-Custom", s.Header.Get("X-Custom"), "kept"},
		{"Host", s.Host, beHost},
		{"response X-Request-Id", strings.Join(resp.Header.Values("X-Request-Id"), ","), "rid-42"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
}

func TestRoundRobin(t *testing.T) {
	be1, ch1 := recordingBackend(t, nil)
	be2, ch2 := recordingBackend(t, nil)
	u := newUpstream(t, Config{Name: "t", Endpoints: []string{be1.URL, be2.URL}})
	fe := front(t, u, Outbound{Path: "/x", RequestID: "rid"})
	for i := 0; i < 6; i++ {
		get(t, fe.URL+"/x", nil)
	}
	if len(ch1) != 3 || len(ch2) != 3 {
		t.Fatalf("requests per endpoint: got %d and %d, want 3 and 3", len(ch1), len(ch2))
	}
}

func TestNewRejectsBadEndpoints(t *testing.T) {
	cases := []struct {
		name      string
		endpoints []string
	}{
		{"none", nil},
		{"relative", []string{"/api"}},
		{"ftp", []string{"ftp://127.0.0.1/"}},
		{"no host", []string{"http:///x"}},
		{"user info", []string{"http://u:p@127.0.0.1/"}},
		{"query", []string{"http://127.0.0.1/?a=1"}},
		{"fragment", []string{"http://127.0.0.1/#x"}},
		{"unparsable", []string{"http://[::1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := New(Config{Name: "t", Endpoints: c.endpoints}); err == nil {
				t.Fatalf("New(%q): got nil error, want an error", c.endpoints)
			}
		})
	}
}

// wireError decodes a JSON wire error body.
func wireError(t *testing.T, body string) (code, requestID string) {
	t.Helper()
	var b struct {
		Error     string `json:"error"`
		RequestID string `json:"requestId"`
	}
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		t.Fatalf("body %q is not a JSON wire error: %v", body, err)
	}
	return b.Error, b.RequestID
}

// closedURL returns the URL of a loopback port that refuses connections.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// hook records the response phase calls.
type hook struct {
	mu        sync.Mutex
	responses int
	failures  []error
	err       error
}

func (h *hook) Response(resp *http.Response) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.responses++
	resp.Header.Set("X-Hooked", "yes")
	return h.err
}

func (h *hook) Failed(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failures = append(h.failures, err)
}

func (h *hook) counts() (int, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.responses, len(h.failures)
}

func TestErrors(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // bounded: the test ends or the request is cancelled
		case <-release:
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	t.Cleanup(slow.Close)
	ok, _ := recordingBackend(t, nil)
	cases := []struct {
		name         string
		endpoint     string
		timeout      time.Duration
		hookErr      error
		wantStatus   int
		wantCode     string
		wantFailures int
		wantHooked   int
	}{
		{"connection refused", closedURL(t), 0, nil, 502, "bad_gateway", 1, 0},
		{"header timeout", slow.URL, 100 * time.Millisecond, nil, 504, "gateway_timeout", 1, 0},
		{"hook error keeps its status", ok.URL, 0, httperr.New(503, "policy busy"), 503, "unavailable", 0, 1},
		{"hook plain error is internal", ok.URL, 0, errors.New("secret guest text"), 500, "internal", 0, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := &hook{err: c.hookErr}
			u := newUpstream(t, Config{Name: "t", Endpoints: []string{c.endpoint}, Timeout: c.timeout})
			fe := front(t, u, Outbound{Path: "/x", RequestID: "rid-e", Hook: h})
			start := time.Now()
			resp, body := get(t, fe.URL+"/x", nil)
			if resp.StatusCode != c.wantStatus {
				t.Fatalf("status: got %d, want %d (body %q)", resp.StatusCode, c.wantStatus, body)
			}
			if code, rid := wireError(t, body); code != c.wantCode || rid != "rid-e" {
				t.Fatalf("body: got code %q requestId %q, want %q rid-e", code, rid, c.wantCode)
			}
			if strings.Contains(body, "secret") {
				t.Fatalf("body %q leaks the cause", body)
			}
			if got := resp.Header.Get("X-Request-Id"); got != "rid-e" {
				t.Fatalf("X-Request-Id: got %q, want rid-e", got)
			}
			// The 504 says the timeout cut the call (the slow backend answers 200 after 10 s at the earliest); this
			// bound (50x the timeout) only says it did not hang until then, it is no speed target.
			if c.timeout > 0 && time.Since(start) > 5*time.Second {
				t.Fatalf("timeout took %v, want an answer well before the backend's 10 s (timeout %v)", time.Since(start),
					c.timeout)
			}
			if r, f := h.counts(); r != c.wantHooked || f != c.wantFailures {
				t.Fatalf("hook calls: got %d responses %d failures, want %d and %d", r, f, c.wantHooked, c.wantFailures)
			}
		})
	}
}

func TestHookEditsResponse(t *testing.T) {
	be, _ := recordingBackend(t, nil)
	h := &hook{}
	u := newUpstream(t, Config{Name: "t", Endpoints: []string{be.URL}})
	fe := front(t, u, Outbound{Path: "/x", RequestID: "rid", Hook: h})
	resp, body := get(t, fe.URL+"/x", nil)
	if resp.StatusCode != 200 || body != "ok" || resp.Header.Get("X-Hooked") != "yes" {
		t.Fatalf("got %d %q X-Hooked=%q, want 200 ok yes", resp.StatusCode, body, resp.Header.Get("X-Hooked"))
	}
	if r, f := h.counts(); r != 1 || f != 0 {
		t.Fatalf("hook calls: got %d responses %d failures, want 1 and 0", r, f)
	}
}

// TestStreaming checks that a response body arrives chunk by chunk and that the header timeout does not cut a body
// that takes longer than the timeout.
func TestStreaming(t *testing.T) {
	next := make(chan struct{})
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < 3; i++ {
			_, _ = io.WriteString(w, "chunk\n")
			w.(http.Flusher).Flush()
			select {
			case <-next:
			case <-r.Context().Done():
				return
			case <-time.After(10 * time.Second):
				return
			}
		}
	}))
	t.Cleanup(be.Close)
	// The headers must arrive within the timeout or the proxy answers 504: a second leaves room for a stall on a
	// loaded machine; the body then outlives it below.
	const timeout = time.Second
	u := newUpstream(t, Config{Name: "t", Endpoints: []string{be.URL}, Timeout: timeout})
	fe := front(t, u, Outbound{Path: "/x", RequestID: "rid"})
	resp, err := http.Get(fe.URL + "/x")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rd := bufio.NewReader(resp.Body)
	start := time.Now()
	for i := 0; i < 3; i++ {
		line, err := rd.ReadString('\n')
		if err != nil || line != "chunk\n" {
			t.Fatalf("chunk %d: got %q %v, want chunk", i, line, err)
		}
		// The next chunk is only sent once this one was received: the body is streamed. Let the body outlive the
		// header timeout before asking for the last chunks.
		for time.Since(start) < 3*timeout {
			time.Sleep(timeout / 5)
		}
		select {
		case next <- struct{}{}:
		case <-time.After(5 * time.Second):
			t.Fatalf("backend stopped sending after chunk %d", i)
		}
	}
	if rest, err := io.ReadAll(rd); err != nil || len(rest) != 0 {
		t.Fatalf("end of body: got %q %v, want clean EOF", rest, err)
	}
}

// TestClientGone checks that nothing is written when the client cancels and that the hook learns of the failure.
func TestClientGone(t *testing.T) {
	arrived := make(chan struct{})
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	t.Cleanup(be.Close)
	u := newUpstream(t, Config{Name: "t", Endpoints: []string{be.URL}})
	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequest(http.MethodGet, "/x", nil).WithContext(ctx)
	w := &headerWatch{ResponseRecorder: httptest.NewRecorder()}
	h := &hook{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		u.Serve(w, req, Outbound{Path: "/x", RequestID: "rid", Hook: h})
	}()
	<-arrived
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after the client went away")
	}
	if w.wrote {
		t.Fatalf("got a response written (%d %q), want nothing", w.Code, w.Body.String())
	}
	if _, f := h.counts(); f != 1 {
		t.Fatalf("hook failures: got %d, want 1", f)
	}
}

type headerWatch struct {
	*httptest.ResponseRecorder
	wrote bool
}

func (h *headerWatch) WriteHeader(code int) { h.wrote = true; h.ResponseRecorder.WriteHeader(code) }
func (h *headerWatch) Write(b []byte) (int, error) {
	h.wrote = true
	return h.ResponseRecorder.Write(b)
}

func TestBufferPool(t *testing.T) {
	p := NewBufferPool()
	b := p.Get()
	if len(b) != 32*1024 {
		t.Fatalf("buffer length: got %d, want %d", len(b), 32*1024)
	}
	p.Put(b[:10])
	if got := p.Get(); len(got) != 32*1024 {
		t.Fatalf("buffer length after Put of a short slice: got %d, want %d", len(got), 32*1024)
	}
	p.Put(make([]byte, 10)) // foreign buffer: dropped
}

func TestNewTransport(t *testing.T) {
	tr := NewTransport()
	if tr.MaxIdleConnsPerHost != 256 || tr.MaxIdleConns != 1024 || tr.Proxy != nil || tr.ForceAttemptHTTP2 {
		t.Fatalf("got MaxIdleConnsPerHost %d MaxIdleConns %d Proxy set %v HTTP2 %v, want 256 1024 false false",
			tr.MaxIdleConnsPerHost, tr.MaxIdleConns, tr.Proxy != nil, tr.ForceAttemptHTTP2)
	}
}
