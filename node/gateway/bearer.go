package gateway

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"

	"portico/node/token"
	"portico/plugins"
	"portico/plugins/abi"
	"portico/raftstore/state"
)

// authenticateBearer verifies an OAuth2 access token against the API version being called. A token whose issuer
// (read from the unverified payload only to choose the verifier) is not the cluster's goes to the external verifier
// when the API trusts external issuers; every other token is verified as one of the cluster's own.
func (c *call) authenticateBearer(tok string) (int32, plugins.Identity) {
	api := c.m.Value.api.api
	if api.OAuth2 != nil && len(api.OAuth2.Issuers) > 0 {
		if iss, ok := peekIssuer(tok); ok && iss != c.g.cfg.Issuer {
			return c.authenticateExternal(api.OAuth2.Issuers, iss, tok)
		}
	}
	if c.g.cfg.Tokens == nil {
		return abi.AuthUnknown, plugins.Identity{}
	}
	claims, err := c.g.cfg.Tokens.Verify(c.t.st, tok, token.UseAccess)
	if err != nil {
		c.g.log.Debug("access token refused", "requestId", c.id, "err", err)
		return abi.AuthUnknown, plugins.Identity{}
	}
	return clusterVerdict(c.t.st, api, claims)
}

// clusterVerdict checks a verified token of the cluster against the state: its application must exist and still
// hold the credential of the token's environment with the token's client ID (deleting a credential revokes its
// tokens), and be subscribed to api's major version with an active subscription.
func clusterVerdict(st *state.State, api *state.API, cl *token.Claims) (int32, plugins.Identity) {
	app, ok := st.Apps[cl.App]
	if !ok {
		return abi.AuthUnknown, plugins.Identity{}
	}
	if cred, ok := app.Credentials[cl.Env]; !ok || cred.ClientID != cl.ClientID {
		return abi.AuthUnknown, plugins.Identity{}
	}
	sub, ok := st.Subscription(app.ID, api.Name, api.Major)
	switch {
	case !ok:
		return abi.AuthNotSubscribed, plugins.Identity{}
	case sub.Status != state.SubActive:
		return abi.AuthInactive, plugins.Identity{}
	}
	return abi.AuthOK, plugins.Identity{
		App: app.ID, Env: cl.Env, Subscription: sub.ID, Plan: sub.Plan,
		Sub: cl.Subject, Scope: cl.Scope, ClientID: cl.ClientID, TokenID: cl.ID, Issuer: cl.Issuer,
	}
}

// authenticateExternal verifies a token of issuer iss, which is not the cluster: the API must trust iss, else the
// token authenticates nothing (401, as a wrong iss is on an API that trusts only the cluster). An external token
// names no application of the cluster: it calls the production endpoints without a subscription check.
func (c *call) authenticateExternal(issuers []state.ExternalIssuer, iss, tok string) (int32, plugins.Identity) {
	trusted := slices.ContainsFunc(issuers, func(i state.ExternalIssuer) bool { return i.Issuer == iss })
	switch {
	case !trusted:
		return abi.AuthUnknown, plugins.Identity{}
	case c.g.cfg.External == nil:
		return abi.AuthUnknown, plugins.Identity{}
	}
	cl, err := c.g.cfg.External.Verify(c.in.Context(), issuers, tok)
	if err != nil {
		c.g.log.Debug("external access token refused", "requestId", c.id, "issuer", iss, "err", err)
		return abi.AuthUnknown, plugins.Identity{}
	}
	scope, clientID := externalScopeClient(tok, cl)
	return abi.AuthOK, plugins.Identity{
		Env: state.Production, Sub: cl.Subject, Scope: scope, ClientID: clientID, TokenID: cl.ID, Issuer: cl.Issuer,
	}
}

// peekIssuer returns the "iss" claim of a JWT without verifying anything; it only chooses the verifier.
func peekIssuer(tok string) (string, bool) {
	var claims struct {
		Iss string `json:"iss"`
	}
	if !decodePayload(tok, &claims) || claims.Iss == "" {
		return "", false
	}
	return claims.Iss, true
}

// externalScopeClient returns the scopes and client of a verified external token: the claims scope and client_id,
// or else scp (a space-separated string or an array of strings) and azp, which other issuers use instead.
func externalScopeClient(tok string, cl *token.Claims) (scope, clientID string) {
	scope, clientID = cl.Scope, cl.ClientID
	if scope != "" && clientID != "" {
		return scope, clientID
	}
	var other struct {
		Scp json.RawMessage `json:"scp"`
		Azp string          `json:"azp"`
	}
	if !decodePayload(tok, &other) {
		return scope, clientID
	}
	if clientID == "" {
		clientID = other.Azp
	}
	if scope == "" && len(other.Scp) > 0 {
		var list []string
		if json.Unmarshal(other.Scp, &scope) != nil && json.Unmarshal(other.Scp, &list) == nil {
			scope = strings.Join(list, " ")
		}
	}
	return scope, clientID
}

// decodePayload decodes the JSON payload of a JWT into v. Tokens longer than token.MaxTokenSize are not looked at.
func decodePayload(tok string, v any) bool {
	if len(tok) > token.MaxTokenSize {
		return false
	}
	_, rest, ok := strings.Cut(tok, ".")
	if !ok {
		return false
	}
	payload, _, ok := strings.Cut(rest, ".")
	if !ok {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	return err == nil && json.Unmarshal(b, v) == nil
}
