//go:build wasip1

package sdk

import "portico/plugins/abi"

// Headers is a view of the request or response headers. Names are case-insensitive; the host reports them
// lower-cased, with "host" among the request headers.
type Headers struct {
	kind uint32 // abi.HeaderRequest or abi.HeaderResponse
}

// Names returns the header names, lower-cased and sorted.
func (h Headers) Names() []string {
	_, b := readList(func(buf *byte, limit uint32) uint64 {
		return getHeaderNames(h.kind, buf, limit)
	})
	return appendValues(nil, b)
}

// Get returns the first value of header name and whether the header is present.
func (h Headers) Get(name string) (value string, ok bool) {
	count, b := h.read(name)
	switch {
	case count == 0:
		return "", false
	case count == 1 && len(b) > 0: // the usual case: no need to look for the end of the first value
		return string(b[:len(b)-1]), true
	}
	return string(firstValue(b)), true
}

// Values returns all values of header name, nil when it is absent.
func (h Headers) Values(name string) []string {
	count, b := h.read(name)
	switch {
	case count == 0:
		return nil
	case count == 1 && len(b) > 0 && b[len(b)-1] == 0: // the usual case: no need to look for separators
		return []string{string(b[:len(b)-1])}
	}
	return appendValues(make([]string, 0, count), b)
}

// Set replaces all values of header name with value. Names and values must not contain CR, LF or NUL.
func (h Headers) Set(name, value string) {
	setHeaderValue(h.kind, name, value)
}

// Add appends a value to header name.
func (h Headers) Add(name, value string) {
	addHeaderValue(h.kind, name, value)
}

// Remove deletes header name.
func (h Headers) Remove(name string) {
	removeHeader(h.kind, name)
}

func (h Headers) read(name string) (count uint32, b []byte) {
	return readList(func(buf *byte, limit uint32) uint64 {
		return getHeaderValues(h.kind, name, buf, limit)
	})
}

var (
	requestHeaders  = Headers{kind: abi.HeaderRequest}
	responseHeaders = Headers{kind: abi.HeaderResponse}
)
