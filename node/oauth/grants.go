package oauth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"portico/node/signin"
	"portico/node/token"
	"portico/raftstore/state"
)

// clientCredentialsGrant is RFC 6749 §4.4: a confidential client acting for itself; the scopes are those its
// application's owner's role may obtain, and no refresh token is issued.
func (s *Server) clientCredentialsGrant(_ context.Context, st *state.State, c *client, form url.Values) (grant, error) {
	if c.cred.Public {
		return grant{}, badRequest(codeUnauthorizedClient, "a public client may not use the client_credentials grant")
	}
	role := ""
	if owner, ok := st.Users[c.app.Owner]; ok {
		role = owner.Role
	}
	scope := grantScopes(form.Get("scope"), allowedScopes(st, c.app.ID, role))
	return grant{subject: c.cred.ClientID, scope: scope}, nil
}

// passwordGrant is RFC 6749 §4.3: a cluster user's name and password; the user must be allowed the application.
func (s *Server) passwordGrant(ctx context.Context, st *state.State, c *client, form url.Values) (grant, error) {
	name, err := required(form, "username")
	if err != nil {
		return grant{}, err
	}
	password, err := required(form, "password")
	if err != nil {
		return grant{}, err
	}
	u, err := s.login(ctx, st, name, password)
	if err != nil {
		return grant{}, err
	}
	if !c.mayUse(u) {
		return grant{}, invalidGrant("the user may not use this application", nil)
	}
	scope := grantScopes(form.Get("scope"), allowedScopes(st, c.app.ID, u.Role))
	gid, err := token.NewGrantID()
	if err != nil {
		return grant{}, serverError(http.StatusInternalServerError, err)
	}
	return grant{subject: u.Name, scope: scope, refresh: c.cred.AllowsGrant(state.GrantRefreshToken), id: gid}, nil
}

// login checks a user's password within the node's sign-in limits (the client's address comes with ctx, see
// WithClientAddr): a spent allowance is refused with 429 before any work, a derivation that cannot start in time with
// 503. An unknown user or one without a password costs the same work as a wrong password, and all fail alike.
func (s *Server) login(ctx context.Context, st *state.State, name, password string) (*state.User, error) {
	addr := clientAddrFrom(ctx)
	if err := s.guard.Check(addr, name); err != nil {
		return nil, signInLimited(err)
	}
	u, ok := st.Users[name]
	if !ok || len(u.PasswordHash) == 0 {
		u = nil
	}
	right := false
	if err := s.guard.Derive(ctx, func() {
		if u == nil {
			s.password(dummyUser, password)
			return
		}
		right = s.password(u, password)
	}); err != nil {
		return nil, serverError(http.StatusServiceUnavailable, err)
	}
	if !right {
		s.guard.Failed(addr, name)
		return nil, invalidGrant("the user name or password is wrong", nil)
	}
	s.guard.Succeeded(addr, name)
	return u, nil
}

// signInLimited is the 429 answer of a refused sign-in attempt, with Retry-After.
func signInLimited(err error) *oauthError {
	e := &oauthError{Status: http.StatusTooManyRequests, Code: codeRateLimited, Description: err.Error()}
	var le *signin.LimitedError
	if errors.As(err, &le) {
		e.Header = http.Header{"Retry-After": {strconv.Itoa(signin.RetrySeconds(le.RetryAfter))}}
	}
	return e
}

type clientAddrKey struct{}

// withClientAddr records the address sign-ins of r are counted under.
func withClientAddr(r *http.Request) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), clientAddrKey{}, signin.Addr(r.RemoteAddr)))
}

// clientAddrFrom returns the address withClientAddr recorded, "" if none.
func clientAddrFrom(ctx context.Context) string {
	addr, _ := ctx.Value(clientAddrKey{}).(string)
	return addr
}

// refreshGrant is RFC 6749 §6 with rotation: the refresh token is spent (revoked through the leader) before a new
// pair is issued, so a reused one is refused, and its reuse revokes the whole grant (RFC 9700 §4.14.2: either the
// client or an attacker holds a stolen token, and the server cannot tell which). The scope may only narrow.
func (s *Server) refreshGrant(ctx context.Context, st *state.State, c *client, form url.Values) (grant, error) {
	raw, err := required(form, "refresh_token")
	if err != nil {
		return grant{}, err
	}
	claims, err := s.keys.Verify(st, raw, token.UseRefresh)
	if err != nil {
		s.replayed(ctx, c, claims, err, "refresh token")
		return grant{}, invalidGrant("the refresh token is invalid, expired or revoked", err)
	}
	u, err := tokenUser(st, c, claims)
	if err != nil {
		return grant{}, err
	}
	scope := claims.Scope
	if form.Has("scope") {
		scope = narrowScopes(form.Get("scope"), scopeSet(claims.Scope))
	}
	scope = narrowScopes(scope, allowedScopes(st, c.app.ID, u.Role))
	if err := s.spend(ctx, c, claims, "refresh token"); err != nil {
		return grant{}, err
	}
	gid := claims.Grant
	if gid == "" { // a refresh token signed before tokens carried grants
		if gid, err = token.NewGrantID(); err != nil {
			return grant{}, serverError(http.StatusInternalServerError, err)
		}
	}
	return grant{subject: u.Name, scope: scope, refresh: true, id: gid}, nil
}

// codeGrant is RFC 6749 §4.1.3 with PKCE (RFC 7636): the code must be this client's, for the same redirect URI, with
// a verifier matching its challenge; it is spent through the leader before the tokens are issued. A code used twice
// revokes the tokens issued for it (§4.1.2).
func (s *Server) codeGrant(ctx context.Context, st *state.State, c *client, form url.Values) (grant, error) {
	raw, err := required(form, "code")
	if err != nil {
		return grant{}, err
	}
	redirectURI, err := required(form, "redirect_uri")
	if err != nil {
		return grant{}, err
	}
	claims, err := s.keys.Verify(st, raw, token.UseCode)
	if err != nil {
		s.replayed(ctx, c, claims, err, "authorization code")
		return grant{}, invalidGrant("the authorization code is invalid, expired or already used", err)
	}
	u, err := tokenUser(st, c, claims)
	if err != nil {
		return grant{}, err
	}
	if claims.RedirectURI != redirectURI {
		return grant{}, invalidGrant("redirect_uri does not match the authorization request", nil)
	}
	if claims.Challenge == "" && (c.cred.Public || c.cred.PKCERequired) {
		return grant{}, invalidGrant("this client must use PKCE", nil)
	}
	if err := verifyPKCE(claims.Challenge, claims.ChallengeMeth, form.Get("code_verifier")); err != nil {
		return grant{}, err
	}
	if err := s.spend(ctx, c, claims, "authorization code"); err != nil {
		return grant{}, err
	}
	scope := narrowScopes(claims.Scope, allowedScopes(st, c.app.ID, u.Role))
	return grant{subject: u.Name, scope: scope, refresh: c.cred.AllowsGrant(state.GrantRefreshToken), id: claims.Grant}, nil
}

// tokenUser checks that a refresh token or code was issued to this client and returns its user, who must still exist
// and still be allowed the application.
func tokenUser(st *state.State, c *client, claims *token.Claims) (*state.User, error) {
	if claims.ClientID != c.cred.ClientID {
		return nil, invalidGrant("the grant was issued to another client", nil)
	}
	u, ok := st.Users[claims.Subject]
	if !ok || !c.mayUse(u) {
		return nil, invalidGrant("the user of the grant may no longer use this application", nil)
	}
	return u, nil
}
