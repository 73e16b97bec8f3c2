package plugins

import (
	"errors"
	"fmt"

	"github.com/tetratelabs/wazero/api"
)

// errTrap marks the panics host functions raise to trap the guest; wazero recovers them into the Call error.
var errTrap = errors.New("guest trapped")

// Length caps applied before the host allocates anything for a guest-supplied length.
const (
	maxNameLen   = 8 << 10  // header names, property keys, methods
	maxValueLen  = 64 << 10 // header values, property values, URIs
	maxLogLen    = 4 << 10  // log messages are truncated to this
	maxIDLen     = 1 << 10  // credential IDs
	maxHashLen   = 64       // credential hashes
	maxBodyBytes = 16 << 20 // body bytes the host buffers for one request or response
)

// trap aborts the current guest call. Messages name the rule, never the guest's data (which may be a secret).
func trap(format string, args ...any) {
	panic(fmt.Errorf("%w: "+format, append([]any{errTrap}, args...)...))
}

// view returns the guest memory [ptr, ptr+n) as a write-through slice, trapping when it is out of bounds. The slice
// is only valid until the guest runs again (memory may grow and move): copy what must be kept.
func view(mem api.Memory, ptr, n uint32) []byte {
	if n == 0 {
		return nil
	}
	b, ok := mem.Read(ptr, n)
	if !ok {
		trap("out of bounds memory access (ptr %#x, len %#x)", ptr, n)
	}
	return b
}

// capped returns the guest bytes [ptr, ptr+n) after checking n against max.
func capped(mem api.Memory, ptr, n, max uint32, what string) []byte {
	if n > max {
		trap("%s longer than %d bytes", what, max)
	}
	return view(mem, ptr, n)
}

// readString copies guest bytes into a string, with n capped at max.
func readString(mem api.Memory, ptr, n, max uint32, what string) string {
	return string(capped(mem, ptr, n, max, what))
}

// writeValue applies the read-function rules: the value is written at buf only if it fits in limit; its full length
// is returned either way. A non-empty (buf, limit) range must lie inside memory.
func writeValue[T string | []byte](mem api.Memory, buf, limit uint32, value T) uint32 {
	dst := view(mem, buf, limit)
	if len(value) > maxBodyBytes {
		trap("value longer than %d bytes", maxBodyBytes)
	}
	n := uint32(len(value))
	if n <= limit {
		copy(dst, value)
	}
	return n
}

// writeList writes values as a NUL-terminated sequence when it fits in limit and returns count<<32 | total bytes.
func writeList(mem api.Memory, buf, limit uint32, values []string) uint64 {
	dst := view(mem, buf, limit)
	total := 0
	for _, v := range values {
		total += len(v) + 1
	}
	if total > maxBodyBytes {
		trap("list longer than %d bytes", maxBodyBytes)
	}
	if total > 0 && total <= int(limit) {
		off := 0
		for _, v := range values {
			off += copy(dst[off:], v)
			dst[off] = 0
			off++
		}
	}
	return uint64(len(values))<<32 | uint64(total)
}

// writeLowerList is writeList for names that are lower-cased while they are written.
func writeLowerList(mem api.Memory, buf, limit uint32, names []string) uint64 {
	dst := view(mem, buf, limit)
	total := 0
	for _, v := range names {
		total += len(v) + 1
	}
	if total > maxBodyBytes {
		trap("list longer than %d bytes", maxBodyBytes)
	}
	if total > 0 && total <= int(limit) {
		off := 0
		for _, v := range names {
			for i := 0; i < len(v); i++ {
				dst[off] = lower(v[i])
				off++
			}
			dst[off] = 0
			off++
		}
	}
	return uint64(len(names))<<32 | uint64(total)
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
