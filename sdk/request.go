//go:build wasip1

package sdk

import "portico/plugins/abi"

// Request is a view of the current request. In the request handler the request can be edited: the edits apply to
// the request sent upstream, never to what earlier policies saw. In the response handler it is read-only.
type Request struct{}

// Method returns the request method, for example "GET".
func (Request) Method() string {
	b := readBytes(getMethod)
	switch string(b) { // common methods without allocating
	case "GET":
		return "GET"
	case "POST":
		return "POST"
	case "PUT":
		return "PUT"
	case "DELETE":
		return "DELETE"
	case "PATCH":
		return "PATCH"
	case "HEAD":
		return "HEAD"
	case "OPTIONS":
		return "OPTIONS"
	}
	return strs.string(b)
}

// SetMethod changes the method of the request sent upstream. It must not be empty.
func (Request) SetMethod(method string) {
	setMethod(method)
}

// URI returns the percent-encoded request target: path and, if any, "?" and the query.
func (Request) URI() string {
	return readString(getURI)
}

// SetURI replaces the path and query of the request sent upstream; without "?" the query is removed.
func (Request) SetURI(uri string) {
	setURI(uri)
}

// ProtocolVersion returns the HTTP version of the request, for example "HTTP/1.1".
func (Request) ProtocolVersion() string {
	b := readBytes(getProtocolVersion)
	switch string(b) {
	case "HTTP/1.1":
		return "HTTP/1.1"
	case "HTTP/2.0":
		return "HTTP/2.0"
	}
	return strs.string(b)
}

// SourceAddr returns the client address as "ip:port" ("[ip]:port" for IPv6).
func (Request) SourceAddr() string {
	return readString(getSourceAddr)
}

// Header returns the first value of request header name and whether it is present. It is a shortcut for
// Headers().Get(name).
func (Request) Header(name string) (value string, ok bool) {
	return requestHeaders.Get(name)
}

// Headers returns the request headers.
func (Request) Headers() Headers {
	return requestHeaders
}

// Body reads the whole request body. It enables abi.FeatureBufferRequest for the current request first, so the
// upstream still receives the body.
func (Request) Body() []byte {
	enableFeatures(abi.FeatureBufferRequest)
	return readAll(abi.BodyRequest)
}

// SetBody replaces the body of the request sent upstream.
func (Request) SetBody(b []byte) {
	writeBody(abi.BodyRequest, ptr(b), uint32(len(b)))
}
