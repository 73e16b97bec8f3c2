package raftstore

import (
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"portico/raftstore/state"
)

// clientIDRE is the form of an OAuth2 client ID.
var clientIDRE = regexp.MustCompile(`^` + state.ClientIDPrefix + `[0-9a-f]{24}$`)

// maxTokenTTL is the longest access or refresh token lifetime a credential may ask for, in seconds.
const maxTokenTTL = MaxTokenLifetime / 1000

// shareApp replaces the users an application is shared with (sorted, without duplicates).
func shareApp(next *state.State, c *ShareApp, rec *state.Request) (any, error) {
	cur, ok := next.Apps[c.AppID]
	if !ok {
		return nil, notFound("application %q", c.AppID)
	}
	users := slices.Compact(slices.Sorted(slices.Values(c.Users)))
	for _, u := range users {
		if u == cur.Owner {
			return nil, invalid("users: %q owns application %q", u, cur.Name)
		}
		if _, ok := next.Users[u]; !ok {
			return nil, notFound("user %q", u)
		}
	}
	if len(users) == 0 {
		users = nil
	}
	if slices.Equal(cur.SharedWith, users) {
		return UpdateResult{Changed: false}, nil
	}
	app := *cur
	app.SharedWith = users
	next.Apps = maps.Clone(next.Apps)
	next.Apps[app.ID] = &app
	rec.Changed = true
	return UpdateResult{Changed: true}, nil
}

// setCredentials creates or replaces an application's client credential for one environment.
func setCredentials(next *state.State, c *SetCredentials, rec *state.Request) (any, error) {
	cur, ok := next.Apps[c.AppID]
	if !ok {
		return nil, notFound("application %q", c.AppID)
	}
	cred := c.Cred
	if err := checkCredential(&cred); err != nil {
		return nil, err
	}
	if err := checkClientID(next, cur, &cred); err != nil {
		return nil, err
	}
	app := *cur
	app.Credentials = make(map[string]*state.ClientCredential, len(cur.Credentials)+1)
	maps.Copy(app.Credentials, cur.Credentials)
	app.Credentials[cred.Env] = &cred
	next.Apps = maps.Clone(next.Apps)
	next.Apps[app.ID] = &app
	next.ClientIndex = maps.Clone(next.ClientIndex)
	next.ClientIndex[cred.ClientID] = app.ID
	rec.Ref = cred.ClientID
	return SetCredentialsResult{Cred: cred}, nil
}

// checkClientID refuses a client ID used by another application or environment, or differing from the one the
// application already has for that environment.
func checkClientID(st *state.State, app *state.Application, cred *state.ClientCredential) error {
	if owner, ok := st.ClientIndex[cred.ClientID]; ok && owner != app.ID {
		return conflict("client id %q belongs to another application", cred.ClientID)
	}
	for env, old := range app.Credentials {
		if env != cred.Env && old.ClientID == cred.ClientID {
			return conflict("client id %q is the application's %s client", cred.ClientID, env)
		}
	}
	if old, ok := app.Credentials[cred.Env]; ok && old.ClientID != cred.ClientID {
		return conflict("application %q has %s client id %q, not %q", app.Name, cred.Env, old.ClientID, cred.ClientID)
	}
	return nil
}

// checkCredential validates a credential and fills in the default token lifetimes.
func checkCredential(cred *state.ClientCredential) error {
	if !clientIDRE.MatchString(cred.ClientID) {
		return invalid("client id: %q is not %s followed by 24 lowercase hex digits", cred.ClientID, state.ClientIDPrefix)
	}
	if cred.Env != state.Production && cred.Env != state.Sandbox {
		return invalid("env: %q is not %s or %s", cred.Env, state.Production, state.Sandbox)
	}
	if err := checkSecret(cred); err != nil {
		return err
	}
	if err := checkGrants(cred); err != nil {
		return err
	}
	return checkTTLs(cred)
}

// checkSecret requires a secret hash for a confidential client and none for a public one.
func checkSecret(cred *state.ClientCredential) error {
	switch {
	case cred.Public && len(cred.SecretHash) != 0:
		return invalid("secret: a public client has no secret")
	case !cred.Public && len(cred.SecretHash) == 0:
		return invalid("secret: a confidential client needs a secret hash")
	case cred.Public && cred.AllowsGrant(state.GrantClientCredentials):
		return invalid("grant types: a public client cannot use %s", state.GrantClientCredentials)
	}
	return nil
}

