package sdk

import (
	"bytes"
	"strings"
)

// splitCountLen splits the count_len result of a multi-value read function into the number of values and the total
// size in bytes of the NUL-terminated values.
func splitCountLen(v uint64) (count, size uint32) {
	return uint32(v >> 32), uint32(v)
}

// splitEOFLen splits the eof_len result of read_body.
func splitEOFLen(v uint64) (eof bool, n uint32) {
	return v>>32 == 1, uint32(v)
}

// firstValue returns the first value of a NUL-terminated list ("a\x00b\x00" gives "a").
func firstValue(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// appendValues appends the values of a NUL-terminated list to dst. It makes one string for all values; each value
// is a substring of it. The NULs are found with strings.IndexByte, whose wasm version scans a word at a time:
// a loop over each byte costs a deadline check per byte in the guest, microseconds for a long header value.
func appendValues(dst []string, b []byte) []string {
	if len(b) == 0 {
		return dst
	}
	s := strs.string(b)
	for {
		i := strings.IndexByte(s, 0)
		if i < 0 {
			return append(dst, s)
		}
		dst = append(dst, s[:i])
		if i == len(s)-1 {
			return dst
		}
		s = s[i+1:]
	}
}
