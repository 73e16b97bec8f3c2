package token

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// uniqueMembers refuses a token whose header or claims name a member twice. JSON parsers disagree on which of two
// "sub" members wins (Go's keeps the last, others the first), so a signer and a verifier could read different claims
// from one signed token; RFC 7519 §4 allows refusing such a token, and Portico does. token has passed checkShape.
func uniqueMembers(token string) error {
	header, rest, _ := strings.Cut(token, ".")
	payload, _, _ := strings.Cut(rest, ".")
	for _, seg := range []struct{ name, b64 string }{{"header", header}, {"claims", payload}} {
		raw, err := base64.RawURLEncoding.DecodeString(seg.b64)
		if err != nil {
			return invalid(fmt.Sprintf("%s: %v", seg.name, err))
		}
		if err := checkMembers(raw); err != nil {
			return invalid(fmt.Sprintf("%s: %v", seg.name, err))
		}
	}
	return nil
}

// checkMembers reports a member name that appears twice in the top-level JSON object raw, which the token parser
// has already decoded (so raw is valid JSON). It scans the bytes instead of decoding them again: at depth one, the
// first string after '{' or ',' is a member name. Names with escapes are unescaped before the comparison, so
// "s\u0075b" is "sub".
func checkMembers(raw []byte) error {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 || raw[0] != '{' {
		return errors.New("not a JSON object")
	}
	var buf [32][]byte
	names := buf[:0]
	depth, expectName := 0, false
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '"':
			end, escaped := i+1, false
			for ; end < len(raw) && raw[end] != '"'; end++ {
				if raw[end] == '\\' {
					end++
					escaped = true
				}
			}
			if end >= len(raw) {
				return errors.New("unterminated string")
			}
			if depth == 1 && expectName {
				name := raw[i+1 : end]
				if escaped {
					var s string
					if err := json.Unmarshal(raw[i:end+1], &s); err != nil {
						return fmt.Errorf("member name: %w", err)
					}
					name = []byte(s)
				}
				for _, n := range names {
					if bytes.Equal(n, name) {
						return fmt.Errorf("member %q appears twice", name)
					}
				}
				names = append(names, name)
				expectName = false
			}
			i = end
		case '{', '[':
			depth++
			expectName = depth == 1 // only the top-level '{' opens depth one
		case '}', ']':
			depth--
		case ',':
			expectName = depth == 1
		}
	}
	if depth != 0 {
		return errors.New("unbalanced JSON")
	}
	return nil
}
