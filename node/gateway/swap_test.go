package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"portico/node/proxy"
	"portico/raftstore/state"
)

// TestHotSwapUnderLoad sends requests continuously while the table is replaced again and again (endpoints, policy
// configs and the set of APIs change): no request may fail.
func TestHotSwapUnderLoad(t *testing.T) {
	beA, beB := newBackend(t), newBackend(t)
	g, srv := newGateway(t, Config{Plugins: testHost(t), Builtins: testBuiltins, DrainTimeout: 10 * time.Second})
	stateAt := func(i int) *state.State {
		be := beA
		if i%2 == 1 {
			be = beB
		}
		plain := testAPI(be.URL)
		pol := testAPI(be.URL, func(a *state.API) {
			a.Name, a.Context = "pol", "/pol"
			a.Policies.Request = []state.PolicyRef{{Name: "pass", Config: json.RawMessage(fmt.Sprintf(`{"v":%d}`, i%3))}}
		})
		extra := testAPI(be.URL, func(a *state.API) { a.Name, a.Context = fmt.Sprintf("x%d", i), fmt.Sprintf("/x%d", i) })
		return newState(uint64(i+1), plain, pol, extra)
	}
	mustUpdate(t, g, stateAt(0))
	client := &http.Client{Transport: proxy.NewTransport(), Timeout: 10 * time.Second}
	t.Cleanup(client.CloseIdleConnections)

	const workers, perWorker = 8, 300
	var sent, failed atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			paths := []string{"/greet/v1/hello", "/pol/v1/hello"}
			for i := 0; i < perWorker; i++ {
				select {
				case <-stop:
					return
				default:
				}
				sent.Add(1)
				if err := get(client, srv.URL+paths[(w+i)%2]); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
			}
		}(w)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	updates := 0
	deadline := time.After(20 * time.Second)
loop:
	// Swap until every worker is done, so that swaps and requests overlap however the goroutines are scheduled.
	for i := 1; i <= 1_000_000; i++ {
		select {
		case <-done:
			break loop
		case <-deadline:
			close(stop)
			<-done
			break loop
		default:
		}
		mustUpdate(t, g, stateAt(i))
		updates++
	}
	<-done
	if failed.Load() != 0 {
		t.Fatalf("%d of %d requests failed during %d swaps; first: %v", failed.Load(), sent.Load(), updates,
			firstErr.Load())
	}
	if updates < 5 || len(beA.seen) == 0 || len(beB.seen) == 0 {
		t.Fatalf("%d swaps, backends saw %d and %d requests: want several swaps serving both backends",
			updates, len(beA.seen), len(beB.seen))
	}
	t.Logf("%d requests, %d swaps, no failure", sent.Load(), updates)
}

func get(c *http.Client, url string) error {
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 || string(b) != "hello" {
		return fmt.Errorf("GET %s: %d %q", url, resp.StatusCode, b)
	}
	return nil
}

// TestDrainTimeout: a table whose request outlives DrainTimeout is closed anyway; the request still completes.
func TestDrainTimeout(t *testing.T) {
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-time.After(10 * time.Second):
		}
		_, _ = w.Write([]byte("hello"))
	}))
	t.Cleanup(be.Close)
	g, srv := newGateway(t, Config{DrainTimeout: 50 * time.Millisecond})
	mustUpdate(t, g, newState(1, testAPI(be.URL)))
	t1 := g.cur.Load()
	slow := getAsync(t, srv.URL+"/greet/v1/hello")
	<-arrived
	mustUpdate(t, g, newState(2, testAPI(be.URL)))
	waitFor(t, "the old table to close after DrainTimeout", t1.closed.Load)
	if n := t1.inflight.Load(); n != 1 {
		t.Fatalf("in flight on the closed table: got %d, want 1", n)
	}
	close(release)
	if r := <-slow; r.status != 200 {
		t.Fatalf("request outliving the drain: got %d %q, want 200", r.status, r.body)
	}
}

// TestCloseDrains: Close waits for requests in flight (bounded by its context).
func TestCloseDrains(t *testing.T) {
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-time.After(10 * time.Second):
		}
		_, _ = w.Write([]byte("hello"))
	}))
	t.Cleanup(be.Close)
	g, srv := newGateway(t, Config{})
	mustUpdate(t, g, newState(1, testAPI(be.URL)))
	t1 := g.cur.Load()
	slow := getAsync(t, srv.URL+"/greet/v1/hello")
	<-arrived
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := g.Close(ctx); err == nil {
		t.Fatal("Close with a request in flight past its context: got nil, want an error")
	}
	if !t1.closed.Load() {
		t.Fatal("table not closed after Close")
	}
	close(release)
	if r := <-slow; r.status != 200 {
		t.Fatalf("request in flight during Close: got %d %q, want 200", r.status, r.body)
	}
}
