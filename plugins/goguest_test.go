package plugins

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"portico/plugins/abi"
)

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type goCase struct {
	mode  string
	req   func() *http.Request
	check func(t *testing.T, x *Exchange, next bool, pd *Pending, err error)
}

func TestGoGuest(t *testing.T) {
	wasm := goGuest(t)
	logs := &syncBuffer{}
	h := newTestHost(t, Config{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	m, err := h.Compile(context.Background(), wasm)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	key := abi.FormatAPIKey("0123456789abcdef", "s3cret")
	sum := sha256.Sum256([]byte(key))
	creds := fakeCreds{id: "0123456789abcdef", hash: sum[:], record: abi.EncodeRecord(abi.RecApp, "app1")}
	for _, c := range goCases(key) {
		t.Run(c.mode, func(t *testing.T) {
			p, err := h.Pool(context.Background(), m, c.mode, []byte(strings.Fields(c.mode)[0]))
			if err != nil {
				t.Fatalf("Pool: %v", err)
			}
			defer p.Release()
			x := NewExchange(c.req(), creds)
			next, pd, err := p.Request(context.Background(), x)
			c.check(t, x, next, pd, err)
		})
	}
	if !strings.Contains(logs.String(), "guest failure") {
		t.Errorf("log: got %q, want the guest's panic message from stderr", logs.String())
	}
}

func goCases(key string) []goCase {
	get := func() *http.Request {
		r := httptest.NewRequest(http.MethodGet, "http://example.com/a/b?x=1", nil)
		r.Header.Set("Content-Type", "text/plain")
		return r
	}
	withKey := func(k string) func() *http.Request {
		return func() *http.Request {
			r := get()
			r.Header.Set("X-Api-Key", k)
			return r
		}
	}
	return []goCase{
		{"echo", get, checkEcho},
		{"auth valid key", withKey(key), checkAuthOK},
		{"auth wrong key", withKey(key + "x"), checkUnauthorized},
		{"rewrite", get, checkRewrite},
		{"body", func() *http.Request {
			return httptest.NewRequest(http.MethodPost, "http://example.com/", strings.NewReader("some payload"))
		}, checkBody},
		{"panic", get, func(t *testing.T, _ *Exchange, _ bool, _ *Pending, err error) {
			if err == nil {
				t.Error("Request: got no error, want the guest's panic")
			}
		}},
	}
}

func mustPass(t *testing.T, next bool, pd *Pending, err error, wantPending bool) {
	t.Helper()
	if err != nil || !next || (pd != nil) != wantPending {
		t.Fatalf("Request: got next %v, pending %v, error %v; want next, pending %v", next, pd != nil, err, wantPending)
	}
}

func checkEcho(t *testing.T, x *Exchange, next bool, _ *Pending, err error) {
	if err != nil || next || !x.Responded() {
		t.Fatalf("Request: got next %v, error %v, want a guest response", next, err)
	}
	w := httptest.NewRecorder()
	x.WriteResponse(w)
	wantI32(t, "status", int32(w.Code), 201)
	wantStr(t, "x-method", w.Header().Get("X-Method"), "GET")
	wantStr(t, "x-uri", w.Header().Get("X-Uri"), "/a/b?x=1")
	wantStr(t, "x-names", w.Header().Get("X-Names"), "content-type,host")
	wantStr(t, "body", w.Body.String(), "hello from go")
}

func checkAuthOK(t *testing.T, x *Exchange, next bool, pd *Pending, err error) {
	mustPass(t, next, pd, err, false)
	wantStr(t, "auth.app", x.Property(abi.PropAuthApp), "app1")
	wantStr(t, "outbound x-app", x.Request().Header.Get("X-App"), "app1")
}

func checkUnauthorized(t *testing.T, x *Exchange, next bool, _ *Pending, err error) {
	if err != nil || next {
		t.Fatalf("Request: got next %v, error %v, want a guest response", next, err)
	}
	w := httptest.NewRecorder()
	x.WriteResponse(w)
	wantI32(t, "status", int32(w.Code), 401)
	wantStr(t, "auth.app", x.Property(abi.PropAuthApp), "")
}

func checkRewrite(t *testing.T, x *Exchange, next bool, pd *Pending, err error) {
	mustPass(t, next, pd, err, true)
	out := x.Request()
	wantStr(t, "outbound x-added", out.Header.Get("X-Added"), "yes")
	wantStr(t, "outbound uri", out.URL.RequestURI(), "/rewritten")
	resp := &http.Response{StatusCode: 200, Header: http.Header{"Content-Length": {"5"}},
		Body: io.NopCloser(strings.NewReader("hello")), ContentLength: 5}
	x.SetUpstreamResponse(resp)
	if err := pd.Response(context.Background(), x, true); err != nil {
		t.Fatalf("Response: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	wantStr(t, "body", string(b), "HELLO")
	wantStr(t, "x-ctx", resp.Header.Get("X-Ctx"), "7")
	wantStr(t, "x-error", resp.Header.Get("X-Error"), "1")
	if err := pd.Response(context.Background(), x, false); err == nil {
		t.Error("second Response: got no error, want one")
	}
}

func checkBody(t *testing.T, x *Exchange, next bool, pd *Pending, err error) {
	mustPass(t, next, pd, err, false)
	b, _ := io.ReadAll(x.Request().Body)
	wantStr(t, "upstream body", string(b), "some payload")
	resp := &http.Response{StatusCode: 200, Header: http.Header{}, Body: http.NoBody}
	x.SetUpstreamResponse(resp)
	wantStr(t, "x-seen-body", resp.Header.Get("X-Seen-Body"), "some payload")
}

func TestGoGuestBadConfig(t *testing.T) {
	h := newTestHost(t, Config{})
	m, err := h.Compile(context.Background(), goGuest(t))
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	p, err := h.Pool(context.Background(), m, "bad", []byte("bad-config"))
	if err == nil {
		p.Release()
		t.Fatal("Pool: got a pool, want the guest's start failure")
	}
	if errors.Is(err, ErrInvalidModule) {
		t.Errorf("Pool: got %v, want a start error, not ErrInvalidModule", err)
	}
}

// BenchmarkRequest measures one handle_request round trip of a Go guest that reads one header and calls
// skip_response.
func BenchmarkRequest(b *testing.B) {
	h := newTestHost(b, Config{})
	p := newTestPool(b, h, goGuest(b), []byte("bench"))
	r := httptest.NewRequest(http.MethodGet, "http://example.com/pets", nil)
	r.Header.Set("X-Api-Key", "pk_0123456789abcdef_secret")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		next, pd, err := p.Request(ctx, NewExchange(r, nil))
		if err != nil || !next || pd != nil {
			b.Fatalf("Request: got next %v, pending %v, error %v", next, pd != nil, err)
		}
	}
}
