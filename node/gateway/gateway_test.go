package gateway

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"portico/raftstore/state"
)

func TestProxyRoute(t *testing.T) {
	be := newBackend(t)
	g, srv := newGateway(t, Config{})
	mustUpdate(t, g, newState(3, testAPI(be.URL+"/api")))
	cases := []struct {
		name    string
		path    string
		wantURI string
	}{
		{"major version", "/greet/v1/hello?a=1&b=%2F", "/api/hello?a=1&b=%2F"},
		{"exact version", "/greet/v1.0/hello", "/api/hello"},
		{"template", "/greet/v1/items/42", "/api/items/42"},
		{"dot segments resolved once", "/greet/v1/x/../hello", "/api/hello"},
		{"escaping kept", "/greet/v1/items/a%252e%20b", "/api/items/a%252e%20b"},
	}
	ids := map[string]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := do(t, http.MethodGet, srv.URL+c.path, http.Header{
				"X-Forwarded-For": {"10.1.2.3"},
				"X-Real-Ip":       {"10.1.2.3"},
				"X-Request-Id":    {"client-chosen"},
				"X-Portico-App":   {"forged"},
			})
			if r.status != 200 || r.body != "hello" {
				t.Fatalf("got %d %q, want 200 hello", r.status, r.body)
			}
			s := be.next(t)
			if s.RequestURI != c.wantURI {
				t.Fatalf("upstream URI: got %q, want %q", s.RequestURI, c.wantURI)
			}
			if got := s.Header.Get("X-Forwarded-For"); got != "127.0.0.1" {
				t.Fatalf("X-Forwarded-For: got %q, want 127.0.0.1 (the client-sent value is not trusted)", got)
			}
			if got := s.Header.Get("X-Real-Ip") + s.Header.Get("X-Portico-App"); got != "" {
				t.Fatalf("client identity headers reached the backend: %q", got)
			}
			id := r.header.Get("X-Request-Id")
			if up := s.Header.Values("X-Request-Id"); len(up) != 1 || up[0] != id || id == "client-chosen" {
				t.Fatalf("X-Request-Id: response %q, upstream %q, want one equal gateway-made value", id, up)
			}
			if ids[id] {
				t.Fatalf("request ID %q reused", id)
			}
			ids[id] = true
		})
	}
}

func TestRefusedRequests(t *testing.T) {
	be := newBackend(t)
	g, srv := newGateway(t, Config{})
	mustUpdate(t, g, newState(1, testAPI(be.URL)))
	cases := []struct {
		name      string
		request   string
		status    int
		code      string
		wantAllow string
	}{
		{"encoded slash", "GET /greet/v1/items/a%2Fb HTTP/1.1\r\nHost: x\r\n\r\n", 400, "invalid_request", ""},
		{"encoded NUL", "GET /greet/v1/items/a%00 HTTP/1.1\r\nHost: x\r\n\r\n", 400, "invalid_request", ""},
		{"overlong dot", "GET /greet/v1/%c0%ae%c0%ae/x HTTP/1.1\r\nHost: x\r\n\r\n", 400, "invalid_request", ""},
		{"fragment in path", "GET /greet/v1/hello#x HTTP/1.1\r\nHost: x\r\n\r\n", 400, "invalid_request", ""},
		{"fragment in query", "GET /greet/v1/hello?a=1#x HTTP/1.1\r\nHost: x\r\n\r\n", 400, "invalid_request", ""},
		{"absolute form", "GET http://10.0.0.1/greet/v1/hello HTTP/1.1\r\nHost: 10.0.0.1\r\n\r\n", 400,
			"invalid_request", ""},
		{"connect", "CONNECT 10.0.0.1:443 HTTP/1.1\r\nHost: 10.0.0.1:443\r\n\r\n", 400, "invalid_request", ""},
		{"unknown context", "GET /nope/v1/hello HTTP/1.1\r\nHost: x\r\n\r\n", 404, "not_found", ""},
		{"unknown major", "GET /greet/v2/hello HTTP/1.1\r\nHost: x\r\n\r\n", 404, "not_found", ""},
		{"unknown operation", "GET /greet/v1/nope HTTP/1.1\r\nHost: x\r\n\r\n", 404, "not_found", ""},
		{"method not allowed", "DELETE /greet/v1/items HTTP/1.1\r\nHost: x\r\n\r\n", 405, "method_not_allowed", "POST"},
		{"method not allowed on GET", "PUT /greet/v1/hello HTTP/1.1\r\nHost: x\r\n\r\n", 405, "method_not_allowed",
			"GET, HEAD"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := raw(t, srv, c.request)
			checkWireError(t, r, c.status, c.code)
			if got := r.header.Get("Allow"); got != c.wantAllow {
				t.Fatalf("Allow: got %q, want %q", got, c.wantAllow)
			}
		})
	}
	if len(be.seen) != 0 {
		t.Fatalf("backend saw %d refused requests, want 0", len(be.seen))
	}
}

