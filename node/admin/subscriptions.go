package admin

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"

	"portico/node/httperr"
	"portico/raftstore"
	"portico/raftstore/state"
)

// subRequest subscribes an application to an API major version (the highest the caller sees when absent).
type subRequest struct {
	App   string `json:"app"`
	API   string `json:"api"`
	Major *int   `json:"major"`
	Plan  string `json:"plan"`
}

// subView is a subscription on the wire.
type subView struct {
	ID        string `json:"id"`
	App       string `json:"app"`
	AppID     string `json:"appId"`
	API       string `json:"api"`
	Major     int    `json:"major"`
	Plan      string `json:"plan"`
	Status    string `json:"status"`
	CreatedAt int64  `json:"createdAt"`
}

// viewSub shows a subscription with its application's name (its ID if the application is gone).
func viewSub(s *state.Subscription, app *state.Application) subView {
	name := s.AppID
	if app != nil {
		name = app.Name
	}
	return subView{ID: s.ID, App: name, AppID: s.AppID, API: s.API, Major: s.Major, Plan: s.Plan, Status: s.Status,
		CreatedAt: s.CreatedAt}
}

// subRoutes registers the endpoints of subscriptions and plans.
func (a *Admin) subRoutes() {
	a.handle("POST /v1/subscriptions", a.auth(a.createSub))
	a.handle("GET /v1/subscriptions", a.auth(a.listSubs))
	a.handle("POST /v1/subscriptions/{id}/block", a.only("block subscriptions", publishers, a.blockSub))
	a.handle("POST /v1/subscriptions/{id}/unblock", a.only("unblock subscriptions", publishers, a.unblockSub))
	a.handle("DELETE /v1/subscriptions/{id}", a.auth(a.deleteSub))
	a.handle("GET /v1/plans", a.auth(a.listPlans))
	a.handle("POST /v1/plans", a.only("create plans", publishers, a.createPlan))
}

// createSub subscribes one of the caller's applications to an API major version the caller sees. The state machine
// refuses an API major version with no Published or Pre-released version, an unknown plan and a second subscription.
func (a *Admin) createSub(w http.ResponseWriter, r *http.Request) error {
	var req subRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	st := a.store.State()
	app, err := appFor(r, st, req.App, writeApp)
	if err != nil {
		return err
	}
	major, err := apiMajor(st, callerFrom(r), req.API, req.Major)
	if err != nil {
		return err
	}
	sub := state.Subscription{ID: randomHex(8), AppID: app.ID, API: req.API, Major: major, Plan: req.Plan,
		Status: state.SubActive, CreatedAt: a.now().UnixMilli()}
	res, err := a.apply(r, raftstore.CreateSubscription{Sub: sub})
	if err != nil {
		return err
	}
	created, err := result[raftstore.CreateSubscriptionResult](res)
	if err != nil {
		return err
	}
	if created.Sub == nil {
		return fmt.Errorf("create subscription result has no subscription")
	}
	return writeJSON(w, http.StatusCreated, viewSub(created.Sub, app))
}

func (req *subRequest) validate() error {
	switch {
	case req.App == "":
		return badField("app", "required")
	case req.API == "":
		return badField("api", "required")
	case req.Major != nil && *req.Major < 0:
		return badField("major", "%d is negative", *req.Major)
	}
	return checkPlanName(&req.Plan)
}

// checkPlanName defaults an empty plan and refuses a malformed name.
func checkPlanName(plan *string) error {
	if *plan == "" {
		*plan = defaultPlan
	}
	if !validToken(*plan, 64) {
		return badField("plan", "must be 1 to 64 characters of [A-Za-z0-9._-]")
	}
	return nil
}

// listSubs lists the subscriptions the caller may see, of one application if ?app= names it: those of the
// applications it reads, and for a publisher those to the APIs it owns.
func (a *Admin) listSubs(w http.ResponseWriter, r *http.Request) error {
	st, c := a.store.State(), callerFrom(r)
	var only *state.Application
	if ref := r.URL.Query().Get("app"); ref != "" {
		app, err := appFor(r, st, ref, readApp)
		if err != nil {
			return err
		}
		only = app
	}
	out := []subView{}
	for _, s := range st.Subscriptions {
		app := st.Apps[s.AppID]
		if only != nil && s.AppID != only.ID || !c.seesSub(st, s, app) {
			continue
		}
		out = append(out, viewSub(s, app))
	}
	slices.SortFunc(out, func(x, y subView) int { return cmp.Or(cmp.Compare(x.CreatedAt, y.CreatedAt), cmp.Compare(x.ID, y.ID)) })
	return writeJSON(w, http.StatusOK, out)
}

