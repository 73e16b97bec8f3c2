package gateway

// Tiny hand-assembled http-wasm guests for the policy paths the built-in policies do not exercise (a trap, a guest
// that responds itself, a URI rewrite, a pass-through that holds its instance until the response phase). They
// instantiate in microseconds, unlike a Go guest.

const (
	valI32 = 0x7f
	valI64 = 0x7e
)

// hostImport is a host function a guest calls, by its index in the guest's import list.
type hostImport struct {
	module, name    string
	params, results []byte
}

var (
	importSetStatus = hostImport{"http_handler", "set_status_code", []byte{valI32}, nil}
	importSetURI    = hostImport{"http_handler", "set_uri", []byte{valI32, valI32}, nil}
)

// assemble returns a module exporting memory (one page, data at offset 0), handle_request with the given body (it
// must leave an i64 on the stack) and an empty handle_response.
func assemble(imports []hostImport, request []byte, data string) []byte {
	types := [][]byte{}
	for _, im := range imports {
		types = append(types, funcType(im.params, im.results))
	}
	types = append(types, funcType(nil, []byte{valI64}), funcType([]byte{valI32, valI32}, nil))
	n := uint64(len(imports))

	out := []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}
	out = section(out, 1, vec(types))
	var ims [][]byte
	for i, im := range imports {
		ims = append(ims, cat(name(im.module), name(im.name), []byte{0x00}, uleb(uint64(i))))
	}
	out = section(out, 2, vec(ims))
	out = section(out, 3, vec([][]byte{uleb(n), uleb(n + 1)}))
	out = section(out, 5, []byte{1, 0x00, 1})
	out = section(out, 7, vec([][]byte{
		cat(name("memory"), []byte{0x02, 0x00}),
		cat(name("handle_request"), []byte{0x00}, uleb(n)),
		cat(name("handle_response"), []byte{0x00}, uleb(n+1)),
	}))
	out = section(out, 10, vec([][]byte{funcBody(request), funcBody(nil)}))
	seg := cat([]byte{0x00}, i32Const(0), []byte{0x0b}, uleb(uint64(len(data))), []byte(data))
	return section(out, 11, vec([][]byte{seg}))
}

func funcType(params, results []byte) []byte {
	return cat([]byte{0x60}, uleb(uint64(len(params))), params, uleb(uint64(len(results))), results)
}

func funcBody(code []byte) []byte {
	b := cat([]byte{0x00}, code, []byte{0x0b}) // no locals
	return cat(uleb(uint64(len(b))), b)
}

func section(out []byte, id byte, content []byte) []byte {
	return cat(out, []byte{id}, uleb(uint64(len(content))), content)
}

func vec(items [][]byte) []byte { return cat(uleb(uint64(len(items))), cat(items...)) }

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
		if v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
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

func i32Const(v int32) []byte { return cat([]byte{0x41}, sleb(int64(v))) }
func i64Const(v int64) []byte { return cat([]byte{0x42}, sleb(v)) }
func callImport(i int) []byte { return cat([]byte{0x10}, uleb(uint64(i))) }

// Test guests.
var (
	// guestTrap traps in handle_request.
	guestTrap = assemble(nil, []byte{0x00}, "")
	// guestPass continues and keeps its instance until handle_response.
	guestPass = assemble(nil, i64Const(1), "")
	// guestTeapot responds 418 itself.
	guestTeapot = assemble([]hostImport{importSetStatus}, cat(i32Const(418), callImport(0), i64Const(0)), "")
)

// guestRewrite sets the request URI to uri and continues.
func guestRewrite(uri string) []byte {
	return assemble([]hostImport{importSetURI},
		cat(i32Const(0), i32Const(int32(len(uri))), callImport(0), i64Const(1)), uri)
}
