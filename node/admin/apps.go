package admin

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"unicode/utf8"

	"portico/node/httperr"
	"portico/raftstore"
	"portico/raftstore/state"
)

// appName is the form of an application name.
var appName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// Bounds of an application's fields.
const (
	maxDescription = 1024 // bytes
	maxSharedWith  = 100  // users
)

// appRequest creates an application.
type appRequest struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// appView is an application on the wire: never a client secret or its hash.
type appView struct {
	ID          string              `json:"id"`
	Name        string              `json:"name"`
	Description string              `json:"description"`
	Owner       string              `json:"owner"`
	SharedWith  []string            `json:"sharedWith"`
	CreatedAt   int64               `json:"createdAt"`
	Credentials map[string]credView `json:"credentials"`
}

func viewApp(app *state.Application) appView {
	v := appView{
		ID: app.ID, Name: app.Name, Description: app.Description, Owner: app.Owner,
		SharedWith: nonNil(app.SharedWith), CreatedAt: app.CreatedAt, Credentials: map[string]credView{},
	}
	for env, c := range app.Credentials {
		v.Credentials[env] = viewCred(c)
	}
	return v
}

// nonNil gives an empty list for nil, so that lists are [] on the wire, never null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// appRoutes registers the application endpoints; every role may call them, on the applications it may reach.
func (a *Admin) appRoutes() {
	a.handle("POST /v1/apps", a.auth(a.createApp))
	a.handle("GET /v1/apps", a.auth(a.listApps))
	a.handle("GET /v1/apps/{app}", a.auth(a.getApp))
	a.handle("DELETE /v1/apps/{app}", a.auth(a.deleteApp))
	a.handle("POST /v1/apps/{app}/share", a.auth(a.shareApp))
	a.handle("POST /v1/apps/{app}/credentials", a.auth(a.setCredentials))
}

// createApp creates an application owned by the caller. Name uniqueness is checked by the state machine.
func (a *Admin) createApp(w http.ResponseWriter, r *http.Request) error {
	var req appRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	app := state.Application{
		ID: randomHex(8), Name: req.Name, Description: req.Description, Owner: callerFrom(r).User,
		CreatedAt: a.now().UnixMilli(),
	}
	res, err := a.apply(r, raftstore.CreateApp{App: app})
	if err != nil {
		return err
	}
	created, err := result[raftstore.CreateAppResult](res)
	if err != nil {
		return err
	}
	if created.App == nil {
		return httperr.Wrap(http.StatusInternalServerError, "internal error", fmt.Errorf("create app result has no app"))
	}
	return writeJSON(w, http.StatusCreated, viewApp(created.App))
}

func (req appRequest) validate() error {
	if !appName.MatchString(req.Name) {
		return httperr.New(http.StatusBadRequest,
			fmt.Sprintf("name: %q must match %s", req.Name, appName.String()))
	}
	if len(req.Description) > maxDescription || !utf8.ValidString(req.Description) {
		return httperr.New(http.StatusBadRequest,
			fmt.Sprintf("description: must be valid UTF-8 of at most %d bytes", maxDescription))
	}
	return nil
}

// listApps lists the applications the caller may read, sorted by name.
func (a *Admin) listApps(w http.ResponseWriter, r *http.Request) error {
	st, c := a.store.State(), callerFrom(r)
	out := make([]appView, 0, len(st.Apps))
	for _, app := range st.Apps {
		if c.readsApp(app) {
			out = append(out, viewApp(app))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return writeJSON(w, http.StatusOK, out)
}

// getApp returns one application, named by ID or name.
func (a *Admin) getApp(w http.ResponseWriter, r *http.Request) error {
	app, err := appFor(r, a.store.State(), r.PathValue("app"), readApp)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, viewApp(app))
}

// deleteApp removes an application, named by name or ID, with its credentials, keys and subscriptions.
func (a *Admin) deleteApp(w http.ResponseWriter, r *http.Request) error {
	app, err := appFor(r, a.store.State(), r.PathValue("app"), writeApp)
	if err != nil {
		return err
	}
	if _, err := a.apply(r, raftstore.DeleteApp{ID: app.ID}); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"id": app.ID, "name": app.Name, "deleted": true})
}

// shareRequest replaces the users an application is shared with.
type shareRequest struct {
	Users []string `json:"users"`
}

// shareApp shares an application read-only with users (the list replaces the previous one; [] unshares).
func (a *Admin) shareApp(w http.ResponseWriter, r *http.Request) error {
	var req shareRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	app, err := appFor(r, a.store.State(), r.PathValue("app"), writeApp)
	if err != nil {
		return err
	}
	if _, err := a.apply(r, raftstore.ShareApp{AppID: app.ID, Users: nonNil(req.Users)}); err != nil {
		return err
	}
	return a.writeApp(w, http.StatusOK, app.ID)
}

func (req shareRequest) validate() error {
	if req.Users == nil {
		return httperr.New(http.StatusBadRequest, "users: required (a list of user names; [] to unshare)")
	}
	if len(req.Users) > maxSharedWith {
		return httperr.New(http.StatusBadRequest, fmt.Sprintf("users: at most %d", maxSharedWith))
	}
	for i, u := range req.Users {
		switch {
		case !state.ValidUserName(u):
			return httperr.New(http.StatusBadRequest, fmt.Sprintf("users[%d]: %q is not a user name", i, u))
		case slices.Index(req.Users, u) != i:
			return httperr.New(http.StatusBadRequest, fmt.Sprintf("users[%d]: %q listed twice", i, u))
		}
	}
	return nil
}

// writeApp answers with the application as the state holds it now.
func (a *Admin) writeApp(w http.ResponseWriter, status int, id string) error {
	app, ok := a.store.State().Apps[id]
	if !ok {
		return httperr.New(http.StatusNotFound, fmt.Sprintf("application %q not found", id))
	}
	return writeJSON(w, status, viewApp(app))
}