// seesSub reports whether the caller may see a subscription: through its application, or as its API's owner.
func (c caller) seesSub(st *state.State, s *state.Subscription, app *state.Application) bool {
	return app != nil && c.readsApp(app) || c.ownsAPI(st, s.API)
}

func (a *Admin) blockSub(w http.ResponseWriter, r *http.Request) error {
	return a.setSubStatus(w, r, state.SubBlocked)
}

func (a *Admin) unblockSub(w http.ResponseWriter, r *http.Request) error {
	return a.setSubStatus(w, r, state.SubActive)
}

// setSubStatus blocks or unblocks a subscription, for an admin or the publisher owning its API.
func (a *Admin) setSubStatus(w http.ResponseWriter, r *http.Request, status string) error {
	st, c := a.store.State(), callerFrom(r)
	sub, err := findSub(st, c, r.PathValue("id"))
	if err != nil {
		return err
	}
	if !c.ownsAPI(st, sub.API) {
		return httperr.New(http.StatusForbidden, fmt.Sprintf("%s does not own API %s", c, sub.API))
	}
	if _, err := a.apply(r, raftstore.SetSubscriptionStatus{ID: sub.ID, Status: status}); err != nil {
		return err
	}
	st = a.store.State()
	if s, ok := st.Subscriptions[sub.ID]; ok {
		sub = s
	}
	return writeJSON(w, http.StatusOK, viewSub(sub, st.Apps[sub.AppID]))
}

// deleteSub removes a subscription with its application's keys for that API major version, for the application's
// owner or an admin.
func (a *Admin) deleteSub(w http.ResponseWriter, r *http.Request) error {
	st, c := a.store.State(), callerFrom(r)
	sub, err := findSub(st, c, r.PathValue("id"))
	if err != nil {
		return err
	}
	switch app := st.Apps[sub.AppID]; {
	case c.admin() || app != nil && c.writesApp(app):
	case app != nil && c.readsApp(app):
		return httperr.New(http.StatusForbidden, fmt.Sprintf("application %q is shared with %s read-only",
			app.Name, c))
	default:
		return httperr.New(http.StatusForbidden, fmt.Sprintf("%s cannot delete the subscriptions of application %q",
			c, viewSub(sub, app).App))
	}
	if _, err := a.apply(r, raftstore.DeleteSubscription{ID: sub.ID}); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"id": sub.ID, "deleted": true})
}

// findSub finds a subscription the caller may see; any other is not found.
func findSub(st *state.State, c caller, id string) (*state.Subscription, error) {
	s, ok := st.Subscriptions[id]
	if !ok || !c.seesSub(st, s, st.Apps[s.AppID]) {
		return nil, httperr.New(http.StatusNotFound, fmt.Sprintf("subscription %q not found", id))
	}
	return s, nil
}

// planView is a usage plan on the wire.
type planView struct {
	Name    string `json:"name"`
	RPM     int64  `json:"rpm"`
	Burst   int64  `json:"burst"`
	BuiltIn bool   `json:"builtIn"`
}

// planRequest creates a custom plan.
type planRequest struct {
	Name  string `json:"name"`
	RPM   int64  `json:"rpm"`
	Burst int64  `json:"burst"`
}

// listPlans lists the built-in plans in their order, then the custom ones by name.
func (a *Admin) listPlans(w http.ResponseWriter, r *http.Request) error {
	st := a.store.State()
	names := st.PlanNames()
	out := make([]planView, 0, len(names))
	for _, name := range names {
		if p, ok := st.Plan(name); ok {
			out = append(out, planView{Name: p.Name, RPM: p.RPM, Burst: p.Burst, BuiltIn: p.BuiltIn})
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

// createPlan stores a custom plan. Built-in names and existing plans are refused by the state machine.
func (a *Admin) createPlan(w http.ResponseWriter, r *http.Request) error {
	var req planRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	switch {
	case !validToken(req.Name, 64):
		return badField("name", "%q must be 1 to 64 characters of [A-Za-z0-9._-]", req.Name)
	case req.RPM < 1:
		return badField("rpm", "%d must be at least 1 (requests per minute)", req.RPM)
	case req.Burst < 0:
		return badField("burst", "%d must not be negative", req.Burst)
	}
	res, err := a.apply(r, raftstore.CreatePlan{Plan: state.Plan{Name: req.Name, RPM: req.RPM, Burst: req.Burst}})
	if err != nil {
		return err
	}
	created, err := result[raftstore.CreatePlanResult](res)
	if err != nil {
		return err
	}
	if created.Plan == nil {
		return fmt.Errorf("create plan result has no plan")
	}
	p := created.Plan
	return writeJSON(w, http.StatusCreated, planView{Name: p.Name, RPM: p.RPM, Burst: p.Burst, BuiltIn: p.BuiltIn})
}
