package plugins

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"portico/plugins/abi"
)

const (
	hh = abi.ModuleHTTPHandler + "."
	pv = abi.ModulePortico + "."

	badPtr = 0xFFFFFFF0
	badLen = 0x7FFFFFFF
)

// abiResult is what one run of an assembled guest produced.
type abiResult struct {
	x                 *Exchange
	next, pending     bool
	reqErr, respErr   error
	mem               []byte // guest memory [0, memSize) after the calls, when they succeeded
	upstream          *http.Response
	inbound           *http.Request
	outboundBodyBytes string
}

func (r abiResult) i32(off uint32) int32  { return int32(binary.LittleEndian.Uint32(r.mem[off:])) }
func (r abiResult) i64(off uint32) uint64 { return binary.LittleEndian.Uint64(r.mem[off:]) }
func (r abiResult) out(n int) string      { return string(r.mem[outBuf : outBuf+n]) }

type abiCase struct {
	name     string
	g        guestSpec
	body     string // inbound request body
	setup    func(x *Exchange)
	trapReq  bool // handle_request must fail with a host trap
	trapResp bool // handle_response must fail with a host trap
	check    func(t *testing.T, r abiResult)
}

// fakeCreds holds one credential.
type fakeCreds struct {
	id     string
	hash   []byte
	record []byte
}

func (f fakeCreds) LookupCredential(kind uint32, id string, hash []byte) ([]byte, bool) {
	if kind != abi.CredentialAPIKey || id != f.id || !bytes.Equal(hash, f.hash) {
		return nil, false
	}
	return f.record, true
}

// Authenticate accepts the key "good" and the bearer token "token", and reports "other" as bound to another API.
func (f fakeCreds) Authenticate(kind uint32, credential string) (int32, Identity) {
	switch {
	case kind == abi.CredentialBearer && credential == "token":
		return abi.AuthOK, Identity{App: "app2", Env: "production", Subscription: "s2", Plan: "Silver", Sub: "alice",
			Scope: "a b", ClientID: "c2", TokenID: "j2", Issuer: "https://iss"}
	case kind != abi.CredentialAPIKey:
		return abi.AuthUnknown, Identity{}
	case credential == "good":
		return abi.AuthOK, Identity{App: "app1", Env: "sandbox", Key: "k1", Subscription: "s1", Plan: "Gold"}
	case credential == "other":
		return abi.AuthWrongAPI, Identity{}
	}
	return abi.AuthUnknown, Identity{}
}

var testCreds = fakeCreds{id: "0123456789abcdef", hash: bytes.Repeat([]byte{7}, 32),
	record: abi.EncodeRecord(abi.RecApp, "app1", abi.RecEnv, "production")}

func runABICase(t *testing.T, h *Host, c abiCase) abiResult {
	t.Helper()
	p := newTestPool(t, h, buildGuest(t, h, c.g), []byte("cfg-bytes"))
	in := httptest.NewRequest(http.MethodGet, "http://example.com/a/b?x=1", strings.NewReader(c.body))
	in.Header["X-Multi"] = []string{"a", "b"}
	in.Header.Set("Content-Type", "text/plain")
	x := NewExchange(in, testCreds)
	x.SetProperty(abi.PropAPIName, "pets")
	if c.setup != nil {
		c.setup(x)
	}
	r := abiResult{x: x, inbound: in}
	var pd *Pending
	r.next, pd, r.reqErr = p.Request(context.Background(), x)
	r.pending = pd != nil
	if pd != nil {
		r.upstream = &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/plain"}},
			Body: io.NopCloser(strings.NewReader("upstream body")), ContentLength: 13}
		x.SetUpstreamResponse(r.upstream)
		r.respErr = pd.Response(context.Background(), x, false)
	}
	if r.reqErr == nil && r.respErr == nil {
		r.mem = peek(t, p, 0, memSize)
	}
	if body := x.Request().Body; body != nil && r.reqErr == nil {
		b, _ := io.ReadAll(body)
		r.outboundBodyBytes = string(b)
	}
	return r
}

