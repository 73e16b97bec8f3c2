package plugins

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"portico/plugins/abi"
)

// hostFunc is one exported host function with its wasm signature.
type hostFunc struct {
	name            string
	fn              api.GoModuleFunc
	params, results []api.ValueType
}

const (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64
)

func sig(types ...api.ValueType) []api.ValueType { return types }

// httpHandlerFuncs implement the http-wasm http_handler module.
var httpHandlerFuncs = []hostFunc{
	{abi.FuncEnableFeatures, enableFeatures, sig(i32), sig(i32)},
	{abi.FuncGetConfig, getConfig, sig(i32, i32), sig(i32)},
	{abi.FuncLog, logMessage, sig(i32, i32, i32), nil},
	{abi.FuncLogEnabled, logEnabled, sig(i32), sig(i32)},
	{abi.FuncGetMethod, getMethod, sig(i32, i32), sig(i32)},
	{abi.FuncSetMethod, setMethod, sig(i32, i32), nil},
	{abi.FuncGetURI, getURI, sig(i32, i32), sig(i32)},
	{abi.FuncSetURI, setURI, sig(i32, i32), nil},
	{abi.FuncGetProtocolVersion, getProtocolVersion, sig(i32, i32), sig(i32)},
	{abi.FuncGetSourceAddr, getSourceAddr, sig(i32, i32), sig(i32)},
	{abi.FuncGetHeaderNames, getHeaderNames, sig(i32, i32, i32), sig(i64)},
	{abi.FuncGetHeaderValues, getHeaderValues, sig(i32, i32, i32, i32, i32), sig(i64)},
	{abi.FuncSetHeaderValue, setHeaderValue, sig(i32, i32, i32, i32, i32), nil},
	{abi.FuncAddHeaderValue, addHeaderValue, sig(i32, i32, i32, i32, i32), nil},
	{abi.FuncRemoveHeader, removeHeader, sig(i32, i32, i32), nil},
	{abi.FuncReadBody, readBody, sig(i32, i32, i32), sig(i64)},
	{abi.FuncWriteBody, writeBody, sig(i32, i32, i32), nil},
	{abi.FuncGetStatusCode, getStatusCode, nil, sig(i32)},
	{abi.FuncSetStatusCode, setStatusCode, sig(i32), nil},
}

func httpHandlerModule(rt wazero.Runtime) wazero.HostModuleBuilder {
	return hostModule(rt, abi.ModuleHTTPHandler, httpHandlerFuncs)
}

func hostModule(rt wazero.Runtime, name string, funcs []hostFunc) wazero.HostModuleBuilder {
	b := rt.NewHostModuleBuilder(name)
	for _, f := range funcs {
		b = b.NewFunctionBuilder().WithGoModuleFunction(f.fn, f.params, f.results).Export(f.name)
	}
	return b
}

func u32(v uint64) uint32 { return uint32(v) }

func enableFeatures(ctx context.Context, _ api.Module, stack []uint64) {
	st := stateOf(ctx)
	st.features = (st.features | u32(stack[0])) & supportedFeatures
	stack[0] = uint64(st.features)
}

func getConfig(ctx context.Context, mod api.Module, stack []uint64) {
	st := stateOf(ctx)
	stack[0] = uint64(writeValue(mod.Memory(), u32(stack[0]), u32(stack[1]), st.pool.config))
}

// slogLevel maps an http-wasm log level; ok is false for "none" and unknown levels.
func slogLevel(level int32) (slog.Level, bool) {
	switch level {
	case abi.LogDebug:
		return slog.LevelDebug, true
	case abi.LogInfo:
		return slog.LevelInfo, true
	case abi.LogWarn:
		return slog.LevelWarn, true
	case abi.LogError:
		return slog.LevelError, true
	}
	return 0, false
}

