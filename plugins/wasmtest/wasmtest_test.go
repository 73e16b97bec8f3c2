package wasmtest

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

func TestEncodings(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want []byte
	}{
		{"uleb 0", uleb(0), []byte{0x00}},
		{"uleb 127", uleb(127), []byte{0x7f}},
		{"uleb 128", uleb(128), []byte{0x80, 0x01}},
		{"uleb 624485", uleb(624485), []byte{0xe5, 0x8e, 0x26}},
		{"uleb max", uleb(math.MaxUint64), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
		{"sleb 0", sleb(0), []byte{0x00}},
		{"sleb 63", sleb(63), []byte{0x3f}},
		{"sleb 64", sleb(64), []byte{0xc0, 0x00}},
		{"sleb -1", sleb(-1), []byte{0x7f}},
		{"sleb -64", sleb(-64), []byte{0x40}},
		{"sleb -65", sleb(-65), []byte{0xbf, 0x7f}},
		{"sleb -123456", sleb(-123456), []byte{0xc0, 0xbb, 0x78}},
		{"sleb max", sleb(math.MaxInt64), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00}},
		{"sleb min", sleb(math.MinInt64), []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f}},
		{"i32.const -1", I32Const(-1), []byte{0x41, 0x7f}},
		{"i64.const 128", I64Const(128), []byte{0x42, 0x80, 0x01}},
		{"call 300", Call(300), []byte{0x10, 0xac, 0x02}},
		{"i64.store offset 8", I64Store(8), []byte{0x37, 0x03, 0x08}},
		{"empty module", (&Module{}).Bytes(), []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
			1, 1, 0, 2, 1, 0, 3, 1, 0, 7, 1, 0, 10, 1, 0, 11, 1, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !bytes.Equal(tt.got, tt.want) {
				t.Errorf("got % x, want % x", tt.got, tt.want)
			}
		})
	}
}

func TestModulesCompile(t *testing.T) {
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	t.Cleanup(func() { _ = r.Close(ctx) })
	tests := []struct {
		name  string
		build func(m *Module)
		valid bool
	}{
		{"empty", func(m *Module) {}, true},
		{"imports and calls", func(m *Module) {
			get := m.Import("http_handler", "get_method", I32I32, I32)
			skip := m.Import("portico_v1", "skip_response", nil, nil)
			m.Func("handle_request", nil, I64, nil,
				I32Const(0), I32Const(64), Call(get), Drop, Call(skip), I64Const(1))
			m.Func("handle_response", I32I32, nil, nil)
			m.Memory(1, nil)
		}, true},
		{"locals, stores and branches", func(m *Module) {
			m.Func("f", I32, nil, []api.ValueType{api.ValueTypeI64, api.ValueTypeI32},
				I32Const(8), I64Const(-1<<40), I64Store(0), I32Const(16), I32Const(7), I32Store(4),
				I32Const(2), MemoryGrow, I32Const(-1), I32Eq, IfThen(Unreachable),
				I64Const(0), I64Eqz, I32Eqz, IfThen(LoopForever),
				I32Const(1), I32Const(1), I32DivS, Drop)
			m.Memory(1, nil)
		}, true},
		{"bounded memory with data", func(m *Module) {
			maxPages := uint32(65536)
			m.Memory(2, &maxPages)
			m.Data(0, []byte("hello"))
			m.Data(70000, []byte{1, 2, 3})
			m.Data(100, nil)
		}, true},
		{"body leaves the wrong type", func(m *Module) { m.Func("f", nil, I64, nil, I32Const(1)) }, false},
		{"store without memory", func(m *Module) { m.Func("f", nil, nil, nil, I32Const(0), I32Const(0), I32Store(0)) },
			false},
		{"call past the last function", func(m *Module) { m.Func("f", nil, nil, nil, Call(1)) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &Module{}
			tt.build(m)
			cm, err := r.CompileModule(ctx, m.Bytes())
			if got := err == nil; got != tt.valid {
				t.Fatalf("CompileModule: got error %v, want valid %v", err, tt.valid)
			}
			if cm != nil {
				_ = cm.Close(ctx)
			}
		})
	}
}

// TestModuleRuns checks that what a module says is what it does: exports, data placement, constants, stores and
// calls between functions.
func TestModuleRuns(t *testing.T) {
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	t.Cleanup(func() { _ = r.Close(ctx) })
	m := &Module{}
	constant := m.Func("", nil, I64, nil, I64Const(-1<<40))
	m.Func("run", nil, I64, nil, I32Const(16), Call(constant), I64Store(8), Call(constant))
	m.Memory(1, nil)
	m.Data(4, []byte("abc"))
	inst, err := r.Instantiate(ctx, m.Bytes())
	if err != nil {
		t.Fatalf("Instantiate: %v", err)
	}
	res, err := inst.ExportedFunction("run").Call(ctx)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if got, want := int64(res[0]), int64(-1<<40); got != want {
		t.Errorf("run result: got %d, want %d", got, want)
	}
	mem, ok := inst.Memory().Read(0, 32)
	if !ok {
		t.Fatal("reading memory [0,32) failed")
	}
	if got, want := string(mem[4:7]), "abc"; got != want {
		t.Errorf("data at 4: got %q, want %q", got, want)
	}
	if got, want := int64(binary.LittleEndian.Uint64(mem[24:])), int64(-1<<40); got != want {
		t.Errorf("stored at 16+8: got %d, want %d", got, want)
	}
	if inst.ExportedFunction("") != nil || len(inst.ExportedFunctionDefinitions()) != 1 {
		t.Errorf("exports: got %d functions, want only run", len(inst.ExportedFunctionDefinitions()))
	}
}

func TestImportAfterFuncPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Import after Func: got no panic, want one")
		}
	}()
	m := &Module{}
	m.Func("f", nil, nil, nil)
	m.Import("env", "g", nil, nil)
}
