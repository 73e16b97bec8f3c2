package oauth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
)

// PKCE code challenge methods (RFC 7636 §4.2).
const (
	pkceS256  = "S256"
	pkcePlain = "plain"
)

// validPKCEValue reports whether s is a code verifier or challenge of RFC 7636 §4.1: 43 to 128 characters of
// [A-Za-z0-9-._~].
func validPKCEValue(s string) bool {
	if len(s) < 43 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~'
		if !ok {
			return false
		}
	}
	return true
}

// challengeMethod checks the code_challenge and code_challenge_method of an authorization request and returns the
// method (plain when absent, RFC 7636 §4.3). An absent challenge returns "".
func challengeMethod(challenge, method string) (string, error) {
	if challenge == "" {
		if method != "" {
			return "", badRequest(codeInvalidRequest, "code_challenge_method without code_challenge")
		}
		return "", nil
	}
	if method == "" {
		method = pkcePlain
	}
	if method != pkceS256 && method != pkcePlain {
		return "", badRequest(codeInvalidRequest, "code_challenge_method must be S256 or plain")
	}
	if !validPKCEValue(challenge) || (method == pkceS256 && len(challenge) != 43) {
		return "", badRequest(codeInvalidRequest, "malformed code_challenge")
	}
	return method, nil
}

// verifyPKCE checks a code verifier against the challenge and method recorded in an authorization code. With no
// challenge recorded, no verifier may be sent (RFC 9700 §2.1.1: a verifier without a challenge is refused).
func verifyPKCE(challenge, method, verifier string) error {
	if challenge == "" {
		if verifier != "" {
			return invalidGrant("code_verifier sent for a code issued without code_challenge", nil)
		}
		return nil
	}
	if !validPKCEValue(verifier) {
		return invalidGrant("code_verifier is missing or malformed", nil)
	}
	want := verifier
	if method == pkceS256 {
		sum := sha256.Sum256([]byte(verifier))
		want = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) != 1 {
		return invalidGrant("code_verifier does not match the code_challenge", nil)
	}
	return nil
}
