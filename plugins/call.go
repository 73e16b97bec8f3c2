package plugins

import (
	"context"
	"net/http"

	"portico/plugins/abi"
)

// phase is the part of the request a guest call belongs to.
type phase uint8

const (
	phaseInit     phase = iota // _start / _initialize while instantiating
	phaseRequest               // handle_request: before next
	phaseResponse              // handle_response: after next
)

// supportedFeatures are the http-wasm features this host implements (no trailers).
const supportedFeatures = abi.FeatureBufferRequest | abi.FeatureBufferResponse

// callState is what host functions see of the current guest call. Each instance owns one, reused for every call:
// an instance serves one call at a time.
type callState struct {
	pool     *Pool
	x        *Exchange // nil during phaseInit
	phase    phase
	features uint32 // in effect for the current request (init-time features plus those enabled during it)
	skip     bool   // skip_response was called during handle_request

	anyInstance bool // response_any_instance was called during initialisation

	reqBody  bodyCall // request body activity of the current call
	respBody bodyCall // response body activity of the current call

	scratch []byte    // canonical header names
	names   []string  // header names being listed
	one     [1]string // single-value results (the host header)
}

// bodyCall records what one guest call did to a body.
type bodyCall struct {
	read    []byte // bytes read while buffering, fed back to the next reader
	dropped int64  // bytes read without buffering: gone
	written []byte // bytes written; replaces the body after the call
	wrote   bool
}

// initCtx carries the call state to host functions while an instance starts (_start / _initialize).
type initCtx struct {
	context.Context
	st *callState
}

type stateKey struct{}

// Value implements context.Context.
func (c *initCtx) Value(key any) any {
	if _, ok := key.(stateKey); ok {
		return c.st
	}
	return c.Context.Value(key)
}

// stateOf returns the call state of a host function call; it traps when the call did not come from this host.
func stateOf(ctx context.Context) *callState {
	st, ok := lookupState(ctx)
	if !ok {
		trap("host function called outside a guest call")
	}
	return st
}

func lookupState(ctx context.Context) (*callState, bool) {
	switch c := ctx.(type) {
	case *callCtx:
		return c.st, true
	case *initCtx:
		return c.st, true
	}
	st, ok := ctx.Value(stateKey{}).(*callState)
	return st, ok
}

// exchange returns the current request's exchange, trapping during initialisation.
func (st *callState) exchange(fn string) *Exchange {
	if st.x == nil {
		trap("%s called outside a request", fn)
	}
	return st.x
}

// beforeNext traps unless the guest is in handle_request.
func (st *callState) beforeNext(fn string) *Exchange {
	x := st.exchange(fn)
	if st.phase != phaseRequest {
		trap("%s called after next", fn)
	}
	return x
}

// begin prepares the state for a handle_request or handle_response call on x.
func (st *callState) begin(x *Exchange, ph phase, initFeatures uint32) {
	st.x = x
	st.phase = ph
	if ph == phaseRequest {
		st.features = initFeatures
		st.skip = false
	}
	st.reqBody = bodyCall{}
	st.respBody = bodyCall{}
}

// end applies the body effects of the call to the exchange and drops the reference to it.
func (st *callState) end() {
	x := st.x
	st.x = nil
	if x == nil {
		return
	}
	if st.reqBody.wrote || st.reqBody.dropped > 0 || len(st.reqBody.read) > 0 {
		x.applyRequestBody(&st.reqBody)
	}
	if st.respBody.wrote || len(st.respBody.read) > 0 {
		x.applyResponseBody(&st.respBody, st.phase)
	}
	st.reqBody = bodyCall{}
	st.respBody = bodyCall{}
}

// responseHeader returns the response header map guests read and write in the current phase, and whether it is the
// upstream's.
func (st *callState) responseHeader(x *Exchange, create bool) http.Header {
	if st.phase == phaseResponse && x.upstream != nil {
		if x.upstream.Header == nil && create {
			x.upstream.Header = http.Header{}
		}
		return x.upstream.Header
	}
	if x.header == nil && create {
		x.header = http.Header{}
	}
	return x.header
}

var _ context.Context = (*initCtx)(nil)
