package oauth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"

	"portico/node/token"
	"portico/raftstore"
)

// spend revokes a one-time token (an authorization code, a rotated refresh token) through the leader. If the leader
// reports that it was revoked already (a concurrent redemption won), the grant is refused and, since one of the two
// redemptions was not the client's own, the grant's tokens are revoked as well.
func (s *Server) spend(ctx context.Context, c *client, claims *token.Claims, what string) error {
	if err := s.keys.CanIssue(); err != nil { // this node could not sign the tokens: keep the code or token usable
		return issueFailure(err)
	}
	added, err := s.revoke(ctx, tokenRevocation(claims))
	if err != nil {
		return err
	}
	if !added {
		s.replayed(ctx, c, claims, token.ErrRevoked, what)
		return invalidGrant("the "+what+" was already used", nil)
	}
	return nil
}

// replayed answers the presentation of a spent authorization code or refresh token, err being the refusal of
// Verify: when the token is validly signed for this client and only revoked, its grant is revoked too, so the tokens
// already issued for it stop working on every node. Any failure to do so is logged; the request is refused anyway.
func (s *Server) replayed(ctx context.Context, c *client, claims *token.Claims, err error, what string) {
	if claims == nil || !errors.Is(err, token.ErrRevoked) || claims.Grant == "" || claims.ClientID != c.cred.ClientID {
		return
	}
	if _, err := s.revoke(ctx, grantRevocation(claims.Grant, s.now())); err != nil {
		s.log.Warn("revoking the grant of a reused "+what, "client_id", c.cred.ClientID, "err", err)
		return
	}
	s.log.Info("a spent "+what+" was presented again: its grant is revoked", "client_id", c.cred.ClientID)
}

// tokenRevocation revokes one token until its expiry.
func tokenRevocation(claims *token.Claims) raftstore.RevokedToken {
	return raftstore.RevokedToken{ID: claims.ID, Exp: claims.ExpiresAt.Unix()}
}

// grantRevocation revokes a grant until every token that may carry it has expired: all were signed before now, and
// none lives longer than raftstore.MaxTokenLifetime.
func grantRevocation(gid string, now time.Time) raftstore.RevokedToken {
	return raftstore.RevokedToken{ID: gid, Exp: now.Add(time.Duration(raftstore.MaxTokenLifetime) * time.Millisecond).Unix()}
}

// revoke proposes revocations and reports whether any of them was new. A result the proposer does not report
// (forwarded proposals) counts as new.
func (s *Server) revoke(ctx context.Context, tokens ...raftstore.RevokedToken) (bool, error) {
	for _, t := range tokens {
		if t.ID == "" || t.Exp <= 0 {
			return false, invalidGrant("the token has no identifier or expiry", nil)
		}
	}
	cmd := raftstore.RevokeTokens{Tokens: tokens, Now: s.now().UnixMilli()}
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
