// Package wasmtest assembles small WebAssembly 1.0 binaries for tests of the plugin host (package plugins) and of the
// gateway (package node/gateway). The fault cases there (loops, traps, bad pointers, memory growth, a policy that
// answers by itself) need guests that do exactly one odd thing and instantiate in microseconds.
//
// It sits beside the plugin host, outside the request and config flows: only tests import it.
package wasmtest

import (
	"strings"

	"github.com/tetratelabs/wazero/api"
)

// Module is a module under construction; the zero value is an empty module. Add imports first, then functions.
type Module struct {
	types   []string // params + "->" + results, as value-type bytes
	imports []funcImport
	funcs   []function
	memMin  uint32
	memMax  *uint32
	data    []segment
}

type funcImport struct {
	module, name string
	typ          uint32
}

type function struct {
	export string
	typ    uint32
	locals []api.ValueType
	body   []byte
}

type segment struct {
	offset uint32
	bytes  []byte
}

// Import adds a function import and returns its function index. It panics when a function was added before.
func (m *Module) Import(module, name string, params, results []api.ValueType) uint32 {
	if len(m.funcs) > 0 {
		panic("wasmtest: imports must come before functions")
	}
	m.imports = append(m.imports, funcImport{module, name, m.typeIndex(params, results)})
	return uint32(len(m.imports) - 1)
}

// Func adds a function, exported as export unless it is empty, and returns its function index. The body is the
// concatenation of body without the final end opcode.
func (m *Module) Func(export string, params, results, locals []api.ValueType, body ...[]byte) uint32 {
	locals = append([]api.ValueType(nil), locals...)
	m.funcs = append(m.funcs, function{export, m.typeIndex(params, results), locals, cat(body...)})
	return uint32(len(m.imports) + len(m.funcs) - 1)
}

// Memory declares the memory, in 64 KiB pages; maxPages nil means no maximum. The memory is exported as "memory".
func (m *Module) Memory(minPages uint32, maxPages *uint32) { m.memMin, m.memMax = minPages, maxPages }

// Data adds an active data segment that copies b to offset in the memory.
func (m *Module) Data(offset uint32, b []byte) { m.data = append(m.data, segment{offset, b}) }

// Bytes encodes the module. The memory section and export are present when Memory set a minimum or a maximum.
func (m *Module) Bytes() []byte {
	out := []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}
	out = section(out, 1, m.typeSection())
	out = section(out, 2, m.importSection())
	out = section(out, 3, m.funcSection())
	if m.hasMemory() {
		out = section(out, 5, m.memorySection())
	}
	out = section(out, 7, m.exportSection())
	out = section(out, 10, m.codeSection())
	return section(out, 11, m.dataSection())
}

func (m *Module) hasMemory() bool { return m.memMin > 0 || m.memMax != nil }

func (m *Module) typeIndex(params, results []api.ValueType) uint32 {
	key := string(params) + "->" + string(results)
	for i, t := range m.types {
		if t == key {
			return uint32(i)
		}
	}
	m.types = append(m.types, key)
	return uint32(len(m.types) - 1)
}

func (m *Module) typeSection() []byte {
	b := uleb(uint64(len(m.types)))
	for _, t := range m.types {
		params, results, _ := strings.Cut(t, "->")
		b = append(b, 0x60)
		b = append(append(b, uleb(uint64(len(params)))...), params...)
		b = append(append(b, uleb(uint64(len(results)))...), results...)
	}
	return b
}

func (m *Module) importSection() []byte {
	b := uleb(uint64(len(m.imports)))
	for _, im := range m.imports {
		b = append(b, name(im.module)...)
		b = append(b, name(im.name)...)
		b = append(b, 0x00)
		b = append(b, uleb(uint64(im.typ))...)
	}
	return b
}

func (m *Module) funcSection() []byte {
	b := uleb(uint64(len(m.funcs)))
	for _, f := range m.funcs {
		b = append(b, uleb(uint64(f.typ))...)
	}
	return b
}

func (m *Module) memorySection() []byte {
	if m.memMax == nil {
		return cat([]byte{1, 0x00}, uleb(uint64(m.memMin)))
	}
	return cat([]byte{1, 0x01}, uleb(uint64(m.memMin)), uleb(uint64(*m.memMax)))
}

func (m *Module) exportSection() []byte {
	var entries [][]byte
	for i, f := range m.funcs {
		if f.export != "" {
			entries = append(entries, cat(name(f.export), []byte{0x00}, uleb(uint64(len(m.imports)+i))))
		}
	}
	if m.hasMemory() {
		entries = append(entries, cat(name("memory"), []byte{0x02, 0x00}))
	}
	return cat(uleb(uint64(len(entries))), cat(entries...))
}

func (m *Module) codeSection() []byte {
	b := uleb(uint64(len(m.funcs)))
	for _, f := range m.funcs {
		body := uleb(uint64(len(f.locals)))
		for _, l := range f.locals {
			body = append(body, 1, l)
		}
		body = append(body, f.body...)
		body = append(body, End...)
		b = append(b, uleb(uint64(len(body)))...)
		b = append(b, body...)
	}
	return b
}

func (m *Module) dataSection() []byte {
	b := uleb(uint64(len(m.data)))
	for _, d := range m.data {
		b = append(b, 0x00)
		b = append(b, I32Const(int32(d.offset))...)
		b = append(b, End...)
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