func checkTrap(t *testing.T, what string, err error, want bool) {
	t.Helper()
	switch {
	case want && !errors.Is(err, errTrap):
		t.Errorf("%s: got error %v, want a host trap", what, err)
	case !want && err != nil:
		t.Errorf("%s: got error %v, want none", what, err)
	}
}

func TestHostFunctions(t *testing.T) {
	h := newTestHost(t, Config{MaxInstances: 1})
	for _, c := range abiCases() {
		t.Run(c.name, func(t *testing.T) {
			r := runABICase(t, h, c)
			checkTrap(t, "handle_request", r.reqErr, c.trapReq)
			checkTrap(t, "handle_response", r.respErr, c.trapResp)
			if c.check != nil && !t.Failed() {
				c.check(t, r)
			}
		})
	}
}

func abiCases() []abiCase {
	cases := append(readCases(), headerCases()...)
	cases = append(cases, requestEditCases()...)
	cases = append(cases, bodyAndStatusCases()...)
	cases = append(cases, porticoCases()...)
	return append(cases, afterNextCases()...)
}

func wantI32(t *testing.T, what string, got, want int32) {
	t.Helper()
	if got != want {
		t.Errorf("%s: got %d, want %d", what, got, want)
	}
}

func wantStr(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s: got %q, want %q", what, got, want)
	}
}

func readCases() []abiCase {
	return []abiCase{
		{name: "get_method fits", g: guestSpec{next: 1, request: []hcall{call(hh+"get_method", outBuf, 64)}},
			check: func(t *testing.T, r abiResult) {
				wantI32(t, "length", r.i32(resReq), 3)
				wantStr(t, "written", r.out(3), "GET")
			}},
		{name: "get_method buffer too small writes nothing", g: guestSpec{next: 1,
			request: []hcall{call(hh+"get_method", outBuf, 2)}},
			check: func(t *testing.T, r abiResult) {
				wantI32(t, "length", r.i32(resReq), 3)
				wantStr(t, "written", r.out(3), "\x00\x00\x00")
			}},
		{name: "get_method limit 0 tells the length", g: guestSpec{next: 1,
			request: []hcall{call(hh+"get_method", 0, 0)}},
			check: func(t *testing.T, r abiResult) { wantI32(t, "length", r.i32(resReq), 3) }},
		{name: "get_method bad pointer traps", trapReq: true, g: guestSpec{next: 1,
			request: []hcall{call(hh+"get_method", badPtr, badLen)}}},
		{name: "get_method buffer past memory end traps", trapReq: true, g: guestSpec{next: 1,
			request: []hcall{call(hh+"get_method", 65530, 64)}}},
		{name: "get_uri", g: guestSpec{next: 1, request: []hcall{call(hh+"get_uri", outBuf, 64)}},
			check: func(t *testing.T, r abiResult) {
				wantI32(t, "length", r.i32(resReq), 8)
				wantStr(t, "written", r.out(8), "/a/b?x=1")
			}},
		{name: "get_protocol_version", g: guestSpec{next: 1,
			request: []hcall{call(hh+"get_protocol_version", outBuf, 64)}},
			check: func(t *testing.T, r abiResult) { wantStr(t, "written", r.out(int(r.i32(resReq))), "HTTP/1.1") }},
		{name: "get_source_addr", g: guestSpec{next: 1, request: []hcall{call(hh+"get_source_addr", outBuf, 64)}},
			check: func(t *testing.T, r abiResult) {
				wantStr(t, "written", r.out(int(r.i32(resReq))), "192.0.2.1:1234")
			}},
		{name: "get_config", g: guestSpec{next: 1, request: []hcall{call(hh+"get_config", outBuf, 64)}},
			check: func(t *testing.T, r abiResult) { wantStr(t, "written", r.out(int(r.i32(resReq))), "cfg-bytes") }},
		{name: "get_config in init", g: guestSpec{next: 1, init: []hcall{call(hh+"get_config", outBuf, 64)}},
			check: func(t *testing.T, r abiResult) { wantI32(t, "length", r.i32(resInit), 9) }},
		{name: "log with bad pointer does not trap", g: guestSpec{next: 1,
			request: []hcall{call(hh+"log", 2, badPtr, badLen), call(hh+"log", 99, 0, 10)}}},
		{name: "log_enabled with a discarding logger", g: guestSpec{next: 1,
			request: []hcall{call(hh+"log_enabled", 2), call(hh+"log_enabled", 3)}},
			check: func(t *testing.T, r abiResult) {
				wantI32(t, "error level", r.i32(resReq), 0)
				wantI32(t, "none level", r.i32(resReq+8), 0)
			}},
		{name: "enable_features clears unsupported trailers", g: guestSpec{next: 1,
			request: []hcall{call(hh+"enable_features", 0), call(hh+"enable_features", 7)}},
			check: func(t *testing.T, r abiResult) {
				wantI32(t, "features(0)", r.i32(resReq), 0)
				wantI32(t, "features(7)", r.i32(resReq+8), 3)
			}},
		{name: "enable_features accumulates from init", g: guestSpec{next: 1,
			init:    []hcall{call(hh+"enable_features", 2)},
			request: []hcall{call(hh+"enable_features", 1)}},
			check: func(t *testing.T, r abiResult) { wantI32(t, "features", r.i32(resReq), 3) }},
	}
}

