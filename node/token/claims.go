package token

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// MaxTokenSize is the largest token Verify looks at; longer ones are refused before any parsing.
const MaxTokenSize = 8 << 10

// Leeway is the clock skew allowed between nodes for "nbf" and "iat". Expiry has none: a revocation is forgotten at
// the token's "exp", so a token must never be accepted after it.
const Leeway = 5 * time.Second

// Token uses: the "use" claim, and what the caller of Verify expects.
const (
	UseAccess  = "access"  // bearer token presented to APIs
	UseRefresh = "refresh" // exchanged at the token endpoint for a new access token
	UseCode    = "code"    // authorization code of the authorization_code grant
)

// Audiences of refresh tokens and authorization codes; access tokens carry Config.Audience.
const (
	AudienceRefresh = "portico-refresh"
	AudienceCode    = "portico-code"
)

// Errors of Verify. Every refusal wraps exactly one of ErrInvalid, ErrExpired and ErrRevoked, with the reason in
// its message.
var (
	ErrNoClusterKey  = errors.New("no cluster key: cannot issue tokens")
	ErrNoSigningKey  = errors.New("no usable signing key in the state")
	ErrInvalid       = errors.New("invalid token")
	ErrExpired       = errors.New("token expired")
	ErrRevoked       = errors.New("token revoked")
	errUnknownIssuer = errors.New("issuer not trusted by this API")
)

// Claims of a Portico token.
type Claims struct {
	jwt.RegisteredClaims        // iss, sub, aud, exp, nbf, iat, jti
	ClientID             string `json:"client_id"`
	Scope                string `json:"scope,omitempty"` // space-separated
	Env                  string `json:"env"`             // production | sandbox
	App                  string `json:"app"`             // application ID
	Use                  string `json:"use"`             // access | refresh | code

	// Grant identifies the authorization grant a token descends from: the access and refresh tokens issued for one
	// sign-in (password or authorization code grant) and every pair refreshed from them share it, so that revoking
	// the grant (its ID in the revocation list) revokes all of them. Empty for client_credentials tokens.
	Grant string `json:"gid,omitempty"`

	// Authorization codes only: the redirect URI and the PKCE challenge and its method.
	RedirectURI   string `json:"redirect_uri,omitempty"`
	Challenge     string `json:"cc,omitempty"`
	ChallengeMeth string `json:"ccm,omitempty"`
}

// clone returns a copy of c that shares nothing with it.
func (c *Claims) clone() *Claims {
	out := *c
	out.Audience = slices.Clone(c.Audience)
	out.ExpiresAt = cloneDate(c.ExpiresAt)
	out.NotBefore = cloneDate(c.NotBefore)
	out.IssuedAt = cloneDate(c.IssuedAt)
	return &out
}

func cloneDate(d *jwt.NumericDate) *jwt.NumericDate {
	if d == nil {
		return nil
	}
	out := *d
	return &out
}

// NewGrantID returns a new grant ID: "g-" and 16 random bytes in base64url. Token IDs are hex, so a grant ID never
// collides with one, and the state's revocation list holds a revoked grant under its ID as it is (no key to build
// on the request path).
func NewGrantID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generating a grant ID: %w", err)
	}
	return "g-" + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// usage is what a token of one use carries in its header and audience.
type usage struct {
	typ string
	aud string
}

// usages returns the header type and audience of each token use.
func usages(accessAudience string) map[string]usage {
	return map[string]usage{
		UseAccess:  {typ: "at+jwt", aud: accessAudience},
		UseRefresh: {typ: "rt+jwt", aud: AudienceRefresh},
		UseCode:    {typ: "code+jwt", aud: AudienceCode},
	}
}

var _ jwt.Claims = (*Claims)(nil)
