package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"portico/raftstore/state"
)

// seenRequest is what a test backend observed of one request.
type seenRequest struct {
	RequestURI string
	Header     http.Header
}

// backend is an upstream that answers 200 "hello" and records the requests it got.
type backend struct {
	*httptest.Server
	seen chan seenRequest
}

func newBackend(t testing.TB) *backend {
	t.Helper()
	b := &backend{seen: make(chan seenRequest, 1024)}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case b.seen <- seenRequest{RequestURI: r.RequestURI, Header: r.Header.Clone()}:
		default: // load tests do not read what the backend saw
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "hello")
	}))
	t.Cleanup(b.Close)
	return b
}

// next returns the next request the backend saw.
func (b *backend) next(t testing.TB) seenRequest {
	t.Helper()
	select {
	case s := <-b.seen:
		return s
	case <-time.After(5 * time.Second):
		t.Fatal("backend saw no request")
		return seenRequest{}
	}
}

// testAPI returns the API greet 1.0 at /greet, published, without security, with endpoint and mods applied.
func testAPI(endpoint string, mods ...func(*state.API)) *state.API {
	a := &state.API{
		Name: "greet", Version: "1.0", Major: 1, Minor: 0, Context: "/greet",
		Lifecycle: state.Published,
		Security:  []string{state.SecurityNone},
		Endpoints: state.Endpoints{Production: []string{endpoint}},
		Operations: []state.Operation{
			{Method: http.MethodGet, Path: "/hello"},
			{Method: http.MethodGet, Path: "/items/{id}"},
			{Method: http.MethodPost, Path: "/items"},
			{Method: http.MethodGet, Path: "/stream"},
		},
	}
	for _, m := range mods {
		m(a)
	}
	return a
}

func withLifecycle(lc string) func(*state.API) { return func(a *state.API) { a.Lifecycle = lc } }

// newState returns a state at index holding apis.
func newState(index uint64, apis ...*state.API) *state.State {
	st := state.Empty()
	st.Index = index
	for _, a := range apis {
		st.APIs[a.ID()] = a
	}
	return st
}

// newGateway starts a gateway behind a test listener; both are closed at cleanup.
func newGateway(t testing.TB, cfg Config) (*Gateway, *httptest.Server) {
	t.Helper()
	g, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(g)
	t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := g.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return g, srv
}

func mustUpdate(t testing.TB, g *Gateway, st *state.State) {
	t.Helper()
	if err := g.Update(context.Background(), st); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// reply is a response read in full.
type reply struct {
	status int
	header http.Header
	body   string
}

func do(t testing.TB, method, url string, h http.Header) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return readReply(t, resp)
}

func readReply(t testing.TB, resp *http.Response) reply {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return reply{resp.StatusCode, resp.Header, string(b)}
}

// getAsync sends a GET from another goroutine and delivers its reply (status -1 and the error text on failure).
func getAsync(t testing.TB, url string) <-chan reply {
	t.Helper()
	out := make(chan reply, 1)
	go func() {
		resp, err := http.Get(url)
		if err != nil {
			out <- reply{status: -1, body: err.Error()}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			out <- reply{status: -1, body: err.Error()}
			return
		}
		out <- reply{resp.StatusCode, resp.Header, string(b)}
	}()
	return out
}

// raw sends a request text as is (for targets an http.Client cannot send) and reads the response.
func raw(t testing.TB, srv *httptest.Server, text string) reply {
	t.Helper()
	conn, err := net.DialTimeout("tcp", srv.Listener.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, text); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading response to %q: %v", text, err)
	}
	return readReply(t, resp)
}

// wire is a decoded JSON wire error.
type wire struct {
	Error     string `json:"error"`
	Message   string `json:"message"`
	RequestID string `json:"requestId"`
}

// checkWireError checks a JSON error response: status, code, and the request ID in body and header.
func checkWireError(t testing.TB, r reply, status int, code string) wire {
	t.Helper()
	if r.status != status {
		t.Fatalf("status: got %d, want %d (body %q)", r.status, status, r.body)
	}
	var w wire
	if err := json.Unmarshal([]byte(r.body), &w); err != nil {
		t.Fatalf("body %q is not a JSON wire error: %v", r.body, err)
	}
	if w.Error != code {
		t.Fatalf("error code: got %q, want %q", w.Error, code)
	}
	if id := r.header.Get("X-Request-Id"); id == "" || id != w.RequestID {
		t.Fatalf("request ID: header %q, body %q, want equal and non-empty", id, w.RequestID)
	}
	return w
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
