package plugins

import (
	"encoding/binary"
	"strings"

	"github.com/tetratelabs/wazero/api"
)

// wasmModule assembles small WebAssembly 1.0 binaries for tests: the fault cases (loops, traps, bad pointers,
// memory growth) need guests that do exactly one odd thing.
type wasmModule struct {
	types   []string // params + "->" + results, as value-type bytes
	imports []wasmImport
	funcs   []wasmFunc
	memMin  uint32
	memMax  *uint32
	data    []wasmData
}

type wasmImport struct {
	module, name string
	typ          uint32
}

type wasmFunc struct {
	export string
	typ    uint32
	locals []api.ValueType
	body   []byte
}

type wasmData struct {
	offset uint32
	bytes  []byte
}

func (m *wasmModule) typeIndex(params, results []api.ValueType) uint32 {
	key := string(params) + "->" + string(results)
	for i, t := range m.types {
		if t == key {
			return uint32(i)
		}
	}
	m.types = append(m.types, key)
	return uint32(len(m.types) - 1)
}

// importFunc adds a function import and returns its function index. Imports must be added before functions.
func (m *wasmModule) importFunc(module, name string, params, results []api.ValueType) uint32 {
	if len(m.funcs) > 0 {
		panic("imports must come before functions")
	}
	m.imports = append(m.imports, wasmImport{module, name, m.typeIndex(params, results)})
	return uint32(len(m.imports) - 1)
}

// function adds a function (exported when export is not empty) and returns its function index. body excludes the
// final end opcode.
func (m *wasmModule) function(export string, params, results, locals []api.ValueType, body ...[]byte) uint32 {
	m.funcs = append(m.funcs, wasmFunc{export, m.typeIndex(params, results), locals, cat(body...)})
	return uint32(len(m.imports) + len(m.funcs) - 1)
}

func (m *wasmModule) memory(min uint32, max *uint32) { m.memMin, m.memMax = min, max }

func (m *wasmModule) dataAt(offset uint32, b []byte) { m.data = append(m.data, wasmData{offset, b}) }

// bytes encodes the module; memory is exported as "memory" when memMin or memMax is set.
func (m *wasmModule) bytes() []byte {
	out := []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}
	out = section(out, 1, m.typeSection())
	out = section(out, 2, m.importSection())
	out = section(out, 3, m.funcSection())
	if m.memMin > 0 || m.memMax != nil {
		out = section(out, 5, m.memorySection())
	}
	out = section(out, 7, m.exportSection())
	out = section(out, 10, m.codeSection())
	out = section(out, 11, m.dataSection())
	return out
}

func (m *wasmModule) typeSection() []byte {
	b := uleb(uint64(len(m.types)))
	for _, t := range m.types {
		params, results, _ := strings.Cut(t, "->")
		b = append(b, 0x60)
		b = append(append(b, uleb(uint64(len(params)))...), params...)
		b = append(append(b, uleb(uint64(len(results)))...), results...)
	}
	return b
}

func (m *wasmModule) importSection() []byte {
	b := uleb(uint64(len(m.imports)))
	for _, im := range m.imports {
		b = append(b, name(im.module)...)
		b = append(b, name(im.name)...)
		b = append(b, 0x00)
		b = append(b, uleb(uint64(im.typ))...)
	}
	return b
}

func (m *wasmModule) funcSection() []byte {
	b := uleb(uint64(len(m.funcs)))
	for _, f := range m.funcs {
		b = append(b, uleb(uint64(f.typ))...)
	}
	return b
}

func (m *wasmModule) memorySection() []byte {
	if m.memMax == nil {
		return cat([]byte{1, 0x00}, uleb(uint64(m.memMin)))
	}
	return cat([]byte{1, 0x01}, uleb(uint64(m.memMin)), uleb(uint64(*m.memMax)))
}

func (m *wasmModule) exportSection() []byte {
	var entries [][]byte
	for i, f := range m.funcs {
		if f.export != "" {
			entries = append(entries, cat(name(f.export), []byte{0x00}, uleb(uint64(len(m.imports)+i))))
		}
	}
	if m.memMin > 0 || m.memMax != nil {
		entries = append(entries, cat(name("memory"), []byte{0x02, 0x00}))
	}
	return cat(uleb(uint64(len(entries))), cat(entries...))
}

func (m *wasmModule) codeSection() []byte {
	b := uleb(uint64(len(m.funcs)))
	for _, f := range m.funcs {
		var body []byte
		body = append(body, uleb(uint64(len(f.locals)))...)
		for _, l := range f.locals {
			body = append(body, 1, l)
		}
		body = append(body, f.body...)
		body = append(body, 0x0b)
		b = append(b, uleb(uint64(len(body)))...)
		b = append(b, body...)
	}
	return b
}

func (m *wasmModule) dataSection() []byte {
	b := uleb(uint64(len(m.data)))
	for _, d := range m.data {
		b = append(b, 0x00)
		b = append(b, i32c(int32(d.offset))...)
		b = append(b, 0x0b)
		b = append(b, uleb(uint64(len(d.bytes)))...)
		b = append(b, d.bytes...)
	}
	return b
}

func section(out []byte, id byte, content []byte) []byte {
	out = append(out, id)
	out = append(out, uleb(uint64(len(content)))...)
	return append(out, content...)
}

func name(s string) []byte { return cat(uleb(uint64(len(s))), []byte(s)) }

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func uleb(v uint64) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

func sleb(v int64) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// Instructions.
var (
	opUnreachable = []byte{0x00}
	opDrop        = []byte{0x1a}
	opEnd         = []byte{0x0b}
	opI32Eq       = []byte{0x46}
	opI64ExtendS  = []byte{0xac}
	opMemoryGrow  = []byte{0x40, 0x00}
	opLoopForever = []byte{0x03, 0x40, 0x0c, 0x00, 0x0b} // loop br 0 end
)

func i32c(v int32) []byte           { return cat([]byte{0x41}, sleb(int64(v))) }
func i64c(v int64) []byte           { return cat([]byte{0x42}, sleb(v)) }
func callFn(idx uint32) []byte      { return cat([]byte{0x10}, uleb(uint64(idx))) }
func i32Store(offset uint32) []byte { return cat([]byte{0x36, 0x02}, uleb(uint64(offset))) }
func i64Store(offset uint32) []byte { return cat([]byte{0x37, 0x03}, uleb(uint64(offset))) }

// ifThen runs body when the i32 on the stack is non-zero.
func ifThen(body ...[]byte) []byte { return cat([]byte{0x04, 0x40}, cat(body...), opEnd) }

var (
	vI32 = []api.ValueType{api.ValueTypeI32}
	vI64 = []api.ValueType{api.ValueTypeI64}
)

// u64le decodes a little-endian uint64.
func u64le(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }
