package plugins

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"portico/plugins/wasmtest"
)

func newRequest() *http.Request {
	return httptest.NewRequest(http.MethodGet, "http://example.com/", nil)
}

// failingGuest traps in handle_request when the request has an X-Fail header and otherwise passes the request on
// without holding its instance (skip_response).
func failingGuest(t testing.TB, h *Host) []byte {
	m := &wasmtest.Module{}
	values := m.Import("http_handler", "get_header_values",
		h.imports["http_handler"]["get_header_values"].ParamTypes(), wasmtest.I64)
	skip := m.Import("portico_v1", "skip_response", nil, nil)
	ptr, n := strAddr("x-fail")
	m.Func("handle_request", nil, wasmtest.I64, nil,
		wasmtest.I32Const(0), wasmtest.I32Const(int32(ptr)), wasmtest.I32Const(int32(n)),
		wasmtest.I32Const(0), wasmtest.I32Const(0), wasmtest.Call(values),
		wasmtest.I64Eqz, wasmtest.I32Eqz, wasmtest.IfThen(wasmtest.Unreachable), // trap when any value
		wasmtest.Call(skip), wasmtest.I64Const(1))
	m.Func("handle_response", wasmtest.I32I32, nil, nil)
	m.Memory(1, nil)
	addStrings(m)
	return m.Bytes()
}

func failRequest() *http.Request {
	r := newRequest()
	r.Header.Set("X-Fail", "1")
	return r
}

// holdingGuest passes every request on and keeps its instance until handle_response.
func holdingGuest(t testing.TB, h *Host) []byte { return buildGuest(t, h, guestSpec{next: 1}) }

func TestPoolBounded(t *testing.T) {
	// The waiting request below must get the returned instance within the timeout: a second on a loaded machine.
	const timeout = time.Second
	h := newTestHost(t, Config{MaxInstances: 2, AcquireTimeout: timeout})
	p := newTestPool(t, h, holdingGuest(t, h), nil)
	ctx := context.Background()
	var held []*Pending
	for i := range 2 {
		_, pd, err := p.Request(ctx, NewExchange(newRequest(), nil))
		if err != nil || pd == nil {
			t.Fatalf("request %d: got pending %v, error %v, want a held instance", i, pd, err)
		}
		held = append(held, pd)
	}
	if got := p.live.Load(); got != 2 {
		t.Errorf("live instances: got %d, want 2", got)
	}
	start := time.Now()
	_, _, err := p.Request(ctx, NewExchange(newRequest(), nil))
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("third request: got %v, want ErrBusy", err)
	}
	if waited := time.Since(start); waited < timeout {
		t.Errorf("ErrBusy after %v: want a wait of at least %v", waited, timeout)
	}

	// A waiting request gets the instance a finished request returns.
	done := make(chan error, 1)
	go func() {
		_, pd, err := p.Request(ctx, NewExchange(newRequest(), nil))
		if err == nil {
			err = pd.Response(ctx, NewExchange(newRequest(), nil), false)
		}
		done <- err
	}()
	if err := held[0].Response(ctx, NewExchange(newRequest(), nil), false); err != nil {
		t.Fatalf("Response: %v", err)
	}
	if err := <-done; err != nil {
		t.Errorf("waiting request: got %v, want success", err)
	}
	held[1].Release()
	if got := p.live.Load(); got != 2 {
		t.Errorf("live instances: got %d, want 2", got)
	}
}

func TestPoolDiscardsFailedInstance(t *testing.T) {
	h := newTestHost(t, Config{MaxInstances: 1})
	p := newTestPool(t, h, failingGuest(t, h), nil)
	ctx := context.Background()
	before := idleInstance(t, p)
	if _, _, err := p.Request(ctx, NewExchange(failRequest(), nil)); err == nil {
		t.Fatal("failing request: got no error, want a trap")
	}
	if !before.mod.IsClosed() {
		t.Error("failed instance: got open, want closed")
	}
	waitFor(t, 5*time.Second, "a warm replacement instance", func() bool { return len(p.idle) == 1 })
	after := idleInstance(t, p)
	if after == before {
		t.Error("instance after failure: got the failed instance back, want a new one")
	}
	if next, _, err := p.Request(ctx, NewExchange(newRequest(), nil)); err != nil || !next {
		t.Errorf("request after failure: got next %v, error %v, want next and no error", next, err)
	}
	if got := p.live.Load(); got != 1 {
		t.Errorf("live instances: got %d, want 1", got)
	}
}

func TestPoolQuarantine(t *testing.T) {
	// The request right after the third failure must fall inside the quarantine: 2 s leave room for a stall.
	h := newTestHost(t, Config{MaxInstances: 1, QuarantineAfter: 3, QuarantineFor: 2 * time.Second})
	p := newTestPool(t, h, failingGuest(t, h), nil)
	ctx := context.Background()
	for i := range 3 {
		_, _, err := p.Request(ctx, NewExchange(failRequest(), nil))
		if err == nil || errors.Is(err, ErrQuarantined) {
			t.Fatalf("failure %d: got %v, want a trap", i, err)
		}
	}
	if _, _, err := p.Request(ctx, NewExchange(newRequest(), nil)); !errors.Is(err, ErrQuarantined) {
		t.Fatalf("request while quarantined: got %v, want ErrQuarantined", err)
	}
	waitFor(t, 10*time.Second, "the end of the quarantine", func() bool {
		_, _, err := p.Request(ctx, NewExchange(newRequest(), nil))
		return err == nil
	})
	if _, _, err := p.Request(ctx, NewExchange(failRequest(), nil)); errors.Is(err, ErrQuarantined) || err == nil {
		t.Fatalf("failure after recovery: got %v, want a trap", err)
	}
	if _, _, err := p.Request(ctx, NewExchange(newRequest(), nil)); err != nil {
		t.Errorf("request after one failure: got %v, want success (the success reset the count)", err)
	}
}

