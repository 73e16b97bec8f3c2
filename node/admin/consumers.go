package admin

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"

	"portico/node/httperr"
)

// consumerView is an application subscribed to an API, as the API's operator sees it.
type consumerView struct {
	Subscription string `json:"subscription"`
	App          string `json:"app"`
	AppID        string `json:"appId"`
	Owner        string `json:"owner"`
	Plan         string `json:"plan"`
	Status       string `json:"status"`
	Major        int    `json:"major"`
}

// listConsumers lists the subscriptions to every major version of an API, for its owner or an admin.
func (a *Admin) listConsumers(w http.ResponseWriter, r *http.Request) error {
	st, c, name := a.store.State(), callerFrom(r), r.PathValue("name")
	if _, exists := apiOwner(st, name); !exists {
		return httperr.New(http.StatusNotFound, fmt.Sprintf("API %q not found", name))
	}
	if !c.ownsAPI(st, name) {
		return httperr.New(http.StatusForbidden, fmt.Sprintf("%s does not own API %s", c, name))
	}
	out := []consumerView{}
	for _, sub := range st.Subscriptions {
		if sub.API != name {
			continue
		}
		v := consumerView{Subscription: sub.ID, App: sub.AppID, AppID: sub.AppID, Plan: sub.Plan, Status: sub.Status,
			Major: sub.Major}
		if app, ok := st.Apps[sub.AppID]; ok {
			v.App, v.Owner = app.Name, app.Owner
		}
		out = append(out, v)
	}
	slices.SortFunc(out, func(x, y consumerView) int {
		return cmp.Or(cmp.Compare(x.Major, y.Major), cmp.Compare(x.App, y.App), cmp.Compare(x.Subscription, y.Subscription))
	})
	return writeJSON(w, http.StatusOK, out)
}
