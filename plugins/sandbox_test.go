package plugins

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/tetratelabs/wazero/sys"

	"portico/plugins/wasmtest"
)

// loopGuest spins forever in handle_request when the request has an X-Loop header and otherwise responds at once.
func loopGuest(h *Host) []byte {
	m := &wasmtest.Module{}
	values := m.Import("http_handler", "get_header_values",
		h.imports["http_handler"]["get_header_values"].ParamTypes(), wasmtest.I64)
	ptr, n := strAddr("x-loop")
	m.Func("handle_request", nil, wasmtest.I64, nil,
		wasmtest.I32Const(0), wasmtest.I32Const(int32(ptr)), wasmtest.I32Const(int32(n)),
		wasmtest.I32Const(0), wasmtest.I32Const(0), wasmtest.Call(values),
		wasmtest.I64Eqz, wasmtest.I32Eqz, wasmtest.IfThen(wasmtest.LoopForever), wasmtest.I64Const(0))
	m.Func("handle_response", wasmtest.I32I32, nil, nil)
	m.Memory(1, nil)
	addStrings(m)
	return m.Bytes()
}

func TestLoopingGuestHitsDeadline(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("a spinning guest holds its OS thread: other calls need a second P to run meanwhile")
	}
	// The 5 requests and the GC below must finish while the guest spins: the timeout leaves them seconds on a loaded
	// machine.
	const callTimeout = 3 * time.Second
	h := newTestHost(t, Config{MaxInstances: 2, CallTimeout: callTimeout})
	p := newTestPool(t, h, loopGuest(h), nil)
	ctx := context.Background()
	looping := idleInstance(t, p)

	loop := newRequest()
	loop.Header.Set("X-Loop", "1")
	start := time.Now()
	loopDone := make(chan error, 1)
	go func() {
		_, _, err := p.Request(ctx, NewExchange(loop, nil))
		loopDone <- err
	}()
	waitFor(t, 5*time.Second, "the loop to take the warm instance", func() bool { return len(p.idle) == 0 })

	// While the guest spins, the same pool serves other requests on its second instance, and GC completes.
	for i := range 5 {
		next, _, err := p.Request(ctx, NewExchange(newRequest(), nil))
		if err != nil || next {
			t.Fatalf("request %d during the loop: got next %v, error %v, want a guest response", i, next, err)
		}
	}
	runtime.GC()
	select {
	case err := <-loopDone:
		t.Fatalf("loop ended after %v (%v) before the other requests were served", time.Since(start), err)
	default:
	}

	// The deadline exit code says the call timeout ended the loop; the bound only keeps a loop that never ends from
	// hanging the test (10x the call timeout, not a speed target).
	var err error
	select {
	case err = <-loopDone:
	case <-time.After(time.Until(start.Add(10 * callTimeout))):
		t.Fatalf("looping call did not end within %v (10x the call timeout)", 10*callTimeout)
	}
	elapsed := time.Since(start)
	var exit *sys.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != sys.ExitCodeDeadlineExceeded {
		t.Errorf("loop error: got %v, want a deadline exit", err)
	}
	if elapsed < callTimeout {
		t.Errorf("loop ended after %v, want not before the call timeout %v", elapsed, callTimeout)
	}
	if !looping.mod.IsClosed() {
		t.Error("looping instance: got open, want closed")
	}
	if next, _, err := p.Request(ctx, NewExchange(newRequest(), nil)); err != nil || next {
		t.Errorf("request after the loop: got next %v, error %v, want a guest response", next, err)
	}
}

// growGuest grows its memory by pages in handle_request and traps when memory.grow returns -1.
func growGuest(min uint32, max *uint32, pages int32) []byte {
	m := &wasmtest.Module{}
	m.Func("handle_request", nil, wasmtest.I64, nil,
		wasmtest.I32Const(pages), wasmtest.MemoryGrow, wasmtest.I32Const(-1), wasmtest.I32Eq,
		wasmtest.IfThen(wasmtest.Unreachable), wasmtest.I64Const(0))
	m.Func("handle_response", wasmtest.I32I32, nil, nil)
	m.Memory(min, max)
	return m.Bytes()
}

func TestMemoryLimit(t *testing.T) {
	h := newTestHost(t, Config{MemoryLimitPages: 4})
	huge := uint32(65536)
	tests := []struct {
		name       string
		wasm       []byte
		compileErr bool
		callErr    bool
	}{
		{"grow within the limit", growGuest(1, nil, 2), false, false},
		{"grow up to the limit", growGuest(1, nil, 3), false, false},
		{"grow past the limit returns -1", growGuest(1, nil, 4), false, true},
		{"declared max above the limit is capped", growGuest(1, &huge, 4), false, true},
		{"minimum above the limit", growGuest(5, nil, 0), true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := h.Compile(context.Background(), tt.wasm)
			if tt.compileErr {
				if !errors.Is(err, ErrInvalidModule) {
					t.Fatalf("Compile: got %v, want ErrInvalidModule", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			p, err := h.Pool(context.Background(), m, tt.name, nil)
			if err != nil {
				t.Fatalf("Pool: %v", err)
			}
			defer p.Release()
			_, _, err = p.Request(context.Background(), NewExchange(newRequest(), nil))
			if got := err != nil; got != tt.callErr {
				t.Errorf("call error: got %v, want error %v", err, tt.callErr)
			}
		})
	}
}

func TestGuestTrapsAreContained(t *testing.T) {
	h := newTestHost(t, Config{})
	trapGuest := func(body ...[]byte) *wasmtest.Module {
		m := &wasmtest.Module{}
		m.Func("handle_request", nil, wasmtest.I64, nil, append(body, wasmtest.I64Const(0))...)
		m.Func("handle_response", wasmtest.I32I32, nil, nil)
		m.Memory(1, nil)
		return m
	}
	recursive := trapGuest(wasmtest.Call(0), wasmtest.Drop)
	divide := trapGuest(wasmtest.I32Const(1), wasmtest.I32Const(0), wasmtest.I32DivS, wasmtest.Drop)
	unreachable := trapGuest(wasmtest.Unreachable)
	healthy := newTestPool(t, h, buildGuest(t, h, guestSpec{next: 0}), nil)
	tests := []struct {
		name string
		m    *wasmtest.Module
	}{
		{"unreachable", unreachable},
		{"stack exhaustion", recursive},
		{"divide by zero", divide},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newTestPool(t, h, tt.m.Bytes(), nil)
			if _, _, err := p.Request(context.Background(), NewExchange(newRequest(), nil)); err == nil {
				t.Fatal("Request: got no error, want a trap")
			}
			if _, _, err := healthy.Request(context.Background(), NewExchange(newRequest(), nil)); err != nil {
				t.Errorf("other pool after the trap: got %v, want success", err)
			}
		})
	}
}

func TestCallHonoursRequestContext(t *testing.T) {
	// The exit code tells the request's context (a cancel exit) from the call timeout (a deadline exit). The call
	// timeout is far above the bound below, which only keeps a call that ignores its request from hanging the test
	// (50x the request's 200 ms).
	h := newTestHost(t, Config{CallTimeout: time.Minute})
	p := newTestPool(t, h, loopGuest(h), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	r := newRequest()
	r.Header.Set("X-Loop", "1")
	done := make(chan error, 1)
	go func() {
		_, _, err := p.Request(ctx, NewExchange(r, nil))
		done <- err
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("cancelled loop: still running 10s after its request's context ended at 200ms")
	}
	var exit *sys.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != sys.ExitCodeContextCanceled {
		t.Errorf("cancelled loop: got %v, want a context-cancelled exit", err)
	}
}