func headerCases() []abiCase {
	return []abiCase{
		{name: "get_header_names sorted lower-case with host", g: guestSpec{next: 1,
			request: []hcall{call(hh+"get_header_names", 0, outBuf, 256)}},
			check: func(t *testing.T, r abiResult) {
				want := "content-type\x00host\x00x-multi\x00"
				if got := r.i64(resReq); got != 3<<32|uint64(len(want)) {
					t.Errorf("count_len: got %#x, want %#x", got, 3<<32|uint64(len(want)))
				}
				wantStr(t, "written", r.out(len(want)), want)
			}},
		{name: "get_header_names buffer too small writes nothing", g: guestSpec{next: 1,
			request: []hcall{call(hh+"get_header_names", 0, outBuf, 10)}},
			check: func(t *testing.T, r abiResult) {
				if got := r.i64(resReq); got != 3<<32|26 {
					t.Errorf("count_len: got %#x, want %#x", got, 3<<32|26)
				}
				wantStr(t, "written", r.out(4), "\x00\x00\x00\x00")
			}},
		{name: "get_header_names response before any", g: guestSpec{next: 1,
			request: []hcall{call(hh+"get_header_names", 1, outBuf, 64)}},
			check: func(t *testing.T, r abiResult) {
				if got := r.i64(resReq); got != 0 {
					t.Errorf("count_len: got %#x, want 0", got)
				}
			}},
		{name: "get_header_names unknown kind traps", trapReq: true, g: guestSpec{next: 1,
			request: []hcall{call(hh+"get_header_names", 9, outBuf, 64)}}},
		{name: "get_header_values multi-value", g: guestSpec{next: 1,
			request: []hcall{call(hh+"get_header_values", 0, sref("x-multi"), outBuf, 64)}},
			check: func(t *testing.T, r abiResult) {
				if got := r.i64(resReq); got != 2<<32|4 {
					t.Errorf("count_len: got %#x, want %#x", got, 2<<32|4)
				}
				wantStr(t, "written", r.out(4), "a\x00b\x00")
			}},
		{name: "get_header_values case-insensitive", g: guestSpec{next: 1,
			request: []hcall{call(hh+"get_header_values", 0, sref("CONTENT-type"), outBuf, 64)}},
			check: func(t *testing.T, r abiResult) { wantStr(t, "written", r.out(11), "text/plain\x00") }},
		{name: "get_header_values too small writes nothing", g: guestSpec{next: 1,
			request: []hcall{call(hh+"get_header_values", 0, sref("x-multi"), outBuf, 3)}},
			check: func(t *testing.T, r abiResult) {
				if got := r.i64(resReq); got != 2<<32|4 {
					t.Errorf("count_len: got %#x, want %#x", got, 2<<32|4)
				}
				wantStr(t, "written", r.out(4), "\x00\x00\x00\x00")
			}},
		{name: "get_header_values host", g: guestSpec{next: 1,
			request: []hcall{call(hh+"get_header_values", 0, sref("host"), outBuf, 64)}},
			check: func(t *testing.T, r abiResult) { wantStr(t, "written", r.out(12), "example.com\x00") }},
		{name: "get_header_values missing", g: guestSpec{next: 1,
			request: []hcall{call(hh+"get_header_values", 0, sref("x-none"), outBuf, 64)}},
			check: func(t *testing.T, r abiResult) {
				if got := r.i64(resReq); got != 0 {
					t.Errorf("count_len: got %#x, want 0", got)
				}
			}},
		{name: "get_header_values empty name traps", trapReq: true, g: guestSpec{next: 1,
			request: []hcall{call(hh+"get_header_values", 0, dataBase, 0, outBuf, 64)}}},
		{name: "get_header_values name out of bounds traps", trapReq: true, g: guestSpec{next: 1,
			request: []hcall{call(hh+"get_header_values", 0, badPtr, 16, outBuf, 64)}}},
		{name: "get_header_values huge name traps", trapReq: true, g: guestSpec{next: 1,
			request: []hcall{call(hh+"get_header_values", 0, badPtr, badLen, outBuf, 64)}}},
		{name: "get_header_values bad buffer traps", trapReq: true, g: guestSpec{next: 1,
			request: []hcall{call(hh+"get_header_values", 0, sref("x-multi"), badPtr, badLen)}}},
	}
}

