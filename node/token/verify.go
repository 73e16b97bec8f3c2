package token

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"portico/raftstore/state"
)

// ownHeaders are the only header parameters of the cluster's tokens. Anything else (jku, x5u, jwk, x5c, crit…)
// makes a token invalid: keys come from the state only.
var ownHeaders = map[string]bool{"alg": true, "kid": true, "typ": true}

// Verify checks a token of the given use against the state st and returns its claims. It refuses, before parsing,
// a token longer than MaxTokenSize or not made of exactly three base64url segments; then it requires alg ES256, a
// kid naming a signing key of st (never a key from the token's headers: jku, x5u, jwk and any other header make it
// invalid), typ matching the use, a valid signature, iss and aud exact, exp present and in the future, nbf and iat
// not in the future (Leeway), the use claim, and that st has revoked neither its jti nor its grant. A token seen
// before skips the signature check only (see verifiedCache). The returned Claims are the caller's. A revoked token
// (and only a revoked one) returns its claims along with an error wrapping ErrRevoked, so that the token endpoint
// can tell a replayed refresh token or code from a forged one.
func (k *Keys) Verify(st *state.State, token, use string) (*Claims, error) {
	u, ok := k.uses[use]
	if !ok {
		return nil, invalid("unknown token use")
	}
	if err := checkShape(token); err != nil {
		return nil, err
	}
	v := k.verified.get(token)
	if v == nil || v.use != use || !v.stillSigned(st) {
		var err error
		if v, err = k.verifySignature(st, token, use, u); err != nil {
			return nil, err
		}
	}
	c := &v.claims // read-only: shared with other callers through the cache
	if err := checkClaims(c, k.cfg.Now(), k.cfg.Issuer, u.aud, true); err != nil {
		return nil, err
	}
	if c.Use != use {
		return nil, invalid("wrong use")
	}
	if c.ID == "" {
		return nil, invalid("missing jti")
	}
	if _, ok := st.Revoked[c.ID]; ok {
		return c.clone(), ErrRevoked
	}
	if c.Grant != "" {
		if _, ok := st.Revoked[c.Grant]; ok {
			return c.clone(), fmt.Errorf("%w: its grant was revoked", ErrRevoked)
		}
	}
	return c.clone(), nil
}

// verifySignature parses token, checks its header and signature against the keys of st, and remembers it.
func (k *Keys) verifySignature(st *state.State, token, use string, u usage) (*verified, error) {
	v := &verified{use: use}
	keyFunc := func(t *jwt.Token) (any, error) {
		kid, sk, err := k.keyFor(st, t, u)
		if err != nil {
			return nil, err
		}
		v.kid, v.der = kid, sk.Public
		return k.verificationKey(sk)
	}
	if _, err := k.parser.ParseWithClaims(token, &v.claims, keyFunc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := uniqueMembers(token); err != nil {
		return nil, err
	}
	k.verified.put(token, v)
	return v, nil
}

// keyFor checks the header of one of the cluster's tokens and returns the signing key of st its kid names.
func (k *Keys) keyFor(st *state.State, t *jwt.Token, u usage) (string, *state.SigningKey, error) {
	for name := range t.Header {
		if !ownHeaders[name] {
			return "", nil, fmt.Errorf("header %q not allowed", name)
		}
	}
	if typ, _ := t.Header["typ"].(string); typ != u.typ {
		return "", nil, errors.New("wrong typ")
	}
	kid, _ := t.Header["kid"].(string)
	sk, ok := st.SigningKeys[kid]
	if !ok || kid == "" {
		return "", nil, errors.New("unknown kid")
	}
	return kid, sk, nil
}

var (
	errTooLong = invalid(fmt.Sprintf("longer than %d bytes", MaxTokenSize))
	errBadChar = invalid("character outside base64url")
)

// tokenChars marks the bytes of a compact JWS: the base64url alphabet and the dot.
var tokenChars = func() (t [256]byte) {
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_." {
		t[c] = byte(c)
	}
	return t
}()

// checkShape refuses, without decoding anything, a token that is too long or is not three base64url segments
// (padding, whitespace and a trailing newline included: the base64 decoder would skip newlines).
func checkShape(token string) error {
	if len(token) > MaxTokenSize {
		return errTooLong
	}
	dots := 0
	for i := 0; i < len(token); i++ {
		switch tokenChars[token[i]] {
		case 0:
			return errBadChar
		case '.':
			dots++
		}
	}
	if dots != 2 {
		return invalid(fmt.Sprintf("%d segments, want 3", dots+1))
	}
	return nil
}

// checkClaims checks issuer, audience and times. With exactAud the audience must be aud alone; otherwise aud must
// be one of the token's audiences.
func checkClaims(c *Claims, now time.Time, iss, aud string, exactAud bool) error {
	if c.Issuer != iss {
		return invalid("wrong issuer")
	}
	if !audienceOK(c.Audience, aud, exactAud) {
		return invalid("wrong audience")
	}
	if c.ExpiresAt == nil {
		return invalid("missing exp")
	}
	if c.NotBefore != nil && c.NotBefore.After(now.Add(Leeway)) {
		return invalid("not valid yet (nbf)")
	}
	if c.IssuedAt != nil && c.IssuedAt.After(now.Add(Leeway)) {
		return invalid("issued in the future (iat)")
	}
	if !now.Before(c.ExpiresAt.Time) {
		return ErrExpired
	}
	return nil
}

func audienceOK(got jwt.ClaimStrings, want string, exact bool) bool {
	if want == "" {
		return false
	}
	if exact {
		return len(got) == 1 && got[0] == want
	}
	for _, a := range got {
		if a == want {
			return true
		}
	}
	return false
}

// invalid is ErrInvalid with a reason.
func invalid(reason string) error {
	return fmt.Errorf("%w: %s", ErrInvalid, reason)
}
