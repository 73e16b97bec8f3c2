package gateway

import (
	"github.com/tetratelabs/wazero/api"

	"portico/plugins/wasmtest"
)

// Tiny hand-assembled http-wasm guests for the policy paths the built-in policies do not exercise (a trap, a guest
// that responds itself, a URI rewrite, a pass-through that holds its instance until the response phase). They
// instantiate in microseconds, unlike a Go guest.

// hostImport is an http_handler function a guest calls, by its index in the guest's import list.
type hostImport struct {
	name   string
	params []api.ValueType
}

var (
	importSetStatus = hostImport{"set_status_code", wasmtest.I32}
	importSetURI    = hostImport{"set_uri", wasmtest.I32I32}
	importSetHeader = hostImport{"set_header_value", []api.ValueType{api.ValueTypeI32, api.ValueTypeI32,
		api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32}}
	importRemoveHeader = hostImport{"remove_header", []api.ValueType{api.ValueTypeI32, api.ValueTypeI32,
		api.ValueTypeI32}}
)

// assemble returns a module exporting memory (one page, data at offset 0), handle_request with the given body (it
// must leave an i64 on the stack) and an empty handle_response.
func assemble(imports []hostImport, data string, request ...[]byte) []byte {
	m := &wasmtest.Module{}
	for _, im := range imports {
		m.Import("http_handler", im.name, im.params, nil)
	}
	m.Func("handle_request", nil, wasmtest.I64, nil, request...)
	m.Func("handle_response", wasmtest.I32I32, nil, nil)
	m.Memory(1, nil)
	m.Data(0, []byte(data))
	return m.Bytes()
}

// Test guests.
var (
	// guestTrap traps in handle_request.
	guestTrap = assemble(nil, "", wasmtest.Unreachable)
	// guestPass continues and keeps its instance until handle_response.
	guestPass = assemble(nil, "", wasmtest.I64Const(1))
	// guestTeapot responds 418 itself.
	guestTeapot = assemble([]hostImport{importSetStatus}, "",
		wasmtest.I32Const(418), wasmtest.Call(0), wasmtest.I64Const(0))
)

// guestRewrite sets the request URI to uri and continues.
func guestRewrite(uri string) []byte {
	return assemble([]hostImport{importSetURI}, uri,
		wasmtest.I32Const(0), wasmtest.I32Const(int32(len(uri))), wasmtest.Call(0), wasmtest.I64Const(1))
}

// guestHeaders sets request headers x-added: 1 and x-forwarded-for: 6.6.6.6, removes x-gone, and continues.
func guestHeaders() []byte {
	const data = "x-added1x-forwarded-for6.6.6.6x-gone"
	str := func(off, n int32) []byte { return append(wasmtest.I32Const(off), wasmtest.I32Const(n)...) }
	set := func(name, nameLen, val, valLen int32) [][]byte {
		return [][]byte{wasmtest.I32Const(0), str(name, nameLen), str(val, valLen), wasmtest.Call(0)}
	}
	body := append(set(0, 7, 7, 1), set(8, 15, 23, 7)...)
	body = append(body, wasmtest.I32Const(0), str(30, 6), wasmtest.Call(1), wasmtest.I64Const(1))
	return assemble([]hostImport{importSetHeader, importRemoveHeader}, data, body...)
}

// guestStatus responds with status code itself.
func guestStatus(code int32) []byte {
	return assemble([]hostImport{importSetStatus}, "", wasmtest.I32Const(code), wasmtest.Call(0), wasmtest.I64Const(0))
}