// logMessage never traps: bad arguments drop the message; long messages are cut.
func logMessage(ctx context.Context, mod api.Module, stack []uint64) {
	st, ok := lookupState(ctx)
	level, lok := slogLevel(int32(u32(stack[0])))
	if !ok || !lok || !st.pool.log.Enabled(ctx, level) {
		return
	}
	b, ok := mod.Memory().Read(u32(stack[1]), min(u32(stack[2]), maxLogLen))
	if !ok {
		return
	}
	st.pool.log.Log(ctx, level, string(b))
}

func logEnabled(ctx context.Context, _ api.Module, stack []uint64) {
	st := stateOf(ctx)
	level, ok := slogLevel(int32(u32(stack[0])))
	stack[0] = 0
	if ok && st.pool.log.Enabled(ctx, level) {
		stack[0] = 1
	}
}

func getMethod(ctx context.Context, mod api.Module, stack []uint64) {
	r := stateOf(ctx).exchange(abi.FuncGetMethod).current()
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	stack[0] = uint64(writeValue(mod.Memory(), u32(stack[0]), u32(stack[1]), method))
}

func setMethod(ctx context.Context, mod api.Module, stack []uint64) {
	x := stateOf(ctx).beforeNext(abi.FuncSetMethod)
	b := capped(mod.Memory(), u32(stack[0]), u32(stack[1]), maxNameLen, "method")
	checkToken(b, "method")
	x.writable().Method = string(b)
}

func getURI(ctx context.Context, mod api.Module, stack []uint64) {
	r := stateOf(ctx).exchange(abi.FuncGetURI).current()
	uri := "/"
	if r.URL != nil {
		uri = r.URL.RequestURI()
	}
	stack[0] = uint64(writeValue(mod.Memory(), u32(stack[0]), u32(stack[1]), uri))
}

// setURI replaces the path and query of the outbound request with an origin-form request target.
func setURI(ctx context.Context, mod api.Module, stack []uint64) {
	x := stateOf(ctx).beforeNext(abi.FuncSetURI)
	b := capped(mod.Memory(), u32(stack[0]), u32(stack[1]), maxValueLen, "uri")
	uri := "/"
	if len(b) > 0 {
		uri = string(b)
	}
	if uri[0] != '/' || strings.ContainsFunc(uri, func(c rune) bool { return c <= ' ' || c == 0x7f }) {
		trap("uri is not an origin-form request target")
	}
	u, err := url.ParseRequestURI(uri)
	if err != nil {
		trap("uri does not parse")
	}
	r := x.writable()
	if r.URL == nil {
		r.URL = &url.URL{}
	}
	r.URL.Path, r.URL.RawPath, r.URL.RawQuery, r.URL.ForceQuery = u.Path, u.RawPath, u.RawQuery, u.ForceQuery
	r.RequestURI = uri
}

func getProtocolVersion(ctx context.Context, mod api.Module, stack []uint64) {
	r := stateOf(ctx).exchange(abi.FuncGetProtocolVersion).current()
	proto := r.Proto
	if proto == "" {
		proto = "HTTP/1.1"
	}
	stack[0] = uint64(writeValue(mod.Memory(), u32(stack[0]), u32(stack[1]), proto))
}

func getSourceAddr(ctx context.Context, mod api.Module, stack []uint64) {
	r := stateOf(ctx).exchange(abi.FuncGetSourceAddr).current()
	stack[0] = uint64(writeValue(mod.Memory(), u32(stack[0]), u32(stack[1]), r.RemoteAddr))
}

func getHeaderNames(ctx context.Context, mod api.Module, stack []uint64) {
	st := stateOf(ctx)
	x := st.exchange(abi.FuncGetHeaderNames)
	switch kind := u32(stack[0]); kind {
	case abi.HeaderRequest:
		st.names = x.requestHeaderNames(st.names)
	case abi.HeaderResponse:
		st.names = headerNames(st.names, st.responseHeader(x, false), "")
	case abi.HeaderRequestTrailers, abi.HeaderResponseTrailers:
		st.names = st.names[:0]
	default:
		trap("unknown header kind %d", kind)
	}
	stack[0] = writeLowerList(mod.Memory(), u32(stack[1]), u32(stack[2]), st.names)
	clear(st.names)
}