func TestPoolRecyclesGrownInstance(t *testing.T) {
	h := newTestHost(t, Config{MaxInstances: 1, RecyclePages: 2})
	m := &wasmtest.Module{}
	m.Func("handle_request", nil, wasmtest.I64, nil,
		wasmtest.I32Const(2), wasmtest.MemoryGrow, wasmtest.Drop, wasmtest.I64Const(0))
	m.Func("handle_response", wasmtest.I32I32, nil, nil)
	m.Memory(1, nil)
	p := newTestPool(t, h, m.Bytes(), nil)
	before := idleInstance(t, p)
	if _, _, err := p.Request(context.Background(), NewExchange(newRequest(), nil)); err != nil {
		t.Fatalf("Request: %v", err)
	}
	if !before.mod.IsClosed() {
		t.Error("grown instance: got open, want closed")
	}
	waitFor(t, 5*time.Second, "a replacement instance", func() bool { return len(p.idle) == 1 })
	after := idleInstance(t, p)
	if after == before || after.mem.Size()/65536 != 1 {
		t.Errorf("replacement: got same %v with %d pages, want a new 1-page instance", after == before,
			after.mem.Size()/65536)
	}
}

func TestPoolSharedAndRefcounted(t *testing.T) {
	h := newTestHost(t, Config{})
	ctx := context.Background()
	m, err := h.Compile(ctx, holdingGuest(t, h))
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	a, err := h.Pool(ctx, m, "a", []byte("one"))
	if err != nil {
		t.Fatalf("Pool: %v", err)
	}
	b, _ := h.Pool(ctx, m, "b", []byte("one"))
	c, _ := h.Pool(ctx, m, "c", []byte("two"))
	defer c.Release()
	if a != b || a == c {
		t.Fatalf("pools: got a==b %v a==c %v, want shared for equal config only", a == b, a == c)
	}
	_, pd, err := a.Request(ctx, NewExchange(newRequest(), nil))
	if err != nil || pd == nil {
		t.Fatalf("Request: got %v, %v, want a held instance", pd, err)
	}
	a.Release()
	_, pd2, err := b.Request(ctx, NewExchange(newRequest(), nil))
	if err != nil || pd2 == nil {
		t.Fatalf("request after one Release: got %v, %v, want a held instance", pd2, err)
	}
	pd2.Release()
	idle := idleInstance(t, b)
	b.Release()
	if _, _, err := b.Request(ctx, NewExchange(newRequest(), nil)); !errors.Is(err, ErrClosed) {
		t.Errorf("request after last Release: got %v, want ErrClosed", err)
	}
	if !idle.mod.IsClosed() {
		t.Error("idle instance after last Release: got open, want closed")
	}
	held := pd.inst
	if err := pd.Response(ctx, NewExchange(newRequest(), nil), false); err != nil {
		t.Fatalf("Response after close: %v", err)
	}
	if !held.mod.IsClosed() {
		t.Error("instance returned after close: got open, want closed")
	}
	if got := a.live.Load(); got != 0 {
		t.Errorf("live instances after close: got %d, want 0", got)
	}
	d, err := h.Pool(ctx, m, "d", []byte("one"))
	if err != nil {
		t.Fatalf("Pool after close: %v", err)
	}
	defer d.Release()
	if d == a {
		t.Error("Pool after close: got the closed pool, want a new one")
	}
}

func TestPoolConcurrent(t *testing.T) {
	const maxInstances = 3
	h := newTestHost(t, Config{MaxInstances: maxInstances, AcquireTimeout: 10 * time.Second, QuarantineAfter: 1 << 20})
	wasm := failingGuest(t, h)
	m, err := h.Compile(context.Background(), wasm)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	p := newTestPool(t, h, wasm, nil)
	var wg sync.WaitGroup
	var ok, failed, peak atomic.Int32
	for g := range 16 {
		wg.Go(func() {
			for i := range 40 {
				r := newRequest()
				if (g+i)%13 == 0 {
					r = failRequest()
				}
				if _, _, err := p.Request(context.Background(), NewExchange(r, nil)); err == nil {
					ok.Add(1)
				} else if errors.Is(err, errTrap) || errors.Is(err, ErrBusy) || errors.Is(err, ErrQuarantined) {
					t.Errorf("request: got %v, want success or a guest trap", err)
				} else {
					failed.Add(1)
				}
				if n := p.live.Load(); n > peak.Load() {
					peak.Store(n)
				}
			}
		})
	}
	for range 4 { // pools of the same key taken and released concurrently
		wg.Go(func() {
			for range 10 {
				q, err := h.Pool(context.Background(), m, "other", nil)
				if err != nil {
					t.Errorf("Pool: %v", err)
					return
				}
				q.Release()
			}
		})
	}
	wg.Wait()
	if ok.Load() == 0 || failed.Load() == 0 {
		t.Errorf("outcomes: got %d ok, %d failed, want both", ok.Load(), failed.Load())
	}
	if peak.Load() > maxInstances {
		t.Errorf("peak live instances: got %d, want at most %d", peak.Load(), maxInstances)
	}
}
