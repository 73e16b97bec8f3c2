package oauth

import (
	"net/http"

	"portico/node/token"
	"portico/raftstore"
	"portico/raftstore/state"
)

// introspection is the RFC 7662 §2.2 response.
type introspection struct {
	Active    bool   `json:"active"`
	Scope     string `json:"scope,omitempty"`
	ClientID  string `json:"client_id,omitempty"`
	Sub       string `json:"sub,omitempty"`
	Exp       int64  `json:"exp,omitempty"`
	Iat       int64  `json:"iat,omitempty"`
	Nbf       int64  `json:"nbf,omitempty"`
	Jti       string `json:"jti,omitempty"`
	Iss       string `json:"iss,omitempty"`
	Aud       any    `json:"aud,omitempty"`
	TokenType string `json:"token_type,omitempty"`
	Env       string `json:"env,omitempty"`
}

// serveRevoke is POST /oauth2/revoke (RFC 7009): a valid access or refresh token of the authenticated client is
// revoked through the leader before the answer (a refresh token with its grant: every access token issued with it
// or refreshed from it); any other token is answered 200 as well, without effect.
func (s *Server) serveRevoke(w http.ResponseWriter, r *http.Request) error {
	st := s.state()
	c, raw, hint, err := tokenRequest(w, r, st)
	if err != nil {
		return err
	}
	claims, _ := s.verifyAny(st, raw, hint)
	if claims != nil && claims.ClientID == c.cred.ClientID {
		revoke := []raftstore.RevokedToken{tokenRevocation(claims)}
		if claims.Use == token.UseRefresh && claims.Grant != "" { // §2.1: and the access tokens of its grant
			revoke = append(revoke, grantRevocation(claims.Grant, s.now()))
		}
		if _, err := s.revoke(r.Context(), revoke...); err != nil {
			return err
		}
		s.log.Debug("token revoked", "client_id", c.cred.ClientID, "use", claims.Use)
	}
	noStore(w.Header())
	w.WriteHeader(http.StatusOK)
	return nil
}

// serveIntrospect is POST /oauth2/introspect (RFC 7662): the claims of a valid access or refresh token of the
// authenticated client; {"active":false} for anything else.
func (s *Server) serveIntrospect(w http.ResponseWriter, r *http.Request) error {
	st := s.state()
	c, raw, hint, err := tokenRequest(w, r, st)
	if err != nil {
		return err
	}
	claims, use := s.verifyAny(st, raw, hint)
	if claims == nil || claims.ClientID != c.cred.ClientID {
		writeJSON(w, http.StatusOK, introspection{})
		return nil
	}
	writeJSON(w, http.StatusOK, describe(claims, use))
	return nil
}

// tokenRequest reads a revocation or introspection request: the form, the client authentication, the token and the
// optional token_type_hint.
func tokenRequest(w http.ResponseWriter, r *http.Request, st *state.State) (c *client, raw, hint string, err error) {
	form, err := readForm(w, r)
	if err != nil {
		return nil, "", "", err
	}
	if c, err = authenticateRequest(r, form, st); err != nil {
		return nil, "", "", err
	}
	if raw, err = required(form, "token"); err != nil {
		return nil, "", "", err
	}
	return c, raw, form.Get("token_type_hint"), nil
}

// verifyAny verifies a token as an access token then as a refresh token (the other way round when the hint says
// refresh_token). It returns nil if neither verifies.
func (s *Server) verifyAny(st *state.State, raw, hint string) (*token.Claims, string) {
	uses := []string{token.UseAccess, token.UseRefresh}
	if hint == "refresh_token" {
		uses = []string{token.UseRefresh, token.UseAccess}
	}
	for _, use := range uses {
		if claims, err := s.keys.Verify(st, raw, use); err == nil {
			return claims, use
		}
	}
	return nil, ""
}

// describe is the introspection response of a valid token.
func describe(c *token.Claims, use string) introspection {
	out := introspection{Active: true, Scope: c.Scope, ClientID: c.ClientID, Sub: c.Subject, Jti: c.ID,
		Iss: c.Issuer, Env: c.Env, TokenType: "Bearer"}
	if use == token.UseRefresh {
		out.TokenType = "refresh_token"
	}
	if c.ExpiresAt != nil {
		out.Exp = c.ExpiresAt.Unix()
	}
	if c.IssuedAt != nil {
		out.Iat = c.IssuedAt.Unix()
	}
	if c.NotBefore != nil {
		out.Nbf = c.NotBefore.Unix()
	}
	switch len(c.Audience) {
	case 0:
	case 1:
		out.Aud = c.Audience[0]
	default:
		out.Aud = []string(c.Audience)
	}
	return out
}
