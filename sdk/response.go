//go:build wasip1

package sdk

import "portico/plugins/abi"

// Response is a view of the response. In the request handler it is the response the policy sends instead of calling
// the upstream (when the handler returns next=false). In the response handler it is the upstream response; changing
// it or reading its body requires abi.FeatureBufferResponse (see EnableFeatures).
type Response struct{}

// StatusCode returns the status code: the upstream's in the response handler, 200 by default.
func (Response) StatusCode() uint32 {
	return getStatusCode()
}

// SetStatus sets the status code.
func (Response) SetStatus(code uint32) {
	setStatusCode(code)
}

// Headers returns the response headers.
func (Response) Headers() Headers {
	return responseHeaders
}

// Body reads the whole upstream response body, in the response handler.
func (Response) Body() []byte {
	return readAll(abi.BodyResponse)
}

// WriteBody writes the response body. The first write of a handler replaces the body; later ones append.
func (Response) WriteBody(b []byte) {
	writeBody(abi.BodyResponse, ptr(b), uint32(len(b)))
}

// errorBody is reused for error bodies; the host copies what is written.
var errorBody []byte

// WriteError writes the gateway's JSON error response: status, Content-Type application/json and the body
// {"error": code, "message": message, "requestId": <the request.id property>}. code is one of the gateway's error
// codes ("unauthorized", "forbidden", ...); message must not reveal secrets. The request handler then returns
// next=false.
func (r Response) WriteError(status uint32, code, message string) {
	id := Property(abi.PropRequestID)
	errorBody = appendErrorBody(errorBody[:0], code, message, id)
	r.SetStatus(status)
	responseHeaders.Set("content-type", ErrorContentType)
	r.WriteBody(errorBody)
}
