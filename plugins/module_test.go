package plugins

import (
	"context"
	"testing"
)

// TestModuleFreedAfterLastReference: a compiled module lives while a Compile caller or a pool holds it, including
// an instance still held by a request after its pool was released; after the last reference the host forgets it
// and the same bytes compile anew.
func TestModuleFreedAfterLastReference(t *testing.T) {
	ctx := context.Background()
	h := newTestHost(t, Config{MaxInstances: 2})
	wasm := holdingGuest(t, h)
	step := func(what string, want int) {
		t.Helper()
		if got := h.Modules(); got != want {
			t.Fatalf("%s: got %d compiled modules, want %d", what, got, want)
		}
	}

	m, err := h.Compile(ctx, wasm)
	if err != nil {
		t.Fatal(err)
	}
	again, err := h.Compile(ctx, wasm)
	if err != nil || again != m {
		t.Fatalf("second Compile: got %p, %v, want the same module %p", again, err, m)
	}
	h.ReleaseModule(ctx, again)
	step("after one of two callers released it", 1)

	p, err := h.Pool(ctx, m, "held", nil)
	if err != nil {
		t.Fatal(err)
	}
	h.ReleaseModule(ctx, m)
	step("callers gone, pool open", 1)

	_, pending, err := p.Request(ctx, NewExchange(newRequest(), nil))
	if err != nil || pending == nil {
		t.Fatalf("request: got pending %v, error %v, want a held instance", pending, err)
	}
	p.Release()
	step("pool released, one instance still held by a request", 1)
	if err := pending.Response(ctx, NewExchange(newRequest(), nil), false); err != nil {
		t.Fatalf("response phase after the pool was released: %v", err)
	}
	step("last instance returned", 0)

	fresh, err := h.Compile(ctx, wasm)
	if err != nil {
		t.Fatal(err)
	}
	if fresh == m {
		t.Fatal("Compile after the module was freed returned the freed module")
	}
	q, err := h.Pool(ctx, fresh, "fresh", nil)
	if err != nil {
		t.Fatal(err)
	}
	next, pd, err := q.Request(ctx, NewExchange(newRequest(), nil))
	if err != nil || !next {
		t.Fatalf("request on the recompiled module: next %v, error %v", next, err)
	}
	pd.Release()
	q.Release()
	h.ReleaseModule(ctx, fresh)
	step("everything released", 0)
}

// TestModuleFailedCompileHoldsNothing: a module that fails validation leaves no reference behind, and a Release
// of nil is harmless.
func TestModuleFailedCompileHoldsNothing(t *testing.T) {
	ctx := context.Background()
	h := newTestHost(t, Config{})
	if _, err := h.Compile(ctx, []byte("\x00asm\x01\x00\x00\x00")); err == nil {
		t.Fatal("an empty module compiled: want an error (no memory, no handle_request)")
	}
	h.ReleaseModule(ctx, nil)
	if got := h.Modules(); got != 0 {
		t.Fatalf("got %d compiled modules, want 0", got)
	}
}