func requestEditCases() []abiCase {
	return []abiCase{
		{name: "set_header_value edits a private copy", g: guestSpec{next: 1,
			request: []hcall{call(hh+"set_header_value", 0, sref("x-new"), sref("v"))}},
			check: func(t *testing.T, r abiResult) {
				wantStr(t, "outbound", r.x.Request().Header.Get("X-New"), "v")
				wantStr(t, "inbound", r.inbound.Header.Get("X-New"), "")
			}},
		{name: "set_header_value CRLF in value traps", trapReq: true, g: guestSpec{next: 1,
			request: []hcall{call(hh+"set_header_value", 0, sref("x-new"), sref("a\r\nb"))}}},
		{name: "set_header_value CRLF in name traps", trapReq: true, g: guestSpec{next: 1,
			request: []hcall{call(hh+"set_header_value", 0, sref("a\r\nb"), sref("v"))}}},
		{name: "set_header_value NUL in value traps", trapReq: true, g: guestSpec{next: 1,
			request: []hcall{call(hh+"set_header_value", 0, sref("x-new"), sref("a\x00b"))}}},
		{name: "set_header_value bad pointers trap", trapReq: true, g: guestSpec{next: 1,
			request: []hcall{call(hh+"set_header_value", 0, sref("x-new"), badPtr, 16)}}},
		{name: "set_header_value huge length traps", trapReq: true, g: guestSpec{next: 1,
			request: []hcall{call(hh+"set_header_value", 0, badPtr, badLen, sref("v"))}}},
		{name: "set_header_value trailers trap", trapReq: true, g: guestSpec{next: 1,
			request: []hcall{call(hh+"set_header_value", 2, sref("x-new"), sref("v"))}}},
		{name: "add_header_value appends", g: guestSpec{next: 1,
			request: []hcall{call(hh+"add_header_value", 0, sref("X-MULTI"), sref("c"))}},
			check: func(t *testing.T, r abiResult) {
				wantStr(t, "outbound", strings.Join(r.x.Request().Header.Values("X-Multi"), ","), "a,b,c")
			}},
		{name: "remove_header", g: guestSpec{next: 1,
			request: []hcall{call(hh+"remove_header", 0, sref("x-multi"))}},
			check: func(t *testing.T, r abiResult) {
				wantStr(t, "outbound", strings.Join(r.x.Request().Header.Values("X-Multi"), ","), "")
				wantStr(t, "inbound", strings.Join(r.inbound.Header.Values("X-Multi"), ","), "a,b")
			}},
		{name: "set_header_value host", g: guestSpec{next: 1,
			request: []hcall{call(hh+"set_header_value", 0, sref("host"), sref("v"))}},
			check: func(t *testing.T, r abiResult) { wantStr(t, "host", r.x.Request().Host, "v") }},
		{name: "set_method", g: guestSpec{next: 1, request: []hcall{call(hh+"set_method", sref("POST"))}},
			check: func(t *testing.T, r abiResult) {
				wantStr(t, "outbound", r.x.Request().Method, "POST")
				wantStr(t, "inbound", r.inbound.Method, "GET")
			}},
		{name: "set_method empty traps", trapReq: true, g: guestSpec{next: 1,
			request: []hcall{call(hh+"set_method", dataBase, 0)}}},
		{name: "set_method with space traps", trapReq: true, g: guestSpec{next: 1,
			request: []hcall{call(hh+"set_method", sref("GE T"))}}},
		{name: "set_uri", g: guestSpec{next: 1, request: []hcall{call(hh+"set_uri", sref("/c%20d?y=2"))}},
			check: func(t *testing.T, r abiResult) {
				u := r.x.Request().URL
				wantStr(t, "path", u.Path, "/c d")
				wantStr(t, "query", u.RawQuery, "y=2")
				wantStr(t, "request uri", u.RequestURI(), "/c%20d?y=2")
				wantStr(t, "inbound", r.inbound.URL.RequestURI(), "/a/b?x=1")
			}},
		{name: "set_uri empty is root", g: guestSpec{next: 1, request: []hcall{call(hh+"set_uri", dataBase, 0)}},
			check: func(t *testing.T, r abiResult) { wantStr(t, "uri", r.x.Request().URL.RequestURI(), "/") }},
		{name: "set_uri absolute traps", trapReq: true, g: guestSpec{next: 1,
			request: []hcall{call(hh+"set_uri", sref("http://evil/"))}}},
		{name: "set_uri with CRLF traps", trapReq: true, g: guestSpec{next: 1,
			request: []hcall{call(hh+"set_uri", sref("/a\r\nb"))}}},
	}
}

