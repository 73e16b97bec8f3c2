package wasmtest

import "github.com/tetratelabs/wazero/api"

// Parameter and result lists for Import and Func. Treat them as read-only.
var (
	I32    = []api.ValueType{api.ValueTypeI32}
	I64    = []api.ValueType{api.ValueTypeI64}
	I32I32 = []api.ValueType{api.ValueTypeI32, api.ValueTypeI32}
)

// Instructions without immediates, plus LoopForever. Treat them as read-only.
var (
	Unreachable = []byte{0x00}
	End         = []byte{0x0b}
	Drop        = []byte{0x1a}
	I32Eqz      = []byte{0x45}
	I32Eq       = []byte{0x46}
	I64Eqz      = []byte{0x50}
	I32Add      = []byte{0x6a}
	I32DivS     = []byte{0x6d}
	MemoryGrow  = []byte{0x40, 0x00}
	LoopForever = []byte{0x03, 0x40, 0x0c, 0x00, 0x0b} // loop br 0 end
)

// I32Const pushes v.
func I32Const(v int32) []byte { return cat([]byte{0x41}, sleb(int64(v))) }

// LocalGet pushes local (or parameter) i.
func LocalGet(i uint32) []byte { return cat([]byte{0x20}, uleb(uint64(i))) }

// I64Const pushes v.
func I64Const(v int64) []byte { return cat([]byte{0x42}, sleb(v)) }

// Call calls the function with index fn (imports first, see Module.Import and Module.Func).
func Call(fn uint32) []byte { return cat([]byte{0x10}, uleb(uint64(fn))) }

// I32Store pops a value and an address and stores the value at address+offset.
func I32Store(offset uint32) []byte { return cat([]byte{0x36, 0x02}, uleb(uint64(offset))) }

// I64Store pops a value and an address and stores the value at address+offset.
func I64Store(offset uint32) []byte { return cat([]byte{0x37, 0x03}, uleb(uint64(offset))) }

// IfThen pops an i32 and runs body when it is not zero.
func IfThen(body ...[]byte) []byte { return cat([]byte{0x04, 0x40}, cat(body...), End) }

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// uleb encodes v as unsigned LEB128.
func uleb(v uint64) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// sleb encodes v as signed LEB128.
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
