package oauth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"

	"portico/node/token"
	"portico/raftstore"
)

// spend revokes a one-time token (an authorization code, a rotated refresh token) through the leader. If the leader
// reports that it was revoked already (a concurrent redemption won), the grant is refused.
func (s *Server) spend(ctx context.Context, claims *token.Claims, what string) error {
	added, err := s.revoke(ctx, claims)
	if err != nil {
		return err
	}
	if !added {
		return invalidGrant("the "+what+" was already used", nil)
	}
	return nil
}

// revoke proposes the revocation of a token until its expiry and reports whether it was newly revoked. A result the
// proposer does not report (forwarded proposals) counts as newly revoked.
func (s *Server) revoke(ctx context.Context, claims *token.Claims) (bool, error) {
	if claims.ID == "" || claims.ExpiresAt == nil {
		return false, invalidGrant("the token has no identifier or expiry", nil)
	}
	cmd := raftstore.RevokeTokens{
		Tokens: []raftstore.RevokedToken{{ID: claims.ID, Exp: claims.ExpiresAt.Unix()}},
		Now:    s.now().UnixMilli(),
	}
	res, err := s.proposer.Propose(ctx, requestID(), cmd)
	if err != nil {
		return false, serverError(http.StatusServiceUnavailable, fmt.Errorf("revoking a token through the leader: %w", err))
	}
	switch r := res.(type) {
	case raftstore.RevokeResult:
		return r.Added > 0, nil
	case *raftstore.RevokeResult:
		return r == nil || r.Added > 0, nil
	}
	return true, nil
}

// requestID returns a new idempotency key for a proposal: each redemption is its own request, so that a second one
// is never answered with the first one's result.
func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "oauth-" + hex.EncodeToString(b[:])
}
