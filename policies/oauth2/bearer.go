//go:build wasip1

package main

import "strings"

// maxTokenLen bounds the access tokens the policy hands to the host; longer ones are refused as invalid tokens
// without being parsed. Real JWTs stay far below it, even with many claims.
const maxTokenLen = 16 << 10

// presence is what the Authorization header of a request holds.
type presence int

const (
	noBearer  presence = iota // no Authorization header, an empty one, or another scheme (RFC 6750 section 3.1)
	bearer                    // exactly one header: scheme Bearer and a well-formed token
	malformed                 // scheme Bearer without a well-formed token
	several                   // more than one Authorization header
)

// bearerToken finds the access token in the values of the Authorization header: scheme "Bearer" (any case), one or
// more spaces and a b64token (RFC 6750 section 2.1).
func bearerToken(values []string) (token string, p presence) {
	switch {
	case len(values) > 1:
		return "", several
	case len(values) == 0 || values[0] == "":
		return "", noBearer
	}
	v := values[0]
	scheme, rest, found := strings.Cut(v, " ")
	if !strings.EqualFold(scheme, "bearer") {
		return "", noBearer
	}
	token = strings.TrimLeft(rest, " ")
	if !found || !isB64Token(token) {
		return "", malformed
	}
	return token, bearer
}

// b64Chars marks the bytes of a b64token before its padding: ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/".
var b64Chars = func() (t [256]byte) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/") {
		t[c] = 1
	}
	return t
}()

// isB64Token reports whether s is 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=". Tokens longer than
// maxTokenLen pass unchecked: the caller refuses them by length.
//
// The loop checks eight bytes per iteration: in the guest every loop iteration pays a deadline check that costs
// more than the table lookups, and tokens run to a kilobyte.
func isB64Token(s string) bool {
	if len(s) > maxTokenLen {
		return true
	}
	s = strings.TrimRight(s, "=")
	if s == "" {
		return false
	}
	var ok byte = 1
	i := 0
	for ; i+8 <= len(s); i += 8 {
		ok &= b64Chars[s[i]] & b64Chars[s[i+1]] & b64Chars[s[i+2]] & b64Chars[s[i+3]] &
			b64Chars[s[i+4]] & b64Chars[s[i+5]] & b64Chars[s[i+6]] & b64Chars[s[i+7]]
	}
	for ; i < len(s); i++ {
		ok &= b64Chars[s[i]]
	}
	return ok == 1
}

// hasScope reports whether the space-separated scope list granted holds scope.
func hasScope(granted, scope string) bool {
	for granted != "" {
		var w string
		w, granted, _ = strings.Cut(granted, " ")
		if w == scope {
			return true
		}
	}
	return false
}
