package sdk

import "unsafe"

// arenaChunk is the size of the blocks an arena carves strings from; values longer than a quarter of it get their
// own allocation.
const arenaChunk = 4096

// arena makes the strings the SDK returns. A guest allocation costs most of a microsecond: the allocator's many
// calls and branches each exit to the host's deadline check. An arena copies values into the free end of a block
// and allocates one block per arenaChunk bytes of values instead of one per value.
//
// The bytes of a returned string are never written again, so it is an ordinary immutable string; like any pointer
// into the block, it keeps the whole block alive while it is referenced.
type arena struct {
	free []byte // unused end of the current block
}

// strs makes every string the SDK returns. An instance runs one call at a time.
var strs arena

// string returns a copy of b as a string.
func (a *arena) string(b []byte) string {
	n := len(b)
	switch {
	case n == 0:
		return ""
	case n > arenaChunk/4:
		return string(b)
	case n > len(a.free):
		a.free = make([]byte, arenaChunk)
	}
	copy(a.free, b)
	s := unsafe.String(&a.free[0], n)
	a.free = a.free[n:]
	return s
}
