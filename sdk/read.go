//go:build wasip1

package sdk

// scratch receives the results of read functions. Most values fit; longer ones are read again into a buffer of the
// size the host reported. An instance runs one call at a time, so one buffer serves every read; a result in scratch
// is only valid until the next read.
var scratch [2048]byte

// ptr returns a pointer to the first byte of b, or nil when b is empty (the host accepts (0, 0)).
func ptr(b []byte) *byte {
	if len(b) == 0 {
		return nil
	}
	return &b[0]
}

// readBytes calls a read function and returns the value, in scratch when it fits.
func readBytes(read func(buf *byte, limit uint32) uint32) []byte {
	n := read(&scratch[0], uint32(len(scratch)))
	if n <= uint32(len(scratch)) {
		return scratch[:n]
	}
	return readAgain(read, n)
}

// readAgain reads a value of n bytes that did not fit in scratch into a buffer of its own.
func readAgain(read func(buf *byte, limit uint32) uint32, n uint32) []byte {
	buf := make([]byte, n)
	if m := read(&buf[0], n); m != n {
		panic("sdk: value changed size between reads")
	}
	return buf
}

// readList calls a multi-value read function and returns the number of values and the NUL-terminated values, in
// scratch when they fit.
func readList(read func(buf *byte, limit uint32) uint64) (count uint32, b []byte) {
	count, n := splitCountLen(read(&scratch[0], uint32(len(scratch))))
	if n <= uint32(len(scratch)) {
		return count, scratch[:n]
	}
	return readListAgain(read, n)
}

// readListAgain reads values of n bytes in all that did not fit in scratch into a buffer of their own.
func readListAgain(read func(buf *byte, limit uint32) uint64, n uint32) (count uint32, b []byte) {
	buf := make([]byte, n)
	count, m := splitCountLen(read(&buf[0], n))
	if m != n {
		panic("sdk: value changed size between reads")
	}
	return count, buf
}

// readString is readBytes returning a copy.
func readString(read func(buf *byte, limit uint32) uint32) string {
	return strs.string(readBytes(read))
}

// maxEmptyReads bounds the number of read_body calls in a row that return neither data nor EOF.
const maxEmptyReads = 64

// readAll reads a body to its end.
func readAll(kind uint32) []byte {
	var out []byte
	for empty := 0; empty < maxEmptyReads; {
		if cap(out)-len(out) < len(scratch) {
			out = append(out, make([]byte, len(scratch))...)[:len(out)]
		}
		spare := out[len(out):cap(out)]
		eof, n := splitEOFLen(readBody(kind, &spare[0], uint32(len(spare))))
		if n > uint32(len(spare)) {
			panic("sdk: read_body returned more than asked")
		}
		out = out[:len(out)+int(n)]
		if eof {
			return out
		}
		if n == 0 {
			empty++
		} else {
			empty = 0
		}
	}
	panic("sdk: read_body makes no progress")
}
