//go:build wasip1

package sdk

// RequestHandler handles a request before the upstream call. It returns next=true to pass the request on, or
// next=false after writing a response with resp (a response with nothing written is an empty 200). reqCtx is handed
// back to the response handler of the same request.
type RequestHandler func(req Request, resp Response) (next bool, reqCtx uint32)

// ResponseHandler handles the response of a request its request handler passed on. isError reports that the upstream
// call failed. It runs on the same instance as the request handler, right after the upstream call.
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
