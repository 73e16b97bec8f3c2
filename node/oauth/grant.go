package oauth

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"portico/node/token"
	"portico/raftstore/state"
)

// codeTTL is the lifetime of an authorization code.
const codeTTL = 60 * time.Second

// tokenResponse is the body of a successful token response (RFC 6749 §5.1).
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	Scope        string `json:"scope"`
	RefreshToken string `json:"refresh_token,omitempty"`
}

// grant is what a grant decided: the subject and scope of the tokens, whether a refresh token goes with them, and
// the grant ID the tokens carry (empty for client_credentials).
type grant struct {
	subject string
	scope   string
	refresh bool
	id      string
}

// grantFunc checks one grant type's parameters for an authenticated client.
type grantFunc func(ctx context.Context, st *state.State, c *client, form url.Values) (grant, error)

// serveToken is POST /oauth2/token.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) error {
	form, err := readForm(w, r)
	if err != nil {
		return err
	}
	st := s.state()
	c, err := authenticateRequest(r, form, st)
	if err != nil {
		return err
	}
	kind, err := required(form, "grant_type")
	if err != nil {
		return err
	}
	fn, ok := s.grants[kind]
	if !ok {
		return badRequest(codeUnsupportedGrantType, "unsupported grant_type")
	}
	if err := c.allowsGrant(kind); err != nil {
		return err
	}
	g, err := fn(r.Context(), st, c, form)
	if err != nil {
		return err
	}
	resp, err := s.issue(c, g)
	if err != nil {
		return err
	}
	s.log.Debug("token issued", "grant_type", kind, "client_id", c.cred.ClientID, "scope", resp.Scope)
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// issue signs the access token (and the refresh token) of a grant.
func (s *Server) issue(c *client, g grant) (tokenResponse, error) {
	claims := token.Claims{ClientID: c.cred.ClientID, Scope: g.scope, Env: c.cred.Env, App: c.app.ID, Use: token.UseAccess,
		Grant: g.id}
	claims.Subject = g.subject
	ttl := seconds(c.cred.AccessTTL, state.DefaultAccessTTL)
	access, err := s.keys.Issue(claims, ttl)
	if err != nil {
		return tokenResponse{}, issueFailure(err)
	}
	resp := tokenResponse{AccessToken: access, TokenType: "Bearer", ExpiresIn: int64(ttl / time.Second), Scope: g.scope}
	if !g.refresh {
		return resp, nil
	}
	claims.Use = token.UseRefresh
	if resp.RefreshToken, err = s.keys.Issue(claims, seconds(c.cred.RefreshTTL, state.DefaultRefreshTTL)); err != nil {
		return tokenResponse{}, issueFailure(err)
	}
	return resp, nil
}

// issueFailure is the error of a token that could not be signed: 503 while the cluster has no usable signing key.
func issueFailure(err error) error {
	return serverError(http.StatusServiceUnavailable, fmt.Errorf("signing a token: %w", err))
}

// seconds turns a lifetime in seconds into a duration, def when it is not positive.
func seconds(n, def int64) time.Duration {
	if n <= 0 {
		n = def
	}
	return time.Duration(n) * time.Second
}
