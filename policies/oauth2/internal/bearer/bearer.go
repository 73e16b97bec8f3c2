// Package bearer reads the OAuth2 access token of a request's Authorization header (RFC 6750 section 2.1) and checks
// the scopes the host granted it, for the oauth2 policy's request handler. It works on byte slices, which may be
// views of the SDK's read buffer, and allocates nothing.
//
// It is written for the cost model of a Go guest (see RATIONALE.md): with the call deadlines the host enforces,
// every jump the guest takes, including each loop iteration, and every entry into a function that has one exits to
// the host's deadline check, about 30 ns each, far more than the arithmetic between them. The runtime's byte search
// and comparison loop once per byte or word. So the common path falls through its checks, calls only helpers
// without a jump (no bounds check either), and checks a token 128 bytes per loop iteration.
package bearer

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// MaxTokenLen bounds the access tokens the policy hands to the host; longer ones are refused as invalid tokens
// without being parsed. Real JWTs stay far below it, even with many claims.
const MaxTokenLen = 16 << 10

// Presence is what the Authorization header of a request holds.
type Presence int

const (
	None      Presence = iota // no Authorization header, an empty one, or another scheme (RFC 6750 section 3.1)
	Found                     // exactly one header: scheme Bearer and a well-formed token
	Malformed                 // scheme Bearer without a well-formed token
	Several                   // more than one Authorization header
)

// bearerWord is "bearer" read as a little-endian integer; lower6 sets bit 5 of its six bytes, which lower-cases
// ASCII letters and maps no other byte to a letter of "bearer".
const (
	bearerWord = 'b' | 'e'<<8 | 'a'<<16 | 'r'<<24 | 'e'<<32 | 'r'<<40
	lower6     = 0x202020202020
)

// Token finds the access token in v, the first of count values of the Authorization header: scheme "Bearer" (any
// case), one or more spaces and a b64token, nothing after it. The token is a sub-slice of v. Tokens longer than
// MaxTokenLen are returned unchecked, for the caller to refuse.
func Token(v []byte, count int) (token []byte, p Presence) {
	if count > 1 {
		return nil, Several
	}
	if len(v) <= len("bearer ") {
		return shortToken(v)
	}
	// The scheme is what precedes the first space. Only ASCII letters fold to those of "bearer" (strings.EqualFold
	// adds no other rune for them).
	w := uint64(binary.LittleEndian.Uint32(v)) | uint64(binary.LittleEndian.Uint16(v[4:6]))<<32
	if w|lower6 != bearerWord || v[6] != ' ' {
		return nil, None
	}
	token = v[7:]
	n := len(token)
	if n < 2*blockLen || n > MaxTokenLen || token[0] == ' ' || token[n-1] == '=' {
		return otherToken(token)
	}
	// The common case, a JWT: no extra space, no padding, at least two blocks.
	var bad byte
	i := 0
	for ; n-i > 2*blockLen; i += 2 * blockLen {
		bad |= invalid((*[blockLen]byte)(token[i:])) | invalid((*[blockLen]byte)(token[i+blockLen:]))
	}
	// The last two blocks overlap those before them.
	bad |= invalid((*[blockLen]byte)(token[n-2*blockLen:])) | invalid((*[blockLen]byte)(token[n-blockLen:]))
	if bad != 0 {
		return nil, Malformed
	}
	return token, Found
}

// shortToken is Token for a value of at most seven bytes: "Bearer" alone is malformed, "Bearer " has an empty token.
func shortToken(v []byte) (token []byte, p Presence) {
	if len(v) < len("bearer") {
		return nil, None
	}
	w := uint64(binary.LittleEndian.Uint32(v)) | uint64(binary.LittleEndian.Uint16(v[4:6]))<<32
	if w|lower6 != bearerWord || len(v) == len("bearer ") && v[6] != ' ' {
		return nil, None
	}
	return nil, Malformed
}

// otherToken is Token for what follows "Bearer " when it is short, long, starts with a space or ends with padding.
func otherToken(token []byte) ([]byte, Presence) {
	for len(token) > 0 && token[0] == ' ' {
		token = token[1:]
	}
	if len(token) > MaxTokenLen {
		return token, Found
	}
	if !isB64Token(token) {
		return nil, Malformed
	}
	return token, Found
}

// blockLen is the number of bytes invalid checks.
const blockLen = 64

// isB64Token reports whether s is 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isB64Token(s []byte) bool {
	n := len(s)
	for n > 0 && s[n-1] == '=' {
		n--
	}
	if n < blockLen {
		b := validBlock
		copy(b[:], s[:n])
		return n > 0 && invalid(&b) == 0
	}
	var bad byte
	for i := 0; n-i > blockLen; i += blockLen {
		bad |= invalid((*[blockLen]byte)(s[i:]))
	}
	return bad|invalid((*[blockLen]byte)(s[n-blockLen:n])) == 0
}

// validBlock is a block of bytes of a b64token, which short tokens are copied into.
var validBlock = func() (b [blockLen]byte) {
	for i := range b {
		b[i] = 'A'
	}
	return b
}()

