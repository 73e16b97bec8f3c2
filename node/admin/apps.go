package admin

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"unicode/utf8"

	"portico/node/httperr"
	"portico/raftstore"
	"portico/raftstore/state"
)

// appName is the form of an application name.
var appName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// maxDescription bounds an application's description, in bytes.
const maxDescription = 1024

// appRequest creates an application.
type appRequest struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// appView is an application on the wire.
type appView struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	CreatedAt   int64  `json:"createdAt"`
}

func viewApp(app *state.Application) appView {
	return appView{ID: app.ID, Name: app.Name, Description: app.Description, CreatedAt: app.CreatedAt}
}

// createApp creates an application. Name uniqueness is checked by the state machine.
func (a *Admin) createApp(w http.ResponseWriter, r *http.Request) error {
	var req appRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	app := state.Application{
		ID: randomHex(8), Name: req.Name, Description: req.Description, CreatedAt: a.now().UnixMilli(),
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

// listApps lists the applications sorted by name.
func (a *Admin) listApps(w http.ResponseWriter, r *http.Request) error {
	st := a.store.State()
	out := make([]appView, 0, len(st.Apps))
	for _, app := range st.Apps {
		out = append(out, viewApp(app))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return writeJSON(w, http.StatusOK, out)
}

// deleteApp removes an application, named by name or ID, with its keys and subscriptions.
func (a *Admin) deleteApp(w http.ResponseWriter, r *http.Request) error {
	app, err := findApp(a.store.State(), r.PathValue("app"))
	if err != nil {
		return err
	}
	if _, err := a.apply(r, raftstore.DeleteApp{ID: app.ID}); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"id": app.ID, "name": app.Name, "deleted": true})
}

// findApp resolves an application by ID first, then by name.
func findApp(st *state.State, ref string) (*state.Application, error) {
	if app, ok := st.Apps[ref]; ok {
		return app, nil
	}
	if app, ok := st.AppByName(ref); ok {
		return app, nil
	}
	return nil, httperr.New(http.StatusNotFound, fmt.Sprintf("application %q not found", ref))
}