func bodyAndStatusCases() []abiCase {
	return []abiCase{
		{name: "guest response", g: guestSpec{next: 0, request: []hcall{
			call(hh + "get_status_code"),
			call(hh+"set_status_code", 404),
			call(hh+"set_header_value", 1, sref("x-new"), sref("v")),
			call(hh+"write_body", 1, sref("hello")),
			call(hh+"write_body", 1, sref("v")),
		}}, check: func(t *testing.T, r abiResult) {
			wantI32(t, "default status", r.i32(resReq), 200)
			if r.next || !r.x.Responded() {
				t.Fatalf("next %v responded %v: got a pass-through, want a guest response", r.next, r.x.Responded())
			}
			w := httptest.NewRecorder()
			r.x.WriteResponse(w)
			wantI32(t, "status", int32(w.Code), 404)
			wantStr(t, "header", w.Header().Get("X-New"), "v")
			wantStr(t, "body", w.Body.String(), "hellov")
		}},
		{name: "set_status_code out of range traps", trapReq: true, g: guestSpec{next: 0,
			request: []hcall{call(hh+"set_status_code", 42)}}},
		{name: "read_body limit 0 traps", trapReq: true, body: "payload", g: guestSpec{next: 1,
			request: []hcall{call(hh+"read_body", 0, outBuf, 0)}}},
		{name: "read_body bad buffer traps", trapReq: true, body: "payload", g: guestSpec{next: 1,
			request: []hcall{call(hh+"read_body", 0, badPtr, badLen)}}},
		{name: "read_body without buffering consumes", body: "payload", g: guestSpec{next: 1,
			request: []hcall{call(hh+"read_body", 0, outBuf, 3)}},
			check: func(t *testing.T, r abiResult) {
				if got := r.i64(resReq); got != 3 {
					t.Errorf("eof_len: got %#x, want 3", got)
				}
				wantStr(t, "read", r.out(3), "pay")
				wantStr(t, "upstream body", r.outboundBodyBytes, "load")
			}},
		{name: "read_body with buffer_request re-feeds", body: "payload", g: guestSpec{next: 1,
			request: []hcall{call(hh+"enable_features", 1), call(hh+"read_body", 0, outBuf, 3),
				call(hh+"read_body", 0, outBuf+3, 64)}},
			check: func(t *testing.T, r abiResult) {
				if got := r.i64(resReq + 16); got != 1<<32|4 {
					t.Errorf("eof_len: got %#x, want %#x", got, 1<<32|4)
				}
				wantStr(t, "read", r.out(7), "payload")
				wantStr(t, "upstream body", r.outboundBodyBytes, "payload")
			}},
		{name: "write_body replaces the request body", body: "payload", g: guestSpec{next: 1,
			request: []hcall{call(hh+"write_body", 0, sref("new")), call(hh+"write_body", 0, sref("v"))}},
			check: func(t *testing.T, r abiResult) {
				wantStr(t, "upstream body", r.outboundBodyBytes, "newv")
				wantI32(t, "content length", int32(r.x.Request().ContentLength), 4)
			}},
		{name: "write_body bad pointer traps", trapReq: true, g: guestSpec{next: 0,
			request: []hcall{call(hh+"write_body", 1, badPtr, badLen)}}},
		{name: "write_body unknown kind traps", trapReq: true, g: guestSpec{next: 0,
			request: []hcall{call(hh+"write_body", 5, sref("v"))}}},
	}
}

