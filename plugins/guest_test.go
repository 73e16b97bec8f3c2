package plugins

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetratelabs/wazero/api"

	"portico/plugins/wasmtest"
)

// Memory layout of the assembled test guests: the results of the calls made in _initialize, handle_request and
// handle_response are stored 8 bytes apart from resInit, resReq and resResp; constant strings live from dataBase on;
// host functions write their output at outBuf.
const (
	resInit  = 0
	resReq   = 256
	resResp  = 512
	dataBase = 1024
	outBuf   = 4096
	memSize  = 8192
)

// hcall is one call an assembled guest makes to a host function, with constant arguments.
type hcall struct {
	fn   string // "module.function"
	args []int64
}

// sref is a constant string placed in every assembled guest's data; as a call argument it becomes (ptr, len).
type sref string

// call builds an hcall; args are ints or srefs.
func call(fn string, args ...any) hcall {
	var a []int64
	for _, v := range args {
		switch v := v.(type) {
		case int:
			a = append(a, int64(v))
		case int64:
			a = append(a, v)
		case uint32:
			a = append(a, int64(v))
		case sref:
			ptr, n := strAddr(string(v))
			a = append(a, ptr, n)
		default:
			panic(fmt.Sprintf("unsupported argument %T", v))
		}
	}
	return hcall{fn, a}
}

var (
	strMu    sync.Mutex
	strTable = map[string]uint32{} // string -> offset from dataBase
	strNext  uint32
)

func strAddr(s string) (int64, int64) {
	strMu.Lock()
	defer strMu.Unlock()
	off, ok := strTable[s]
	if !ok {
		off = strNext
		strTable[s] = off
		strNext += uint32(len(s))
		if dataBase+strNext > outBuf {
			panic("test strings overflow the data area")
		}
	}
	return int64(dataBase + off), int64(len(s))
}

// addStrings places the test strings in m's data.
func addStrings(m *wasmtest.Module) {
	strMu.Lock()
	defer strMu.Unlock()
	for s, off := range strTable {
		if s != "" {
			m.Data(dataBase+off, []byte(s))
		}
	}
}

// wasmData is a data segment of an assembled guest.
type wasmData struct {
	offset uint32
	bytes  []byte
}

// guestSpec describes an assembled guest.
type guestSpec struct {
	init, request, response []hcall
	next                    int64 // handle_request's result
	data                    []wasmData
	pages                   uint32 // initial memory pages; 0 = 1
	requestBody             []byte // replaces the generated handle_request body when set
}

// buildGuest assembles a guest that imports the host functions it calls, with their real signatures.
func buildGuest(t testing.TB, h *Host, g guestSpec) []byte {
	t.Helper()
	m := &wasmtest.Module{}
	idx := map[string]uint32{}
	defs := map[string]api.FunctionDefinition{}
	for _, c := range append(append(append([]hcall(nil), g.init...), g.request...), g.response...) {
		if _, ok := idx[c.fn]; ok {
			continue
		}
		module, fn, _ := strings.Cut(c.fn, ".")
		def, ok := h.imports[module][fn]
		if !ok {
			t.Fatalf("no host function %s", c.fn)
		}
		defs[c.fn] = def
		idx[c.fn] = m.Import(module, fn, def.ParamTypes(), def.ResultTypes())
	}
	body := func(calls []hcall, base uint32) []byte {
		var b []byte
		for i, c := range calls {
			b = append(b, callBody(defs[c.fn], idx[c.fn], c.args, base+uint32(8*i))...)
		}
		return b
	}
	m.Func("_initialize", nil, nil, nil, body(g.init, resInit))
	reqBody := [][]byte{body(g.request, resReq), wasmtest.I64Const(g.next)}
	if g.requestBody != nil {
		reqBody = [][]byte{g.requestBody}
	}
	m.Func("handle_request", nil, wasmtest.I64, nil, reqBody...)
	m.Func("handle_response", wasmtest.I32I32, nil, nil, body(g.response, resResp))
	m.Memory(max(g.pages, 1), nil)
	addStrings(m)
	for _, d := range g.data {
		m.Data(d.offset, d.bytes)
	}
	return m.Bytes()
}

// callBody pushes the arguments, calls the function and stores its result, if any, at addr.
func callBody(def api.FunctionDefinition, idx uint32, args []int64, addr uint32) []byte {
	results := def.ResultTypes()
	var b []byte
	if len(results) == 1 {
		b = append(b, wasmtest.I32Const(int32(addr))...)
	}
	for j, a := range args {
		if def.ParamTypes()[j] == api.ValueTypeI64 {
			b = append(b, wasmtest.I64Const(a)...)
		} else {
			b = append(b, wasmtest.I32Const(int32(uint32(a)))...)
		}
	}
	b = append(b, wasmtest.Call(idx)...)
	switch {
	case len(results) == 0:
	case results[0] == api.ValueTypeI64:
		b = append(b, wasmtest.I64Store(0)...)
	default:
		b = append(b, wasmtest.I32Store(0)...)
	}
	return b
}

func newTestHost(t testing.TB, cfg Config) *Host {
	t.Helper()
	if cfg.CacheDir == "" {
		cfg.CacheDir = cacheDir
	}
	h, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := h.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return h
}

func newTestPool(t testing.TB, h *Host, wasm, config []byte) *Pool {
	t.Helper()
	m, err := h.Compile(context.Background(), wasm)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	p, err := h.Pool(context.Background(), m, t.Name(), config)
	if err != nil {
		t.Fatalf("Pool: %v", err)
	}
	t.Cleanup(p.Release)
	return p
}

// peek copies guest memory of the pool's only idle instance.
func peek(t testing.TB, p *Pool, off, n uint32) []byte {
	t.Helper()
	select {
	case inst := <-p.idle:
		defer func() { p.idle <- inst }()
		b, ok := inst.mem.Read(off, n)
		if !ok {
			t.Fatalf("reading guest memory [%d,+%d) failed", off, n)
		}
		return append([]byte(nil), b...)
	case <-time.After(5 * time.Second):
		t.Fatal("no idle instance to inspect")
		return nil
	}
}

// idleInstance returns (without taking it) an idle instance of the pool.
func idleInstance(t testing.TB, p *Pool) *instance {
	t.Helper()
	select {
	case inst := <-p.idle:
		p.idle <- inst
		return inst
	case <-time.After(5 * time.Second):
		t.Fatal("no idle instance")
		return nil
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
