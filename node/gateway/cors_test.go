package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"portico/plugins"
	"portico/policies/builtin"
)

// TestCORSRequestsWaitUpstreamWithoutInstances: the built-in cors policy declares that its response handler may run
// on any instance, so requests of an allowed origin do not hold an instance while they wait for the upstream. With a
// pool of one instance, four requests reach a backend that answers only once all four have arrived, and each gets
// its CORS headers. A policy that held its instance across the upstream call would let one request through and
// refuse the others as busy.
func TestCORSRequestsWaitUpstreamWithoutInstances(t *testing.T) {
	const inFlight = 4
	// A call waits up to 2 s for the instance: calls take microseconds, but a loaded machine may delay the goroutine
	// that holds it. A policy holding its instance across the upstream call still fails: the backend waits 10 s.
	h, err := plugins.New(context.Background(), plugins.Config{MaxInstances: 1, AcquireTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close(context.Background()) })
	var arrived atomic.Int32
	all := make(chan struct{})
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if arrived.Add(1) == inFlight {
			close(all)
		}
		select {
		case <-all:
		case <-time.After(10 * time.Second): // hang bound: the test fails on the count below
		}
	}))
	t.Cleanup(be.Close)
	g, srv := newGateway(t, Config{Plugins: h, Builtins: builtin.Lookup})
	mustUpdate(t, g, newState(1, testAPI(be.URL, withCORS)))

	const origin = "https://app.example"
	replies := make(chan reply, inFlight)
	for range inFlight {
		go func() {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/greet/v1/stream", nil)
			req.Header.Set("Origin", origin)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				replies <- reply{status: -1, body: err.Error()}
				return
			}
			resp.Body.Close()
			replies <- reply{status: resp.StatusCode, header: resp.Header}
		}()
	}
	for range inFlight {
		r := <-replies
		if r.status != http.StatusOK || r.header.Get("Access-Control-Allow-Origin") != origin {
			t.Errorf("got %d with Allow-Origin %q, want 200 with %q (body %s)", r.status,
				r.header.Get("Access-Control-Allow-Origin"), origin, r.body)
		}
	}
	if got := arrived.Load(); got != inFlight {
		t.Errorf("the backend saw %d requests in flight at once, want %d", got, inFlight)
	}
}
