package plugins

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"portico/plugins/abi"
	"portico/plugins/wasmtest"
)

// anyInstanceReqCtx is the req_ctx anyInstanceGuest's handle_request returns.
const anyInstanceReqCtx = 7

// anyInstanceGuest declares response_any_instance while it initialises. Its handle_request enables buffer_response
// for requests with an X-Buffer header only, and returns req_ctx 7; its handle_response sets the status to
// 200+req_ctx, which the host allows only when the request enabled buffer_response. With declare false it is the
// same guest without the declaration.
func anyInstanceGuest(t testing.TB, h *Host, declare bool) []byte {
	t.Helper()
	m := &wasmtest.Module{}
	fn := func(module, name string) uint32 {
		def := h.imports[module][name]
		return m.Import(module, name, def.ParamTypes(), def.ResultTypes())
	}
	anyInstance := fn(abi.ModulePortico, abi.FuncResponseAnyInstance)
	values := fn(abi.ModuleHTTPHandler, abi.FuncGetHeaderValues)
	enable := fn(abi.ModuleHTTPHandler, abi.FuncEnableFeatures)
	status := fn(abi.ModuleHTTPHandler, abi.FuncSetStatusCode)
	var init []byte
	if declare {
		init = wasmtest.Call(anyInstance)
	}
	m.Func(abi.ExportInitialize, nil, nil, nil, init)
	ptr, n := strAddr("x-buffer")
	m.Func(abi.ExportHandleRequest, nil, wasmtest.I64, nil,
		wasmtest.I32Const(int32(abi.HeaderRequest)), wasmtest.I32Const(int32(ptr)), wasmtest.I32Const(int32(n)),
		wasmtest.I32Const(0), wasmtest.I32Const(0), wasmtest.Call(values),
		wasmtest.I64Eqz, wasmtest.I32Eqz,
		wasmtest.IfThen(wasmtest.I32Const(int32(abi.FeatureBufferResponse)), wasmtest.Call(enable), wasmtest.Drop),
		wasmtest.I64Const(anyInstanceReqCtx<<32|1))
	m.Func(abi.ExportHandleResponse, wasmtest.I32I32, nil, nil,
		wasmtest.LocalGet(0), wasmtest.I32Const(200), wasmtest.I32Add, wasmtest.Call(status))
	m.Memory(1, nil)
	addStrings(m)
	return m.Bytes()
}

// exchange returns an exchange of a GET request, with an X-Buffer header when buffer is set, and an upstream response.
func anyInstanceExchange(buffer bool) *Exchange {
	r := newRequest()
	if buffer {
		r.Header.Set("X-Buffer", "1")
	}
	x := NewExchange(r, nil)
	x.SetUpstreamResponse(&http.Response{StatusCode: 200, Header: http.Header{}})
	return x
}

// TestResponseAnyInstance: a guest that declares response_any_instance gives its instance back when handle_request
// returns, so one instance serves many requests waiting upstream; each response runs with its own request's req_ctx
// and features, not those of the instance's last request.
func TestResponseAnyInstance(t *testing.T) {
	ctx := context.Background()
	h := newTestHost(t, Config{MaxInstances: 1})
	p := newTestPool(t, h, anyInstanceGuest(t, h, true), nil)

	buffered, plain := anyInstanceExchange(true), anyInstanceExchange(false)
	pds := make([]*Pending, 2)
	for i, x := range []*Exchange{buffered, plain} {
		next, pd, err := p.Request(ctx, x)
		if err != nil || !next || pd == nil {
			t.Fatalf("request %d on a pool of one instance: next %v, pending %v, err %v; want both in flight", i, next, pd, err)
		}
		pds[i] = pd
	}
	if err := pds[0].Response(ctx, buffered, false); err != nil {
		t.Fatalf("response of the request that enabled buffer_response: %v", err)
	}
	if got := buffered.upstream.StatusCode; got != 200+anyInstanceReqCtx {
		t.Errorf("status set by handle_response: got %d, want %d (200 + req_ctx)", got, 200+anyInstanceReqCtx)
	}
	// The other request did not enable buffer_response: its handle_response may not change the status, even though
	// the instance that runs it last served a request that did.
	next, pd, err := p.Request(ctx, anyInstanceExchange(true))
	if err != nil || !next {
		t.Fatalf("third request: %v", err)
	}
	if err := pds[1].Response(ctx, plain, false); err == nil {
		t.Errorf("response of a request without buffer_response set the status: want a trap")
	}
	pd.Release()
	if err := pds[0].Response(ctx, buffered, false); err == nil {
		t.Error("a second Response of one request: want an error")
	}
}

// TestResponseHeldWithoutDeclaration: without the declaration the instance stays with its request until the
// response, so a pool of one instance has one request in flight.
func TestResponseHeldWithoutDeclaration(t *testing.T) {
	ctx := context.Background()
	h := newTestHost(t, Config{MaxInstances: 1, AcquireTimeout: 50 * time.Millisecond})
	p := newTestPool(t, h, anyInstanceGuest(t, h, false), nil)
	_, pd, err := p.Request(ctx, anyInstanceExchange(true))
	if err != nil || pd == nil {
		t.Fatalf("first request: pending %v, err %v", pd, err)
	}
	if _, _, err := p.Request(ctx, anyInstanceExchange(true)); !errors.Is(err, ErrBusy) {
		t.Fatalf("second request while the first holds the only instance: got %v, want ErrBusy", err)
	}
	x := anyInstanceExchange(true)
	if err := pd.Response(ctx, x, false); err != nil {
		t.Fatal(err)
	}
}

// TestOwedResponseOutlivesPool: a response owed to a request that holds no instance still runs after the pool was
// released (a deploy swapped it out meanwhile); the module is freed after the last owed response, and after an owed
// response that is released instead.
func TestOwedResponseOutlivesPool(t *testing.T) {
	for _, release := range []bool{false, true} {
		ctx := context.Background()
		h := newTestHost(t, Config{MaxInstances: 2})
		m, err := h.Compile(ctx, anyInstanceGuest(t, h, true))
		if err != nil {
			t.Fatal(err)
		}
		p, err := h.Pool(ctx, m, "owed", nil)
		if err != nil {
			t.Fatal(err)
		}
		h.ReleaseModule(ctx, m)
		x := anyInstanceExchange(true)
		_, pd, err := p.Request(ctx, x)
		if err != nil || pd == nil {
			t.Fatalf("request: pending %v, err %v", pd, err)
		}
		p.Release()
		if got := h.Modules(); got != 1 {
			t.Fatalf("pool released with a response owed: got %d compiled modules, want 1", got)
		}
		if release {
			pd.Release()
		} else if err := pd.Response(ctx, x, false); err != nil || x.upstream.StatusCode != 200+anyInstanceReqCtx {
			t.Fatalf("owed response after the pool was released: status %d, err %v", x.upstream.StatusCode, err)
		}
		if got := h.Modules(); got != 0 {
			t.Errorf("release %v: after the owed response, got %d compiled modules, want 0", release, got)
		}
	}
}

// TestResponseAnyInstanceOnlyAtInit: the declaration made while handling a request traps.
func TestResponseAnyInstanceOnlyAtInit(t *testing.T) {
	h := newTestHost(t, Config{})
	p := newTestPool(t, h, buildGuest(t, h, guestSpec{
		request: []hcall{call(abi.ModulePortico + "." + abi.FuncResponseAnyInstance)}, next: 1,
	}), nil)
	if _, _, err := p.Request(context.Background(), NewExchange(newRequest(), nil)); err == nil {
		t.Fatal("response_any_instance during handle_request: want a trap")
	}
}
