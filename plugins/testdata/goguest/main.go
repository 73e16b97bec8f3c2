//go:build wasip1

// Command goguest is a Go reactor guest for the plugins tests: it speaks the http_handler and portico_v1 ABI through
// raw imports, and its behaviour is chosen by its config (read once in init, as real policies do).
package main

import (
	"crypto/sha256"
	"strings"
	"unsafe"

	"portico/plugins/abi"
)

//go:wasmimport http_handler enable_features
func enableFeatures(features uint32) uint32

//go:wasmimport http_handler get_config
func getConfig(buf unsafe.Pointer, limit uint32) uint32

//go:wasmimport http_handler get_method
func getMethod(buf unsafe.Pointer, limit uint32) uint32

//go:wasmimport http_handler get_uri
func getURI(buf unsafe.Pointer, limit uint32) uint32

//go:wasmimport http_handler set_uri
func setURI(ptr unsafe.Pointer, n uint32)

//go:wasmimport http_handler get_header_names
func getHeaderNames(kind uint32, buf unsafe.Pointer, limit uint32) uint64

//go:wasmimport http_handler get_header_values
func getHeaderValues(kind uint32, name unsafe.Pointer, nameLen uint32, buf unsafe.Pointer, limit uint32) uint64

//go:wasmimport http_handler set_header_value
func setHeaderValue(kind uint32, name unsafe.Pointer, nameLen uint32, value unsafe.Pointer, valueLen uint32)

//go:wasmimport http_handler read_body
func readBody(kind uint32, buf unsafe.Pointer, limit uint32) uint64

//go:wasmimport http_handler write_body
func writeBody(kind uint32, buf unsafe.Pointer, n uint32)

//go:wasmimport http_handler set_status_code
func setStatusCode(code uint32)

//go:wasmimport portico_v1 set_property
func setProperty(key unsafe.Pointer, keyLen uint32, value unsafe.Pointer, valueLen uint32)

//go:wasmimport portico_v1 lookup_credential
func lookupCredential(kind uint32, id unsafe.Pointer, idLen uint32, hash unsafe.Pointer, hashLen uint32,
	buf unsafe.Pointer, limit uint32) int32

//go:wasmimport portico_v1 skip_response
func skipResponse()

var (
	mode string
	buf  = make([]byte, 2048)
)

func init() {
	n := getConfig(unsafe.Pointer(&buf[0]), uint32(len(buf)))
	mode = string(buf[:n])
	switch mode {
	case "bad-config":
		panic("unusable config")
	case "rewrite":
		enableFeatures(abi.FeatureBufferResponse)
	}
}

func main() {}

func sptr(s string) unsafe.Pointer { return unsafe.Pointer(unsafe.StringData(s)) }

// read calls a read function, growing buf until the value fits.
func read(f func(unsafe.Pointer, uint32) uint32) string {
	for range 8 {
		n := f(unsafe.Pointer(&buf[0]), uint32(len(buf)))
		if int(n) <= len(buf) {
			return string(buf[:n])
		}
		buf = make([]byte, n)
	}
	panic("value keeps growing")
}

func header(kind uint32, name string) string {
	cl := getHeaderValues(kind, sptr(name), uint32(len(name)), unsafe.Pointer(&buf[0]), uint32(len(buf)))
	if cl>>32 == 0 || int(uint32(cl)) > len(buf) {
		return ""
	}
	return string(buf[:uint32(cl)-1])
}

func setHeader(kind uint32, name, value string) {
	setHeaderValue(kind, sptr(name), uint32(len(name)), sptr(value), uint32(len(value)))
}

func write(kind uint32, s string) { writeBody(kind, sptr(s), uint32(len(s))) }

func readAll(kind uint32) string {
	var out []byte
	for range 1 << 16 {
		el := readBody(kind, unsafe.Pointer(&buf[0]), uint32(len(buf)))
		out = append(out, buf[:uint32(el)]...)
		if el>>32 == 1 {
			break
		}
	}
	return string(out)
}

//go:wasmexport handle_request
func handleRequest() uint64 {
	switch mode {
	case "bench":
		getHeaderValues(abi.HeaderRequest, sptr("x-api-key"), 9, unsafe.Pointer(&buf[0]), uint32(len(buf)))
		skipResponse()
		return 1
	case "echo":
		return echo()
	case "auth":
		return auth()
	case "rewrite":
		setHeader(abi.HeaderRequest, "x-added", "yes")
		uri := "/rewritten"
		setURI(sptr(uri), uint32(len(uri)))
		return 7<<32 | 1
	case "body":
		enableFeatures(abi.FeatureBufferRequest)
		body := readAll(abi.BodyRequest)
		setHeader(abi.HeaderResponse, "x-seen-body", body)
		skipResponse()
		return 1
	case "panic":
		panic("guest failure")
	}
	return 1
}

func echo() uint64 {
	names := read(func(p unsafe.Pointer, n uint32) uint32 {
		return uint32(getHeaderNames(abi.HeaderRequest, p, n))
	})
	setHeader(abi.HeaderResponse, "x-method", read(getMethod))
	setHeader(abi.HeaderResponse, "x-uri", read(getURI))
	setHeader(abi.HeaderResponse, "x-names", strings.Join(abi.SplitNUL([]byte(names)), ","))
	setStatusCode(201)
	write(abi.BodyResponse, "hello from go")
	return 0
}

func auth() uint64 {
	key := header(abi.HeaderRequest, "x-api-key")
	id, ok := abi.ParseAPIKey(key)
	if ok {
		sum := sha256.Sum256([]byte(key))
		n := lookupCredential(abi.CredentialAPIKey, sptr(id), uint32(len(id)), unsafe.Pointer(&sum[0]), 32,
			unsafe.Pointer(&buf[0]), uint32(len(buf)))
		if n >= 0 && int(n) <= len(buf) {
			rec := abi.DecodeRecord(buf[:n])
			app := rec[abi.RecApp]
			setProperty(sptr(abi.PropAuthApp), uint32(len(abi.PropAuthApp)), sptr(app), uint32(len(app)))
			setHeader(abi.HeaderRequest, "x-app", app)
			skipResponse()
			return 1
		}
	}
	setStatusCode(401)
	write(abi.BodyResponse, "unauthorized")
	return 0
}

//go:wasmexport handle_response
func handleResponse(reqCtx, isError uint32) {
	if mode != "rewrite" {
		return
	}
	setHeader(abi.HeaderResponse, "x-ctx", string(rune('0'+reqCtx)))
	if isError == 1 {
		setHeader(abi.HeaderResponse, "x-error", "1")
	}
	body := readAll(abi.BodyResponse)
	write(abi.BodyResponse, strings.ToUpper(body))
}