func getHeaderValues(ctx context.Context, mod api.Module, stack []uint64) {
	st := stateOf(ctx)
	x := st.exchange(abi.FuncGetHeaderValues)
	mem := mod.Memory()
	name := capped(mem, u32(stack[1]), u32(stack[2]), maxNameLen, "header name")
	if len(name) == 0 {
		trap("empty header name")
	}
	var values []string
	switch kind := u32(stack[0]); kind {
	case abi.HeaderRequest:
		if r := x.current(); equalFold("host", name) {
			if r.Host != "" {
				st.one[0] = r.Host
				values = st.one[:]
			}
		} else {
			values = x.requestHeaderValues(name, &st.scratch)
		}
	case abi.HeaderResponse:
		values = headerValues(st.responseHeader(x, false), name, &st.scratch)
	case abi.HeaderRequestTrailers, abi.HeaderResponseTrailers:
	default:
		trap("unknown header kind %d", kind)
	}
	stack[0] = writeList(mem, u32(stack[3]), u32(stack[4]), values)
	st.one[0] = ""
}

// headerOp is an edit of a header.
type headerOp uint8

const (
	opSet headerOp = iota
	opAdd
	opRemove
)

func setHeaderValue(ctx context.Context, mod api.Module, stack []uint64) {
	editHeader(ctx, mod, stack, abi.FuncSetHeaderValue, opSet)
}

func addHeaderValue(ctx context.Context, mod api.Module, stack []uint64) {
	editHeader(ctx, mod, stack, abi.FuncAddHeaderValue, opAdd)
}

func removeHeader(ctx context.Context, mod api.Module, stack []uint64) {
	editHeader(ctx, mod, stack, abi.FuncRemoveHeader, opRemove)
}

// editHeader validates a guest's header edit and applies it to the request or response of the current phase.
func editHeader(ctx context.Context, mod api.Module, stack []uint64, fn string, op headerOp) {
	st := stateOf(ctx)
	x := st.exchange(fn)
	mem := mod.Memory()
	name := capped(mem, u32(stack[1]), u32(stack[2]), maxNameLen, "header name")
	checkToken(name, "header name")
	var value []byte
	if op != opRemove {
		value = capped(mem, u32(stack[3]), u32(stack[4]), maxValueLen, "header value")
		checkFieldValue(value, "header value")
	}
	key, val := http.CanonicalHeaderKey(string(name)), string(value)
	switch kind := u32(stack[0]); kind {
	case abi.HeaderRequest:
		st.beforeNext(fn)
		x.editRequestHeader(op, key, val)
	case abi.HeaderResponse:
		if st.phase == phaseResponse && st.features&abi.FeatureBufferResponse == 0 {
			trap("%s on the response after next requires buffer_response", fn)
		}
		applyHeaderOp(st.responseHeader(x, true), op, key, val)
	case abi.HeaderRequestTrailers, abi.HeaderResponseTrailers:
		trap("trailers are not supported")
	default:
		trap("unknown header kind %d", kind)
	}
}

func applyHeaderOp(h http.Header, op headerOp, key, val string) {
	switch op {
	case opSet:
		deleteFold(h, key)
		h[key] = []string{val}
	case opAdd:
		h[key] = append(h[key], val)
	case opRemove:
		deleteFold(h, key)
	}
}

