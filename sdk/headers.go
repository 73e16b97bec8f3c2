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
		return strs.string(b[:len(b)-1]), true
	}
	return strs.string(firstValue(b)), true
}

// Values returns all values of header name, nil when it is absent.
func (h Headers) Values(name string) []string {
	count, b := h.read(name)
	switch {
	case count == 0:
		return nil
	case count == 1 && len(b) > 0 && b[len(b)-1] == 0: // the usual case: no need to look for separators
		return []string{strs.string(b[:len(b)-1])}
	}
	return appendValues(make([]string, 0, count), b)
}

// Peek returns the first value of header name and the number of values (0 when the header is absent) without
// copying: value is a view of the SDK's read buffer, valid only until the next call into the SDK (any view, property
// or host service), and must not be modified. It saves Get's allocation on a hot path that only inspects the value
// or hands it straight to the host, for example to [AuthenticateBytes].
func (h Headers) Peek(name string) (value []byte, count int) {
	n, size := splitCountLen(getHeaderValues(h.kind, name, &scratch[0], uint32(len(scratch))))
	switch {
	case n == 1 && size-1 < uint32(len(scratch)): // the usual case first: one value, NUL-terminated
		return scratch[:size-1], 1
	case n == 0:
		return nil, 0
	case size <= uint32(len(scratch)):
		return firstValue(scratch[:size]), int(n)
	}
	n, b := h.readAgain(name, size)
	return firstValue(b), int(n)
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

// read returns the number of values of header name and the NUL-terminated values, in scratch when they fit. It
// calls the host directly, not through readList's function value: each call level costs the guest a deadline check.
func (h Headers) read(name string) (count uint32, b []byte) {
	count, n := splitCountLen(getHeaderValues(h.kind, name, &scratch[0], uint32(len(scratch))))
	if n <= uint32(len(scratch)) {
		return count, scratch[:n]
	}
	return h.readAgain(name, n)
}

// readAgain reads the values of header name, n bytes in all, that did not fit in scratch.
func (h Headers) readAgain(name string, n uint32) (count uint32, b []byte) {
	return readListAgain(func(buf *byte, limit uint32) uint64 {
		return getHeaderValues(h.kind, name, buf, limit)
	}, n)
}

var (
	requestHeaders  = Headers{kind: abi.HeaderRequest}
	responseHeaders = Headers{kind: abi.HeaderResponse}
)