func porticoCases() []abiCase {
	found := []hcall{call(pv+"lookup_credential", 0, sref("0123456789abcdef"), dataBase+3000, 32, outBuf, 256)}
	hash := wasmData{dataBase + 3000, bytes.Repeat([]byte{7}, 32)}
	return []abiCase{
		{name: "get_property", g: guestSpec{next: 1,
			request: []hcall{call(pv+"get_property", sref("api.name"), outBuf, 64),
				call(pv+"get_property", sref("x-none"), outBuf+100, 64)}},
			check: func(t *testing.T, r abiResult) {
				wantStr(t, "value", r.out(int(r.i32(resReq))), "pets")
				wantI32(t, "missing", r.i32(resReq+8), 0)
			}},
		{name: "set_property auth.", g: guestSpec{next: 1,
			request: []hcall{call(pv+"set_property", sref("auth.app"), sref("app1"))}},
			check: func(t *testing.T, r abiResult) { wantStr(t, "property", r.x.Property("auth.app"), "app1") }},
		{name: "set_property outside auth. traps", trapReq: true, g: guestSpec{next: 1,
			request: []hcall{call(pv+"set_property", sref("api.name"), sref("v"))}}},
		{name: "set_property bad value pointer traps", trapReq: true, g: guestSpec{next: 1,
			request: []hcall{call(pv+"set_property", sref("auth.app"), badPtr, badLen)}}},
		{name: "lookup_credential found", g: guestSpec{next: 1, request: found, data: []wasmData{hash}},
			check: func(t *testing.T, r abiResult) {
				n := r.i32(resReq)
				wantI32(t, "length", n, int32(len(testCreds.record)))
				wantStr(t, "record", r.out(int(n)), string(testCreds.record))
			}},
		{name: "lookup_credential buffer too small", g: guestSpec{next: 1, data: []wasmData{hash},
			request: []hcall{call(pv+"lookup_credential", 0, sref("0123456789abcdef"), dataBase+3000, 32, outBuf, 4)}},
			check: func(t *testing.T, r abiResult) {
				wantI32(t, "length", r.i32(resReq), int32(len(testCreds.record)))
				wantStr(t, "written", r.out(4), "\x00\x00\x00\x00")
			}},
		{name: "lookup_credential wrong hash", g: guestSpec{next: 1,
			request: []hcall{call(pv+"lookup_credential", 0, sref("0123456789abcdef"), dataBase+3000, 32, outBuf, 256)}},
			check: func(t *testing.T, r abiResult) { wantI32(t, "result", r.i32(resReq), -1) }},
		{name: "lookup_credential huge hash traps", trapReq: true, g: guestSpec{next: 1,
			request: []hcall{call(pv+"lookup_credential", 0, sref("0123456789abcdef"), 0, badLen, outBuf, 256)}}},
		{name: "authenticate ok sets auth properties", g: guestSpec{next: 1,
			request: []hcall{call(pv+"authenticate", 0, sref("good"))}},
			check: func(t *testing.T, r abiResult) {
				wantI32(t, "verdict", r.i32(resReq), abi.AuthOK)
				for k, want := range map[string]string{abi.PropAuthApp: "app1", abi.PropAuthEnv: "sandbox",
					abi.PropAuthKeyID: "k1", abi.PropAuthSubscription: "s1", abi.PropAuthPlan: "Gold",
					abi.PropAuthSubject: "", abi.PropAuthScope: ""} {
					wantStr(t, k, r.x.Property(k), want)
				}
			}},
		{name: "authenticate bearer sets token properties", g: guestSpec{next: 1,
			request: []hcall{call(pv+"authenticate", int64(abi.CredentialBearer), sref("token"))}},
			check: func(t *testing.T, r abiResult) {
				wantI32(t, "verdict", r.i32(resReq), abi.AuthOK)
				for k, want := range map[string]string{abi.PropAuthApp: "app2", abi.PropAuthEnv: "production",
					abi.PropAuthKeyID: "", abi.PropAuthSubscription: "s2", abi.PropAuthPlan: "Silver",
					abi.PropAuthSubject: "alice", abi.PropAuthScope: "a b", abi.PropAuthClient: "c2",
					abi.PropAuthToken: "j2", abi.PropAuthIssuer: "https://iss"} {
					wantStr(t, k, r.x.Property(k), want)
				}
			}},
		{name: "authenticate bearer with an api key is unknown", g: guestSpec{next: 1,
			request: []hcall{call(pv+"authenticate", int64(abi.CredentialBearer), sref("good"))}},
			check: func(t *testing.T, r abiResult) {
				wantI32(t, "verdict", r.i32(resReq), abi.AuthUnknown)
				wantStr(t, "auth.app", r.x.Property(abi.PropAuthApp), "")
			}},
		{name: "authenticate refused sets nothing", g: guestSpec{next: 1,
			request: []hcall{call(pv+"authenticate", 0, sref("other"))}},
			check: func(t *testing.T, r abiResult) {
				wantI32(t, "verdict", r.i32(resReq), abi.AuthWrongAPI)
				wantStr(t, "auth.app", r.x.Property(abi.PropAuthApp), "")
			}},
		{name: "authenticate unknown kind", g: guestSpec{next: 1,
			request: []hcall{call(pv+"authenticate", 9, sref("good"))}},
			check: func(t *testing.T, r abiResult) { wantI32(t, "verdict", r.i32(resReq), abi.AuthUnknown) }},
		{name: "authenticate bad pointer traps", trapReq: true, g: guestSpec{next: 1,
			request: []hcall{call(pv+"authenticate", 0, badPtr, badLen)}}},
		{name: "skip_response releases the instance", g: guestSpec{next: 1,
			request: []hcall{call(pv + "skip_response")}},
			check: func(t *testing.T, r abiResult) {
				if !r.next || r.pending {
					t.Errorf("next %v pending %v: got a held instance, want next without pending", r.next, r.pending)
				}
			}},
	}
}

