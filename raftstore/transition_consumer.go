package raftstore

import (
	"maps"
	"strings"

	"portico/raftstore/state"
)

// createApp stores an application; its ID and name must be unused.
// createApp is CreateApp version 2: the name is unique among the owner's applications, so that another user's
// names are neither taken from nor revealed to anyone.
func createApp(next *state.State, c *CreateApp, rec *state.Request) (any, error) {
	return addApp(next, c, rec, func(app *state.Application) bool {
		_, ok := next.OwnedApp(app.Owner, app.Name)
		return ok
	})
}

// createAppUniqueName is CreateApp version 1: the name is unique cluster-wide.
func createAppUniqueName(next *state.State, c *CreateApp, rec *state.Request) (any, error) {
	return addApp(next, c, rec, func(app *state.Application) bool {
		_, ok := next.AppByName(app.Name)
		return ok
	})
}

// addApp adds c's application unless its ID exists or taken says its name is.
func addApp(next *state.State, c *CreateApp, rec *state.Request, taken func(*state.Application) bool) (any, error) {
	app := c.App
	if app.ID == "" || app.Name == "" {
		return nil, invalid("application id and name are required")
	}
	if _, ok := next.Apps[app.ID]; ok {
		return nil, conflict("application id %q exists", app.ID)
	}
	if taken(&app) {
		return nil, conflict("application name %q is taken", app.Name)
	}
	next.Apps = maps.Clone(next.Apps)
	next.Apps[app.ID] = &app
	rec.Ref = app.ID
	return CreateAppResult{App: &app}, nil
}

// deleteApp removes an application with its keys, subscriptions and client credentials.
func deleteApp(next *state.State, c *DeleteApp, _ *state.Request) (any, error) {
	if _, ok := next.Apps[c.ID]; !ok {
		return nil, notFound("application %q", c.ID)
	}
	next.ClientIndex = deleteWhere(next.ClientIndex, func(app string) bool { return app == c.ID })
	next.Apps = maps.Clone(next.Apps)
	delete(next.Apps, c.ID)
	next.Keys = deleteWhere(next.Keys, func(k *state.APIKey) bool { return k.AppID == c.ID })
	next.Subscriptions = deleteWhere(next.Subscriptions, func(s *state.Subscription) bool { return s.AppID == c.ID })
	next.SubIndex = deleteWhere(next.SubIndex, func(id string) bool { _, ok := next.Subscriptions[id]; return !ok })
	return DeleteResult{Deleted: true}, nil
}

// deleteWhere returns m itself if no value matches, else a copy without the matching values.
func deleteWhere[V any](m map[string]V, match func(V) bool) map[string]V {
	var out map[string]V
	for k, v := range m {
		if !match(v) {
			continue
		}
		if out == nil {
			out = maps.Clone(m)
		}
		delete(out, k)
	}
	if out == nil {
		return m
	}
	return out
}

// createKey stores an API key for an existing application, creating the subscription it names if the application
// has none for the key's API major version.
func createKey(next *state.State, c *CreateKey, rec *state.Request) (any, error) {
	key := c.Key
	if key.ID == "" || key.API == "" {
		return nil, invalid("key id and api are required")
	}
	if _, ok := next.Apps[key.AppID]; !ok {
		return nil, notFound("application %q", key.AppID)
	}
	if _, ok := next.Keys[key.ID]; ok {
		return nil, conflict("key id %q exists", key.ID)
	}
	sub, err := keySubscription(next, &key, c.Subscription)
	if err != nil {
		return nil, err
	}
	next.Keys = maps.Clone(next.Keys)
	next.Keys[key.ID] = &key
	rec.Ref = key.ID
	if sub != nil {
		rec.SubRef = sub.ID
	}
	return CreateKeyResult{Key: &key, Subscription: sub}, nil
}

// keySubscription returns the application's subscription for the key's API major version, creating want in next if
// there is none; nil if there is none and want is nil.
func keySubscription(next *state.State, key *state.APIKey, want *state.Subscription) (*state.Subscription, error) {
	if sub, ok := next.Subscription(key.AppID, key.API, key.Major); ok || want == nil {
		return sub, nil
	}
	sub := *want
	if sub.ID == "" || sub.AppID != key.AppID || sub.API != key.API || sub.Major != key.Major {
		return nil, invalid("subscription must have an id and match the key's application, api and major version")
	}
	if err := addSubscription(next, &sub); err != nil {
		return nil, err
	}
	return &sub, nil
}

// deleteKey revokes an API key.
func deleteKey(next *state.State, c *DeleteKey, _ *state.Request) (any, error) {
	if _, ok := next.Keys[c.ID]; !ok {
		return nil, notFound("key %q", c.ID)
	}
	next.Keys = maps.Clone(next.Keys)
	delete(next.Keys, c.ID)
	return DeleteResult{Deleted: true}, nil
}

// createAdminToken stores an admin token; its ID must be unused.
func createAdminToken(next *state.State, c *CreateAdminToken, rec *state.Request) (any, error) {
	tok := c.Token
	if tok.ID == "" {
		return nil, invalid("admin token id is required")
	}
	if tok.Role != "" && !state.ValidRole(tok.Role) {
		return nil, invalid("role: %q is not one of %s", tok.Role, strings.Join(state.Roles, ", "))
	}
	if _, ok := next.Users[tok.User]; tok.User != "" && !ok {
		return nil, notFound("user %q", tok.User)
	}
	if _, ok := next.AdminTokens[tok.ID]; ok {
		return nil, conflict("admin token id %q exists", tok.ID)
	}
	next.AdminTokens = maps.Clone(next.AdminTokens)
	// Expired tokens (logins, mostly) are dropped here, by the new token's creation time, so they do not pile up.
	for id, t := range next.AdminTokens {
		if t.ExpiresAt != 0 && t.ExpiresAt <= tok.CreatedAt {
			delete(next.AdminTokens, id)
		}
	}
	next.AdminTokens[tok.ID] = &tok
	rec.Ref = tok.ID
	return CreateAdminTokenResult{Token: &tok}, nil
}

// Replays: the object the first application stored, from the current state, or rebuilt from the retried command
// under the first application's ID if it has been deleted since.

func replayCreateApp(cur *state.State, c *CreateApp, rec state.Request) any {
	return CreateAppResult{App: current(cur.Apps, rec.Ref, c.App, func(a *state.Application) { a.ID = rec.Ref })}
}

func replayCreateKey(cur *state.State, c *CreateKey, rec state.Request) any {
	res := CreateKeyResult{Key: current(cur.Keys, rec.Ref, c.Key, func(k *state.APIKey) { k.ID = rec.Ref })}
	if rec.SubRef == "" {
		return res
	}
	fallback := state.Subscription{AppID: res.Key.AppID, API: res.Key.API, Major: res.Key.Major}
	if c.Subscription != nil {
		fallback = *c.Subscription
	}
	res.Subscription = current(cur.Subscriptions, rec.SubRef, fallback, func(s *state.Subscription) { s.ID = rec.SubRef })
	return res
}

func replayCreateAdminToken(cur *state.State, c *CreateAdminToken, rec state.Request) any {
	return CreateAdminTokenResult{Token: current(cur.AdminTokens, rec.Ref, c.Token, func(t *state.AdminToken) { t.ID = rec.Ref })}
}

// current returns m[id], or fallback with setID applied if m has no such entry.
func current[T any](m map[string]*T, id string, fallback T, setID func(*T)) *T {
	if v, ok := m[id]; ok {
		return v
	}
	setID(&fallback)
	return &fallback
}