// checkGrants validates the grant types and the redirect URIs the authorization code grant needs.
func checkGrants(cred *state.ClientCredential) error {
	if len(cred.GrantTypes) == 0 {
		return invalid("grant types: at least one of %s is required", strings.Join(state.GrantTypes, ", "))
	}
	for _, g := range cred.GrantTypes {
		if !slices.Contains(state.GrantTypes, g) {
			return invalid("grant types: %q is not one of %s", g, strings.Join(state.GrantTypes, ", "))
		}
	}
	if cred.AllowsGrant(state.GrantAuthorizationCode) && len(cred.RedirectURIs) == 0 {
		return invalid("redirect uris: %s needs at least one", state.GrantAuthorizationCode)
	}
	for _, r := range cred.RedirectURIs {
		if u, err := url.Parse(r); err != nil || u.Scheme == "" || u.Fragment != "" || u.Opaque != "" {
			return invalid("redirect uris: %q is not an absolute URI without a fragment", r)
		}
	}
	return nil
}

// checkTTLs fills in the default lifetimes and bounds them by MaxTokenLifetime.
func checkTTLs(cred *state.ClientCredential) error {
	if cred.AccessTTL == 0 {
		cred.AccessTTL = state.DefaultAccessTTL
	}
	if cred.RefreshTTL == 0 {
		cred.RefreshTTL = state.DefaultRefreshTTL
	}
	if cred.AccessTTL < 1 || cred.AccessTTL > maxTokenTTL {
		return invalid("access ttl: %d s is not between 1 and %d", cred.AccessTTL, maxTokenTTL)
	}
	if cred.RefreshTTL < 1 || cred.RefreshTTL > maxTokenTTL {
		return invalid("refresh ttl: %d s is not between 1 and %d", cred.RefreshTTL, maxTokenTTL)
	}
	return nil
}

// replaySetCredentials answers a retried SetCredentials with the credential now stored under the first application's
// client ID (a proposer retrying with a regenerated secret finds the stored hash differs from its own), or with the
// command's (defaults filled in) if the application has been deleted since.
func replaySetCredentials(cur *state.State, c *SetCredentials, rec state.Request) any {
	if _, stored, ok := cur.ClientByID(rec.Ref); ok {
		return SetCredentialsResult{Cred: *stored}
	}
	cred := c.Cred
	_ = checkTTLs(&cred)
	return SetCredentialsResult{Cred: cred}
}

// regenerateKey replaces an API key by a new one for the same application, API, major version and environment; the
// old key expires at the end of the grace period, or earlier if it already did.
func regenerateKey(next *state.State, c *RegenerateKey, rec *state.Request) (any, error) {
	old, ok := next.Keys[c.ID]
	if !ok {
		return nil, notFound("key %q", c.ID)
	}
	if c.New.ID == "" || len(c.New.Hash) == 0 {
		return nil, invalid("new key id and hash are required")
	}
	if c.GraceUntil <= 0 {
		return nil, invalid("grace until: %d is not a unix-millisecond time", c.GraceUntil)
	}
	if _, ok := next.Keys[c.New.ID]; ok {
		return nil, conflict("key id %q exists", c.New.ID)
	}
	nk := c.New
	nk.AppID, nk.API, nk.Major, nk.Env = old.AppID, old.API, old.Major, old.Env
	if nk.Name == "" {
		nk.Name = old.Name
	}
	expiring := *old
	if expiring.ExpiresAt == 0 || expiring.ExpiresAt > c.GraceUntil {
		expiring.ExpiresAt = c.GraceUntil
	}
	next.Keys = maps.Clone(next.Keys)
	next.Keys[nk.ID], next.Keys[expiring.ID] = &nk, &expiring
	rec.Ref = nk.ID
	return RegenerateKeyResult{Key: &nk, Old: &expiring}, nil
}

// replayRegenerateKey answers a retried RegenerateKey from the stored keys, rebuilt from the command if deleted since.
func replayRegenerateKey(cur *state.State, c *RegenerateKey, rec state.Request) any {
	oldFallback := state.APIKey{ID: c.ID, ExpiresAt: c.GraceUntil}
	old := current(cur.Keys, c.ID, oldFallback, func(*state.APIKey) {})
	newFallback := c.New
	newFallback.AppID, newFallback.API, newFallback.Major, newFallback.Env = old.AppID, old.API, old.Major, old.Env
	return RegenerateKeyResult{
		Key: current(cur.Keys, rec.Ref, newFallback, func(k *state.APIKey) { k.ID = rec.Ref }),
		Old: old,
	}
}