func afterNextCases() []abiCase {
	bufferResponse := []hcall{call(hh+"enable_features", 2)}
	return []abiCase{
		{name: "set_header_value request after next traps", trapResp: true, g: guestSpec{next: 1,
			response: []hcall{call(hh+"set_header_value", 0, sref("x-new"), sref("v"))}}},
		{name: "set_method after next traps", trapResp: true, g: guestSpec{next: 1,
			response: []hcall{call(hh+"set_method", sref("POST"))}}},
		{name: "set_uri after next traps", trapResp: true, g: guestSpec{next: 1,
			response: []hcall{call(hh+"set_uri", sref("/c?y=2"))}}},
		{name: "write_body request after next traps", trapResp: true, g: guestSpec{next: 1,
			response: []hcall{call(hh+"write_body", 0, sref("v"))}}},
		{name: "read_body request after next traps", trapResp: true, g: guestSpec{next: 1,
			response: []hcall{call(hh+"read_body", 0, outBuf, 64)}}},
		{name: "skip_response after next traps", trapResp: true, g: guestSpec{next: 1,
			response: []hcall{call(pv + "skip_response")}}},
		{name: "response header after next needs buffer_response", trapResp: true, g: guestSpec{next: 1,
			response: []hcall{call(hh+"set_header_value", 1, sref("x-new"), sref("v"))}}},
		{name: "response body read needs buffer_response", trapResp: true, g: guestSpec{next: 1,
			response: []hcall{call(hh+"read_body", 1, outBuf, 64)}}},
		{name: "response header read after next", g: guestSpec{next: 1,
			response: []hcall{call(hh+"get_header_values", 1, sref("content-type"), outBuf, 64),
				call(hh + "get_status_code")}},
			check: func(t *testing.T, r abiResult) {
				wantStr(t, "value", r.out(11), "text/plain\x00")
				wantI32(t, "status", r.i32(resResp+8), 200)
			}},
		{name: "response edits with buffer_response", g: guestSpec{next: 1, init: bufferResponse,
			request: []hcall{call(hh+"set_header_value", 1, sref("x-new"), sref("v"))},
			response: []hcall{
				call(hh+"read_body", 1, outBuf, 5),
				call(hh+"set_status_code", 201),
				call(hh+"add_header_value", 1, sref("x-multi"), sref("c")),
			}},
			check: func(t *testing.T, r abiResult) {
				wantStr(t, "read", r.out(5), "upstr")
				wantI32(t, "status", int32(r.upstream.StatusCode), 201)
				wantStr(t, "header set before next", r.upstream.Header.Get("X-New"), "v")
				wantStr(t, "header added after next", r.upstream.Header.Get("X-Multi"), "c")
				b, _ := io.ReadAll(r.upstream.Body)
				wantStr(t, "body re-fed", string(b), "upstream body")
			}},
		{name: "response body replaced with buffer_response", g: guestSpec{next: 1, init: bufferResponse,
			response: []hcall{call(hh+"write_body", 1, sref("new")), call(hh+"write_body", 1, sref("v"))}},
			check: func(t *testing.T, r abiResult) {
				b, _ := io.ReadAll(r.upstream.Body)
				wantStr(t, "body", string(b), "newv")
				wantStr(t, "content-length", r.upstream.Header.Get("Content-Length"), "4")
				wantI32(t, "ContentLength", int32(r.upstream.ContentLength), 4)
			}},
	}
}
