package plugins

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tetratelabs/wazero/api"

	"portico/plugins/wasmtest"
)

// exportsGuest builds a module with the given memory and export set, for validation tests.
func exportsGuest(memory, request, response bool, reqResults []api.ValueType) *wasmtest.Module {
	m := &wasmtest.Module{}
	if request {
		m.Func("handle_request", nil, reqResults, nil, wasmtest.I64Const(1))
	}
	if response {
		m.Func("handle_response", wasmtest.I32I32, nil, nil)
	}
	if memory {
		m.Memory(1, nil)
	}
	return m
}

func TestCompileValidation(t *testing.T) {
	h := newTestHost(t, Config{MemoryLimitPages: 16})
	withImport := func(module, name string, params, results []api.ValueType) []byte {
		m := &wasmtest.Module{}
		m.Import(module, name, params, results)
		m.Func("handle_request", nil, wasmtest.I64, nil, wasmtest.I64Const(1))
		m.Func("handle_response", wasmtest.I32I32, nil, nil)
		m.Memory(1, nil)
		return m.Bytes()
	}
	bigMin := exportsGuest(true, true, true, wasmtest.I64)
	bigMin.Memory(17, nil)
	tests := []struct {
		name  string
		wasm  []byte
		valid bool
	}{
		{"minimal guest", exportsGuest(true, true, true, wasmtest.I64).Bytes(), true},
		{"host imports", withImport("http_handler", "get_method", wasmtest.I32I32, wasmtest.I32), true},
		{"wasi import", withImport("wasi_snapshot_preview1", "random_get", wasmtest.I32I32, wasmtest.I32), true},
		{"no memory", exportsGuest(false, true, true, wasmtest.I64).Bytes(), false},
		{"no handle_request", exportsGuest(true, false, true, wasmtest.I64).Bytes(), false},
		{"no handle_response", exportsGuest(true, true, false, wasmtest.I64).Bytes(), false},
		{"handle_request returns i32", exportsGuest(true, true, true, wasmtest.I32).Bytes(), false},
		{"import from env", withImport("env", "abort", nil, nil), false},
		{"unknown host function", withImport("http_handler", "open_socket", nil, nil), false},
		{"wrong import signature", withImport("http_handler", "get_method", wasmtest.I32, wasmtest.I32), false},
		{"min memory over limit", bigMin.Bytes(), false},
		{"not wasm", []byte("\x00asm garbage"), false},
		{"over size cap", make([]byte, MaxModuleSize+1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := h.Compile(context.Background(), tt.wasm)
			switch {
			case tt.valid && err != nil:
				t.Fatalf("got error %v, want a module", err)
			case !tt.valid && !errors.Is(err, ErrInvalidModule):
				t.Fatalf("got error %v, want ErrInvalidModule", err)
			case tt.valid:
				sum := sha256.Sum256(tt.wasm)
				if got, want := m.Digest(), hex.EncodeToString(sum[:]); got != want {
					t.Errorf("digest: got %s, want %s", got, want)
				}
			}
		})
	}
}

func TestCompileDeduplicates(t *testing.T) {
	h := newTestHost(t, Config{})
	wasm := exportsGuest(true, true, true, wasmtest.I64).Bytes()
	const n = 8
	mods := make([]*Module, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			m, err := h.Compile(context.Background(), wasm)
			if err != nil {
				t.Errorf("Compile: %v", err)
			}
			mods[i] = m
		})
	}
	wg.Wait()
	for i, m := range mods {
		if m != mods[0] {
			t.Errorf("compile %d: got module %p, want the shared %p", i, m, mods[0])
		}
	}
}

func TestCompilationCacheDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "wasm-cache")
	h := newTestHost(t, Config{CacheDir: dir})
	if _, err := h.Compile(context.Background(), exportsGuest(true, true, true, wasmtest.I64).Bytes()); err != nil {
		t.Fatalf("Compile: %v", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatalf("stat cache dir: %v", err)
	}
	if got := fi.Mode().Perm(); got != 0o700 {
		t.Errorf("cache dir mode: got %o, want 700", got)
	}
	files := 0
	_ = filepath.WalkDir(dir, func(_ string, d os.DirEntry, _ error) error {
		if d != nil && !d.IsDir() {
			files++
		}
		return nil
	})
	if files == 0 {
		t.Errorf("cache dir files: got 0, want compiled code on disk")
	}
}

func TestPoolStartFailures(t *testing.T) {
	h := newTestHost(t, Config{})
	tests := []struct {
		name string
		g    guestSpec
	}{
		{"request function during init", guestSpec{init: []hcall{call(hh+"get_method", outBuf, 64)}}},
		{"bad pointer during init", guestSpec{init: []hcall{call(hh+"get_config", badPtr, badLen)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := h.Compile(context.Background(), buildGuest(t, h, tt.g))
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			if p, err := h.Pool(context.Background(), m, tt.name, nil); err == nil {
				p.Release()
				t.Fatal("Pool: got a pool, want a start error")
			}
		})
	}
}

func TestHostClose(t *testing.T) {
	h, err := New(context.Background(), Config{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	wasm := buildGuest(t, h, guestSpec{next: 0})
	m, err := h.Compile(context.Background(), wasm)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	p, err := h.Pool(context.Background(), m, "p", nil)
	if err != nil {
		t.Fatalf("Pool: %v", err)
	}
	if err := h.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := h.Compile(context.Background(), wasm); !errors.Is(err, ErrClosed) {
		t.Errorf("Compile after Close: got %v, want ErrClosed", err)
	}
	if _, _, err := p.Request(context.Background(), NewExchange(newRequest(), nil)); !errors.Is(err, ErrClosed) {
		t.Errorf("Request after Close: got %v, want ErrClosed", err)
	}
	p.Release()
}