// TestOptionsAsterisk: net/http's server answers "OPTIONS *" itself (an empty 200) before any handler runs; the
// gateway refuses it when it does see it. Either way nothing is routed or proxied.
func TestOptionsAsterisk(t *testing.T) {
	be := newBackend(t)
	g, srv := newGateway(t, Config{})
	mustUpdate(t, g, newState(1, testAPI(be.URL)))
	r := raw(t, srv, "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n")
	if r.status != 200 || r.body != "" {
		t.Fatalf("over the wire: got %d %q, want net/http's empty 200", r.status, r.body)
	}
	req := httptest.NewRequest(http.MethodOptions, "/", nil)
	req.RequestURI = "*"
	rec := httptest.NewRecorder()
	g.ServeHTTP(rec, req)
	checkWireError(t, reply{rec.Code, rec.Header(), rec.Body.String()}, 400, "invalid_request")
	if len(be.seen) != 0 {
		t.Fatalf("backend saw %d requests, want 0", len(be.seen))
	}
}

func TestBadPathMessageNamesProblem(t *testing.T) {
	g, srv := newGateway(t, Config{})
	mustUpdate(t, g, newState(1, testAPI(newBackend(t).URL)))
	w := checkWireError(t, raw(t, srv, "GET /greet/v1/a%2Fb HTTP/1.1\r\nHost: x\r\n\r\n"), 400, "invalid_request")
	if !strings.Contains(w.Message, "slash") {
		t.Fatalf("message %q does not name the problem (encoded slash)", w.Message)
	}
}

func TestLifecycleGate(t *testing.T) {
	be := newBackend(t)
	cases := []struct {
		lifecycle string
		status    int
		code      string
		message   string
	}{
		{state.Created, 404, "not_found", "no API matches the request path"},
		{state.PreReleased, 200, "", ""},
		{state.Published, 200, "", ""},
		{state.Deprecated, 200, "", ""},
		{state.Blocked, 503, "unavailable", "API greet 1.0 is blocked"},
		{state.Retired, 410, "gone", "API greet 1.0 is retired"},
	}
	for _, c := range cases {
		for _, path := range []string{"/greet/v1.0/hello", "/greet/v1/hello"} {
			t.Run(c.lifecycle+" "+path, func(t *testing.T) {
				g, srv := newGateway(t, Config{})
				mustUpdate(t, g, newState(1, testAPI(be.URL, withLifecycle(c.lifecycle))))
				r := do(t, http.MethodGet, srv.URL+path, nil)
				if c.status == 200 {
					if r.status != 200 || r.body != "hello" {
						t.Fatalf("got %d %q, want 200 hello", r.status, r.body)
					}
					be.next(t)
					return
				}
				if w := checkWireError(t, r, c.status, c.code); w.Message != c.message {
					t.Fatalf("message: got %q, want %q", w.Message, c.message)
				}
				if len(be.seen) != 0 {
					t.Fatal("backend saw a refused request")
				}
			})
		}
	}
}

func TestUpstreamFailures(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // longer than the API timeout, bounded
		case <-release:
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	t.Cleanup(slow.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String()
	ln.Close()
	cases := []struct {
		name     string
		endpoint string
		status   int
		code     string
	}{
		{"upstream down", down, 502, "bad_gateway"},
		{"upstream slower than the timeout", slow.URL, 504, "gateway_timeout"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, srv := newGateway(t, Config{})
			mustUpdate(t, g, newState(1, testAPI(c.endpoint, func(a *state.API) { a.TimeoutMS = 100 })))
			start := time.Now()
			r := do(t, http.MethodGet, srv.URL+"/greet/v1/hello", nil)
			checkWireError(t, r, c.status, c.code)
			// The status says which failure ended the call (the slow upstream answers 200 after 10 s at the
			// earliest); this bound (50x the 100 ms timeout) only says the answer did not hang, it is no speed target.
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("answer took %v, want it well before the slow upstream's 10 s (timeout 100ms)", d)
			}
		})
	}
}

