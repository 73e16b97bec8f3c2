package token

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Issue signs a token of use c.Use (UseAccess, UseRefresh or UseCode) with the current signing key and returns it.
// It sets iss, aud (Config.Audience for access tokens, AudienceRefresh or AudienceCode otherwise), iat, nbf, exp
// (now + ttl) and jti (16 random bytes in hex), overriding what c holds; the header carries the key's kid and typ
// "at+jwt", "rt+jwt" or "code+jwt".
func (k *Keys) Issue(c Claims, ttl time.Duration) (string, error) {
	u, ok := k.uses[c.Use]
	if !ok {
		return "", fmt.Errorf("issuing token: unknown use %q", c.Use)
	}
	if ttl < time.Second {
		return "", fmt.Errorf("issuing token: lifetime %v is shorter than one second", ttl)
	}
	s := k.set.Load()
	if s.signer == nil {
		return "", fmt.Errorf("issuing token: %w", s.signErr)
	}
	jti, err := newTokenID()
	if err != nil {
		return "", err
	}
	now := k.cfg.Now()
	c.Issuer = k.cfg.Issuer
	c.Audience = jwt.ClaimStrings{u.aud}
	c.IssuedAt = jwt.NewNumericDate(now)
	c.NotBefore = c.IssuedAt
	c.ExpiresAt = jwt.NewNumericDate(now.Add(ttl))
	c.ID = jti
	t := jwt.NewWithClaims(jwt.SigningMethodES256, &c)
	t.Header["typ"] = u.typ
	t.Header["kid"] = s.signer.kid
	token, err := t.SignedString(s.signer.key)
	if err != nil {
		return "", fmt.Errorf("issuing token: %w", err)
	}
	return token, nil
}

// CanIssue reports why Issue would fail for want of a key (no cluster key on this node, no usable signing key in the
// state), or nil: a one-time token is not spent for a grant whose tokens cannot be signed.
func (k *Keys) CanIssue() error {
	if s := k.set.Load(); s.signer == nil {
		return fmt.Errorf("issuing token: %w", s.signErr)
	}
	return nil
}

// newTokenID returns a random token ID (jti): 16 bytes in hex.
func newTokenID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("issuing token: generating jti: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}
