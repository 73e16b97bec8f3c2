package raftstore

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"portico/raftstore/state"
)

// externalAlgorithms are the signature algorithms an API may pin for an external issuer: asymmetric ones only, so
// that a public key can never be used as an HMAC secret.
var externalAlgorithms = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// setLifecycle moves an API version to another lifecycle state as the lifecycle table allows. The move is a new
// revision, like a PutAPI changing the lifecycle.
func setLifecycle(next *state.State, c *SetLifecycle, rec *state.Request) (any, error) {
	id := state.APIID(c.Name, c.Version)
	cur, ok := next.APIs[id]
	if !ok {
		return nil, notFound("api %q", id)
	}
	if !slices.Contains(state.Lifecycles, c.To) {
		return nil, invalid("lifecycle: %q is not one of %s", c.To, strings.Join(state.Lifecycles, ", "))
	}
	rec.Ref, rec.Prev = id, cur.Lifecycle
	if cur.Lifecycle == c.To {
		rec.Revision = cur.Revision
		return SetLifecycleResult{API: cur, From: cur.Lifecycle}, nil
	}
	if err := checkTransition(cur, c.To); err != nil {
		return nil, err
	}
	api := *cur
	api.Lifecycle, api.UpdatedAt = c.To, c.At
	storeAPI(next, cur, &api)
	rec.Revision, rec.Changed = api.Revision, true
	return SetLifecycleResult{API: &api, From: cur.Lifecycle}, nil
}

// replaySetLifecycle answers a retried SetLifecycle with the revision the first application produced.
func replaySetLifecycle(cur *state.State, c *SetLifecycle, rec state.Request) any {
	fallback := state.API{Name: c.Name, Version: c.Version, Lifecycle: c.To, UpdatedAt: c.At}
	return SetLifecycleResult{API: apiAtRevision(cur, rec.Ref, rec.Revision, &fallback), From: rec.Prev}
}

// checkTransition refuses moving cur to lifecycle state to unless it stays or the lifecycle table allows it. A current
// state outside the table (never written by this FSM) does not restrict the move.
func checkTransition(cur *state.API, to string) error {
	from := cur.Lifecycle
	if from == to || !slices.Contains(state.Lifecycles, from) || state.AllowedTransition(from, to) {
		return nil
	}
	allowed := "none"
	if a := state.AllowedFrom(from); len(a) > 0 {
		allowed = strings.Join(a, ", ")
	}
	return invalid("lifecycle: cannot move %s %s from %s to %s; allowed from %s: %s",
		cur.Name, cur.Version, from, to, from, allowed)
}

// checkAPISettings validates the lifecycle and the consumer-facing settings of an API version.
func checkAPISettings(api *state.API) error {
	if !slices.Contains(state.Lifecycles, api.Lifecycle) {
		return invalid("lifecycle: %q is not one of %s", api.Lifecycle, strings.Join(state.Lifecycles, ", "))
	}
	switch api.Visibility {
	case "", state.VisibilityPublic, state.VisibilityPrivate, state.VisibilityRestricted:
	default:
		return invalid("visibility: %q is not public, private or restricted", api.Visibility)
	}
	if err := checkRoles("visibleRoles", api.VisibleRoles); err != nil {
		return err
	}
	switch api.AccessMode {
	case "", state.AccessExternal, state.AccessInternal:
	default:
		return invalid("accessMode: %q is not external or internal", api.AccessMode)
	}
	for scope, roles := range api.ScopeRoles {
		if err := checkRoles(fmt.Sprintf("scopeRoles[%q]", scope), roles); err != nil {
			return err
		}
	}
	return checkOAuth2Settings(api.OAuth2)
}

// checkRoles refuses a role that is not one of state.Roles.
func checkRoles(field string, roles []string) error {
	for _, r := range roles {
		if !state.ValidRole(r) {
			return invalid("%s: %q is not one of %s", field, r, strings.Join(state.Roles, ", "))
		}
	}
	return nil
}

// checkOAuth2Settings validates the external issuers of an API.
func checkOAuth2Settings(o *state.OAuth2Settings) error {
	if o == nil {
		return nil
	}
	for i, is := range o.Issuers {
		field := fmt.Sprintf("oauth2.issuers[%d]", i)
		if is.Issuer == "" {
			return invalid("%s.issuer: required", field)
		}
		if u, err := url.Parse(is.JWKSURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return invalid("%s.jwksUrl: %q is not an http(s) URL", field, is.JWKSURL)
		}
		for _, alg := range is.Algorithms {
			if !slices.Contains(externalAlgorithms, alg) {
				return invalid("%s.algorithms: %q is not one of %s", field, alg, strings.Join(externalAlgorithms, ", "))
			}
		}
	}
	return nil
}
