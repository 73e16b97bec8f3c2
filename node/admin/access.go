package admin

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"portico/node/httperr"
	"portico/raftstore/state"
)

// Object-level authorisation. Admins reach everything. Publishers read every API and change the APIs they own.
// Other users reach the applications they own, read those shared with them, and see the APIs their role may see.
// An object a caller may not read answers exactly as an absent one (404), so that its existence does not leak.

// seesAPI reports whether the caller may read an API version.
func (c caller) seesAPI(api *state.API) bool {
	if c.admin() || c.Role == state.RolePublisher {
		return true
	}
	switch api.Visibility {
	case "", state.VisibilityPublic:
		return true
	case state.VisibilityRestricted:
		return slices.Contains(api.VisibleRoles, c.Role)
	}
	return false
}

// apiOwner returns the owner of API name: the Owner of its versions ("" when none has one), and whether any version
// exists.
func apiOwner(st *state.State, name string) (owner string, exists bool) {
	for _, api := range st.APIs {
		if api.Name == name {
			exists = true
			if api.Owner != "" {
				owner = api.Owner
			}
		}
	}
	return owner, exists
}

// mayChangeAPI refuses (403) a publisher who does not own API name; an admin may change every API, and a publisher
// an API no one has deployed yet.
func (c caller) mayChangeAPI(st *state.State, name string) error {
	if c.admin() {
		return nil
	}
	owner, exists := apiOwner(st, name)
	if c.Role == state.RolePublisher && (!exists || owner == c.User) {
		return nil
	}
	return httperr.New(http.StatusForbidden, fmt.Sprintf("%s does not own API %s", c, name))
}

// ownsAPI reports whether the caller may manage the consumers of API name.
func (c caller) ownsAPI(st *state.State, name string) bool {
	if c.admin() {
		return true
	}
	owner, exists := apiOwner(st, name)
	return c.Role == state.RolePublisher && exists && owner == c.User
}

// readsApp reports whether the caller may read an application: its owner, a user it is shared with, or an admin.
func (c caller) readsApp(app *state.Application) bool {
	return c.writesApp(app) || c.User != "" && slices.Contains(app.SharedWith, c.User)
}

// writesApp reports whether the caller may change an application: its owner or an admin.
func (c caller) writesApp(app *state.Application) bool {
	return c.admin() || c.User != "" && app.Owner == c.User
}

// Access a request needs to an application.
const (
	readApp  = false
	writeApp = true
)

// appFor resolves an application by ID or name for the caller: 404 if it is absent or the caller may not read it,
// 403 if write access is needed and it is only shared with the caller.
func appFor(r *http.Request, st *state.State, ref string, write bool) (*state.Application, error) {
	c := callerFrom(r)
	app, err := findApp(st, c, ref)
	if err != nil {
		return nil, err
	}
	if write && !c.writesApp(app) {
		return nil, httperr.New(http.StatusForbidden,
			fmt.Sprintf("application %q is shared with %s read-only", ref, c))
	}
	return app, nil
}

func appNotFound(ref string) error {
	return httperr.New(http.StatusNotFound, fmt.Sprintf("application %q not found", ref))
}

// findApp resolves an application the caller may read, by ID first, then by name: the caller's own application of
// that name, else the only one of that name the caller may read. Names are unique per owner, so an admin (or a user
// two others shared an application of one name with) may need the ID: the refusal lists the IDs.
func findApp(st *state.State, c caller, ref string) (*state.Application, error) {
	if app, ok := st.Apps[ref]; ok && c.readsApp(app) {
		return app, nil
	}
	if app, ok := st.OwnedApp(c.User, ref); ok && c.readsApp(app) {
		return app, nil
	}
	var ids []string
	var found *state.Application
	for _, app := range st.AppsNamed(ref) {
		if c.readsApp(app) {
			ids = append(ids, app.ID)
			found = app
		}
	}
	switch len(ids) {
	case 0:
		return nil, appNotFound(ref)
	case 1:
		return found, nil
	}
	return nil, httperr.New(http.StatusConflict, fmt.Sprintf("%d applications are named %q: name one by its ID (%s)",
		len(ids), ref, strings.Join(ids, ", ")))
}