func TestStreamedResponse(t *testing.T) {
	next := make(chan struct{})
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := 0; i < 3; i++ {
			_, _ = io.WriteString(w, "data: x\n")
			w.(http.Flusher).Flush()
			select { // the next event is sent only once the client got this one
			case <-next:
			case <-r.Context().Done():
				return
			case <-time.After(10 * time.Second):
				return
			}
		}
	}))
	t.Cleanup(be.Close)
	g, srv := newGateway(t, Config{})
	mustUpdate(t, g, newState(1, testAPI(be.URL)))
	resp, err := http.Get(srv.URL + "/greet/v1/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rd := bufio.NewReader(resp.Body)
	for i := 0; i < 3; i++ {
		line, err := rd.ReadString('\n')
		if err != nil || line != "data: x\n" {
			t.Fatalf("event %d: got %q %v, want data: x", i, line, err)
		}
		select {
		case next <- struct{}{}:
		case <-time.After(5 * time.Second):
			t.Fatalf("backend stopped sending after chunk %d", i)
		}
	}
	if rest, err := io.ReadAll(rd); err != nil || len(rest) != 0 {
		t.Fatalf("end of stream: got %q %v, want clean EOF", rest, err)
	}
}

func TestNotServing(t *testing.T) {
	g, srv := newGateway(t, Config{})
	checkWireError(t, do(t, http.MethodGet, srv.URL+"/greet/v1/hello", nil), 503, "unavailable")
	mustUpdate(t, g, newState(1, testAPI(newBackend(t).URL)))
	if err := g.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	checkWireError(t, do(t, http.MethodGet, srv.URL+"/greet/v1/hello", nil), 503, "unavailable")
	if err := g.Update(context.Background(), newState(2)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Update after Close: got %v, want ErrClosed", err)
	}
}

func TestServedIndex(t *testing.T) {
	be := newBackend(t)
	g, srv := newGateway(t, Config{})
	if got := g.ServedIndex(); got != 0 {
		t.Fatalf("ServedIndex before Update: got %d, want 0", got)
	}
	mustUpdate(t, g, newState(5, testAPI(be.URL)))
	mustUpdate(t, g, newState(4)) // older: ignored
	if got := g.ServedIndex(); got != 5 {
		t.Fatalf("ServedIndex after an older Update: got %d, want 5", got)
	}
	if r := do(t, http.MethodGet, srv.URL+"/greet/v1/hello", nil); r.status != 200 {
		t.Fatalf("after an older Update: got %d, want 200 (the older state must not be served)", r.status)
	}
	mustUpdate(t, g, newState(6))
	if got := g.ServedIndex(); got != 6 {
		t.Fatalf("ServedIndex: got %d, want 6", got)
	}
	checkWireError(t, do(t, http.MethodGet, srv.URL+"/greet/v1/hello", nil), 404, "not_found")
}

func TestBrokenAPILeftOut(t *testing.T) {
	be := newBackend(t)
	g, srv := newGateway(t, Config{})
	good := testAPI(be.URL)
	cases := []struct {
		name   string
		broken *state.API
		want   string
	}{
		{"unknown policy", testAPI(be.URL, func(a *state.API) {
			a.Name, a.Context = "other", "/other"
			a.Policies.Request = []state.PolicyRef{{Name: "no-such-policy"}}
		}), "no-such-policy"},
		{"oauth2 without its built-in", testAPI(be.URL, func(a *state.API) {
			a.Name, a.Context = "other", "/other"
			a.Security = []string{state.SecurityOAuth2}
		}), "oauth2"},
		{"bad endpoint", testAPI("ftp://127.0.0.1/", func(a *state.API) { a.Name, a.Context = "other", "/other" }),
			"scheme"},
		{"context claimed by another API", testAPI(be.URL, func(a *state.API) { a.Name = "other" }), "claimed"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := g.Update(context.Background(), newState(uint64(10+i), good, c.broken))
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "other@1.0") {
				t.Fatalf("Update: got %v, want an error naming other@1.0 and %q", err, c.want)
			}
			if r := do(t, http.MethodGet, srv.URL+"/greet/v1/hello", nil); r.status != 200 {
				t.Fatalf("healthy API: got %d, want 200", r.status)
			}
			if c.broken.Context != good.Context {
				checkWireError(t, do(t, http.MethodGet, srv.URL+"/other/v1/hello", nil), 404, "not_found")
			}
		})
	}
}

func TestRequestIDs(t *testing.T) {
	g, err := newIDGen()
	if err != nil {
		t.Fatal(err)
	}
	h, err := newIDGen()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		for _, id := range []string{g.next(), h.next()} {
			if seen[id] {
				t.Fatalf("request ID %q made twice", id)
			}
			seen[id] = true
		}
	}
}
