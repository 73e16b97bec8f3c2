package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"

	"portico/node/proxy"
	"portico/policies/builtin"
	"portico/raftstore/state"
)

// The benchmarks call the handler in-process (no client hop in front of it) and proxy to a loopback backend that
// answers a fixed 80-byte JSON body, like shared/bench/backend. BenchmarkBareReverseProxy is the floor: a tuned
// httputil.ReverseProxy with nothing else; compare ns/op and allocs/op against it.

var benchBody = []byte(`{"message":"hello from the benchmark backend","padding":"xxxxxxxxxxxxxxxxxxx"}` + "\n")

func benchBackend(b *testing.B) *httptest.Server {
	b.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(benchBody)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// discardWriter is a reusable ResponseWriter that keeps only the status.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }

// runParallel serves path with header h through handler from every benchmark goroutine.
func runParallel(b *testing.B, handler http.Handler, path string, h http.Header) {
	b.Helper()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		req := httptest.NewRequest(http.MethodGet, path, nil).WithContext(ctx)
		req.Header = h.Clone()
		w := &discardWriter{h: http.Header{}}
		for pb.Next() {
			clear(w.h)
			w.code = 0
			handler.ServeHTTP(w, req)
			if w.code != http.StatusOK {
				b.Errorf("status %d, want 200", w.code)
				return
			}
		}
	})
}

func BenchmarkGatewayNoPolicy(b *testing.B) {
	be := benchBackend(b)
	g, _ := newGateway(b, Config{})
	mustUpdate(b, g, newState(1, testAPI(be.URL)))
	runParallel(b, g, "/greet/v1/hello", http.Header{"User-Agent": {"bench"}})
}

func BenchmarkGatewayAPIKey(b *testing.B) {
	be := benchBackend(b)
	g, _ := newGateway(b, Config{Plugins: testHost(b), Builtins: builtin.Lookup})
	ks := newKeyState(1, testAPI(be.URL, func(a *state.API) { a.Security = []string{state.SecurityAPIKey} }))
	mustUpdate(b, g, ks.st)
	runParallel(b, g, "/greet/v1/hello", http.Header{"User-Agent": {"bench"}, "Api-Key": {ks.keys["greet"]}})
}

// BenchmarkGatewayOAuth2 verifies a real ES256 access token (node/token) through the built-in oauth2 policy.
func BenchmarkGatewayOAuth2(b *testing.B) {
	be := benchBackend(b)
	ts := newTokenState(1, testAPI(be.URL, func(a *state.API) { a.Security = []string{state.SecurityOAuth2} }))
	keys := realKeys(b, ts.st)
	g, _ := newGateway(b, Config{Plugins: testHost(b), Builtins: builtin.Lookup, Tokens: keys})
	mustUpdate(b, g, ts.st)
	runParallel(b, g, "/greet/v1/hello", http.Header{"User-Agent": {"bench"}, "Authorization": {"Bearer " + issue(b, keys)}})
}

// BenchmarkGatewayCORS serves an allowed cross-origin request of an open operation through the built-in cors policy.
func BenchmarkGatewayCORS(b *testing.B) {
	be := benchBackend(b)
	g, _ := newGateway(b, Config{Plugins: testHost(b), Builtins: builtin.Lookup})
	mustUpdate(b, g, newState(1, testAPI(be.URL, withCORS)))
	runParallel(b, g, "/greet/v1/hello", http.Header{"User-Agent": {"bench"}, "Origin": {"https://app.example"}})
}

func BenchmarkBareReverseProxy(b *testing.B) {
	be := benchBackend(b)
	target, err := url.Parse(be.URL)
	if err != nil {
		b.Fatal(err)
	}
	tr := proxy.NewTransport()
	b.Cleanup(tr.CloseIdleConnections)
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.SetXForwarded()
		},
		Transport:  tr,
		BufferPool: proxy.NewBufferPool(),
	}
	rp.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		b.Errorf("proxy error: %v", err)
		w.WriteHeader(http.StatusBadGateway)
	}
	runParallel(b, rp, "/hello", http.Header{"User-Agent": {"bench"}})
}
