package plugins

import (
	"net/http"
	"slices"
)

// isTokenChar reports whether c may appear in an HTTP token (RFC 9110 tchar): header names and methods.
func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// checkToken traps unless b is a non-empty token.
func checkToken(b []byte, what string) {
	if len(b) == 0 {
		trap("empty %s", what)
	}
	for _, c := range b {
		if !isTokenChar(c) {
			trap("invalid character %#x in %s", c, what)
		}
	}
}

// checkFieldValue traps on CR, LF, NUL and the other control characters a header value must not hold (HTAB is
// allowed).
func checkFieldValue(b []byte, what string) {
	for _, c := range b {
		if (c < 0x20 && c != '\t') || c == 0x7f {
			trap("invalid character %#x in %s", c, what)
		}
	}
}

// equalFold compares an ASCII header name with guest bytes, ignoring case.
func equalFold(s string, b []byte) bool {
	if len(s) != len(b) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if lower(s[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

// canonicalInto writes the canonical MIME form of name (as http.CanonicalHeaderKey) into dst, reusing its capacity.
func canonicalInto(dst, name []byte) []byte {
	dst = dst[:0]
	up := true
	for _, c := range name {
		if up && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		} else if !up && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
		up = c == '-'
	}
	return dst
}

// headerValues returns the values of name in h without allocating: a canonical lookup first, then a case-insensitive
// scan for keys stored in another form.
func headerValues(h http.Header, name []byte, scratch *[]byte) []string {
	*scratch = canonicalInto(*scratch, name)
	if v, ok := h[string(*scratch)]; ok {
		return v
	}
	for k, v := range h {
		if equalFold(k, name) {
			return v
		}
	}
	return nil
}

// headerNames fills names with the keys of h sorted case-insensitively, plus "host" when host is not empty; keys
// that differ only in case appear once.
func headerNames(names []string, h http.Header, host string) []string {
	names = names[:0]
	for k := range h {
		names = append(names, k)
	}
	if host != "" && !hasFold(names, "host") {
		names = append(names, "host")
	}
	slices.SortFunc(names, compareFold)
	return slices.CompactFunc(names, func(a, b string) bool { return compareFold(a, b) == 0 })
}

func hasFold(names []string, name string) bool {
	for _, n := range names {
		if compareFold(n, name) == 0 {
			return true
		}
	}
	return false
}

// compareFold orders ASCII strings by their lower-case form.
func compareFold(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := lower(a[i]), lower(b[i])
		if x != y {
			return int(x) - int(y)
		}
	}
	return len(a) - len(b)
}

// deleteFold removes every key of h equal to name ignoring case.
func deleteFold(h http.Header, name string) {
	for k := range h {
		if compareFold(k, name) == 0 {
			delete(h, k)
		}
	}
}
