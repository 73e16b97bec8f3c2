//go:build wasip1

package sdk

// RequestHandler handles a request before the upstream call. It returns next=true to pass the request on, or
// next=false after writing a response with resp (a response with nothing written is an empty 200). reqCtx is handed
// back to the response handler of the same request.
type RequestHandler func(req Request, resp Response) (next bool, reqCtx uint32)

// ResponseHandler handles the response of a request its request handler passed on. isError reports that the upstream
// call failed. It runs right after the upstream call: registered with HandleResponse, on the same instance as the
// request handler; with HandleResponseAnyInstance, on any instance of the policy.
type ResponseHandler func(reqCtx uint32, req Request, resp Response, isError bool)

var (
	requestHandler  RequestHandler
	responseHandler ResponseHandler
)

// HandleRequest registers the request handler. Call it from init. Without one, every request is passed on.
func HandleRequest(h RequestHandler) {
	requestHandler = h
}

// HandleResponse registers the response handler. Call it from init. Without one, the instance is released as soon as
// the request handler returns, before the upstream call.
func HandleResponse(h ResponseHandler) {
	responseHandler = h
}

// HandleResponseAnyInstance registers the response handler like HandleResponse, and declares that it needs nothing
// from the request handler but reqCtx: no state of the request is kept in variables between the two handlers. The
// host then frees the instance while the upstream call runs and runs the handler on whichever instance is free, so
// requests waiting on a slow upstream do not each hold an instance (with HandleResponse, a policy has at most as many
// requests in flight as its pool has instances). Prefer it whenever reqCtx can carry what the response needs. Call
// it from init.
func HandleResponseAnyInstance(h ResponseHandler) {
	responseHandler = h
	responseAnyInstance()
}

// handleRequest is the abi.ExportHandleRequest export.
//
//go:wasmexport handle_request
func handleRequest() uint64 {
	next, reqCtx := true, uint32(0)
	if requestHandler != nil {
		next, reqCtx = requestHandler(Request{}, Response{})
	}
	if !next {
		return uint64(reqCtx) << 32
	}
	if responseHandler == nil {
		skipResponse()
	}
	return uint64(reqCtx)<<32 | 1
}

// handleResponse is the abi.ExportHandleResponse export.
//
//go:wasmexport handle_response
func handleResponse(reqCtx, isError uint32) {
	if responseHandler != nil {
		responseHandler(reqCtx, Request{}, Response{}, isError == 1)
	}
}