func readBody(ctx context.Context, mod api.Module, stack []uint64) {
	st := stateOf(ctx)
	x := st.exchange(abi.FuncReadBody)
	limit := u32(stack[2])
	if limit == 0 {
		trap("read_body with buf_limit 0")
	}
	dst := view(mod.Memory(), u32(stack[1]), limit)
	switch kind := u32(stack[0]); kind {
	case abi.BodyRequest:
		st.beforeNext(abi.FuncReadBody)
		buffered := st.features&abi.FeatureBufferRequest != 0
		stack[0] = readInto(x.writable().Body, dst, &st.reqBody, buffered)
	case abi.BodyResponse:
		if st.phase != phaseResponse {
			trap("reading the response body before next")
		}
		if st.features&abi.FeatureBufferResponse == 0 {
			trap("reading the response body requires buffer_response")
		}
		var body io.Reader
		if x.upstream != nil {
			body = x.upstream.Body
		}
		stack[0] = readInto(body, dst, &st.respBody, true)
	default:
		trap("unknown body kind %d", kind)
	}
}

// readInto fills dst from body until it is full or the body ends and returns eof<<32 | n. Buffered bytes are kept
// to be fed back to the next reader.
func readInto(body io.Reader, dst []byte, bc *bodyCall, buffered bool) uint64 {
	if body == nil {
		return 1 << 32
	}
	n, err := io.ReadFull(body, dst)
	eof := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
	if err != nil && !eof {
		trap("reading body: %v", err)
	}
	if buffered {
		if len(bc.read)+n > maxBodyBytes {
			trap("buffered body longer than %d bytes", maxBodyBytes)
		}
		bc.read = append(bc.read, dst[:n]...)
	} else {
		bc.dropped += int64(n)
	}
	var flag uint64
	if eof {
		flag = 1 << 32
	}
	return flag | uint64(n)
}

func writeBody(ctx context.Context, mod api.Module, stack []uint64) {
	st := stateOf(ctx)
	x := st.exchange(abi.FuncWriteBody)
	b := capped(mod.Memory(), u32(stack[1]), u32(stack[2]), maxBodyBytes, "body")
	switch kind := u32(stack[0]); kind {
	case abi.BodyRequest:
		st.beforeNext(abi.FuncWriteBody)
		appendBody(&st.reqBody, b)
	case abi.BodyResponse:
		if st.phase == phaseResponse {
			if st.features&abi.FeatureBufferResponse == 0 {
				trap("writing the response body after next requires buffer_response")
			}
			if x.upstream != nil {
				appendBody(&st.respBody, b)
				return
			}
		}
		if !st.respBody.wrote {
			st.respBody.wrote = true
			x.body = x.body[:0]
		}
		if len(x.body)+len(b) > maxBodyBytes {
			trap("response body longer than %d bytes", maxBodyBytes)
		}
		x.body = append(x.body, b...)
	default:
		trap("unknown body kind %d", kind)
	}
}

// appendBody records a write: the first one of a call starts a new body.
func appendBody(bc *bodyCall, b []byte) {
	if !bc.wrote {
		bc.wrote = true
		bc.written = make([]byte, 0, len(b))
	}
	if len(bc.written)+len(b) > maxBodyBytes {
		trap("body longer than %d bytes", maxBodyBytes)
	}
	bc.written = append(bc.written, b...)
}

func getStatusCode(ctx context.Context, _ api.Module, stack []uint64) {
	st := stateOf(ctx)
	x := st.exchange(abi.FuncGetStatusCode)
	if st.phase == phaseResponse && x.upstream != nil {
		stack[0] = uint64(uint32(x.upstream.StatusCode))
		return
	}
	stack[0] = uint64(x.guestStatus())
}

func setStatusCode(ctx context.Context, _ api.Module, stack []uint64) {
	st := stateOf(ctx)
	x := st.exchange(abi.FuncSetStatusCode)
	code := int(u32(stack[0]))
	if code < 100 || code > 999 {
		trap("status code %d out of range", code)
	}
	if st.phase == phaseResponse {
		if st.features&abi.FeatureBufferResponse == 0 {
			trap("set_status_code after next requires buffer_response")
		}
		if x.upstream != nil {
			x.upstream.StatusCode = code
			x.upstream.Status = strconv.Itoa(code) + " " + http.StatusText(code)
			return
		}
	}
	x.status = code
}