// notB64 marks with 1 the bytes that are not those of a b64token before its padding: ALPHA / DIGIT / "-" / "." /
// "_" / "~" / "+" / "/".
var notB64 = func() (t [256]byte) {
	for i := range t {
		t[i] = 1
	}
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/") {
		t[c] = 0
	}
	return t
}()

// invalid returns 1 when a byte of b is not one of a b64token before its padding, else 0. It is straight-line code
// that loads eight bytes at a time.
func invalid(b *[blockLen]byte) byte {
	le := binary.LittleEndian
	return invalid8(le.Uint64(b[0:8])) | invalid8(le.Uint64(b[8:16])) | invalid8(le.Uint64(b[16:24])) |
		invalid8(le.Uint64(b[24:32])) | invalid8(le.Uint64(b[32:40])) | invalid8(le.Uint64(b[40:48])) |
		invalid8(le.Uint64(b[48:56])) | invalid8(le.Uint64(b[56:64]))
}

// invalid8 is invalid for the eight bytes of w.
func invalid8(w uint64) byte {
	t := &notB64
	return t[byte(w)] | t[byte(w>>8)] | t[byte(w>>16)] | t[byte(w>>24)] |
		t[byte(w>>32)] | t[byte(w>>40)] | t[byte(w>>48)] | t[byte(w>>56)]
}

// HasScope reports whether the space-separated list granted holds scope; an empty scope is never held. For a list
// of at most 64 bytes and a scope of at most 16, it finds the words of scope's length with bit operations on a map
// of the spaces and compares them eight bytes at a time, without a scanning loop.
func HasScope(granted []byte, scope string) bool {
	n := len(scope)
	if n == 0 || n > len(granted) {
		return false
	}
	if len(granted) > mapLen || n > 16 {
		return hasScopeLong(granted, scope)
	}
	b := noSpaces
	copy(b[:], granted)
	spaces := spaceMap((*[mapLen]byte)(b[:mapLen]))
	var s [16]byte
	copy(s[:], scope)
	s0, s1 := binary.LittleEndian.Uint64(s[0:8]), binary.LittleEndian.Uint64(s[8:16])
	m0, m1 := byteMask(n), byteMask(n-8)
	// A candidate starts a word (at 0 or after a space) and is followed by a space or the end of the list.
	cands := (spaces<<1 | 1) & (spaces>>n | 1<<(len(granted)-n))
	for ; cands != 0; cands &= cands - 1 {
		p := bits.TrailingZeros64(cands) // below mapLen
		w := (*[16]byte)(b[p : p+16])
		diff := (binary.LittleEndian.Uint64(w[0:8])^s0)&m0 | (binary.LittleEndian.Uint64(w[8:16])^s1)&m1
		if diff == 0 && spaces>>p&(1<<n-1) == 0 {
			return true
		}
	}
	return false
}

// mapLen is the longest scope list HasScope maps; noSpaces, which the list is copied into, has room for a scope of
// 16 bytes after its last byte.
const mapLen = 64

var noSpaces = func() (b [mapLen + 16]byte) {
	for i := range b {
		b[i] = 0xff
	}
	return b
}()

// byteMask returns a word whose low n bytes are 0xff (n clamped to [0, 8]).
func byteMask(n int) uint64 {
	return 1<<(8*uint(min(max(n, 0), 8))) - 1
}

const (
	lsb   = 0x0101010101010101 // the low bit of each byte
	low7  = 0x7f7f7f7f7f7f7f7f // the low seven bits of each byte
	space = ' ' * lsb          // eight spaces
)

// spaceMap returns the map of the spaces of b: bit i is set when b[i] is a space.
func spaceMap(b *[mapLen]byte) uint64 {
	le := binary.LittleEndian
	return spaces8(le.Uint64(b[0:8])) | spaces8(le.Uint64(b[8:16]))<<8 |
		spaces8(le.Uint64(b[16:24]))<<16 | spaces8(le.Uint64(b[24:32]))<<24 |
		spaces8(le.Uint64(b[32:40]))<<32 | spaces8(le.Uint64(b[40:48]))<<40 |
		spaces8(le.Uint64(b[48:56]))<<48 | spaces8(le.Uint64(b[56:64]))<<56
}

// spaces8 returns the map of the spaces among the eight bytes of w, in its low eight bits.
func spaces8(w uint64) uint64 {
	x := w ^ space
	zero := ^((x&low7 + low7) | x | low7)         // the high bit of each zero byte; no borrow crosses bytes
	return (zero >> 7) * 0x0102040810204080 >> 56 // gathers the high bit of each byte
}

// hasScopeLong is HasScope for long lists or scopes: a loop over the words.
func hasScopeLong(granted []byte, scope string) bool {
	for len(granted) > 0 {
		i := bytes.IndexByte(granted, ' ')
		if i < 0 {
			return string(granted) == scope
		}
		if string(granted[:i]) == scope {
			return true
		}
		granted = granted[i+1:]
	}
	return false
}
