package admin

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"portico/node/apifile"
	"portico/node/httperr"
	"portico/node/openapi"
	"portico/raftstore"
	"portico/raftstore/state"
)

// apiSummary is an API version in listings.
type apiSummary struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	Context   string `json:"context"`
	Lifecycle string `json:"lifecycle"`
	Revision  int    `json:"revision"`
	// Consumer-facing settings, for catalogs.
	Visibility string   `json:"visibility,omitempty"`
	AccessMode string   `json:"accessMode,omitempty"`
	Owner      string   `json:"owner,omitempty"`
	URLs       []string `json:"urls"`
}

// deployResponse answers a deploy.
type deployResponse struct {
	Name      string   `json:"name"`
	Version   string   `json:"version"`
	Context   string   `json:"context"`
	Lifecycle string   `json:"lifecycle"`
	Revision  int      `json:"revision"`
	Changed   bool     `json:"changed"`
	URLs      []string `json:"urls"`
	// Index is the raft index of the state that holds this revision; Propagation is there when ?wait= asked.
	Index       uint64       `json:"index"`
	Propagation *propagation `json:"propagation,omitempty"`
}

// apiDetail is a whole API version with its invocation URLs.
type apiDetail struct {
	*state.API
	URLs []string `json:"urls"`
}

// deployAPI creates or updates an API version from an API file (YAML or JSON).
func (a *Admin) deployAPI(w http.ResponseWriter, r *http.Request) error {
	data, err := readBody(r, docTypes, maxAPIFile)
	if err != nil {
		return err
	}
	api, err := apifile.Decode(data)
	if err != nil {
		return httperr.Wrap(http.StatusBadRequest, err.Error(), err)
	}
	return a.putAPI(w, r, api)
}

// openAPIParams are the query parameters of an OpenAPI import.
var openAPIParams = map[string]bool{
	"name": true, "version": true, "context": true, "wait": true, "backend": true, "lifecycle": true, "security": true,
}

// deployOpenAPI creates or updates an API version from an OpenAPI 3 or Swagger 2 document.
func (a *Admin) deployOpenAPI(w http.ResponseWriter, r *http.Request) error {
	opts, err := openAPIOptions(r.URL.Query())
	if err != nil {
		return err
	}
	doc, err := readBody(r, docTypes, maxOpenAPI)
	if err != nil {
		return err
	}
	api, err := openapi.Convert(doc, opts)
	if err != nil {
		return httperr.Wrap(http.StatusBadRequest, err.Error(), err)
	}
	return a.putAPI(w, r, api)
}

// openAPIOptions reads the import options from the query; name, version, context and backend are required.
func openAPIOptions(q url.Values) (openapi.Options, error) {
	for k := range q {
		if !openAPIParams[k] {
			return openapi.Options{}, httperr.New(http.StatusBadRequest, fmt.Sprintf("%s: unknown query parameter", k))
		}
	}
	for _, k := range []string{"name", "version", "context", "backend"} {
		if q.Get(k) == "" {
			return openapi.Options{}, httperr.New(http.StatusBadRequest, k+": required query parameter")
		}
	}
	var security []string
	for _, s := range q["security"] {
		for _, part := range strings.Split(s, ",") {
			if part = strings.TrimSpace(part); part != "" {
				security = append(security, part)
			}
		}
	}
	return openapi.Options{
		Name: q.Get("name"), Version: q.Get("version"), Context: q.Get("context"), Backend: q.Get("backend"),
		Lifecycle: q.Get("lifecycle"), Security: security,
	}, nil
}

// putAPI checks the caller may change the API and its policy references, stamps the proposal time and the owner,
// and proposes it.
func (a *Admin) putAPI(w http.ResponseWriter, r *http.Request, api state.API) error {
	if err := a.stampOwner(r, &api); err != nil {
		return err
	}
	if err := a.checkPolicies(&api); err != nil {
		return err
	}
	mode, err := waitMode(r)
	if err != nil {
		return err
	}
	now := a.now().UnixMilli()
	api.Revision, api.CreatedAt, api.UpdatedAt = 0, now, now
	res, err := a.apply(r, raftstore.PutAPI{API: api})
	if err != nil {
		return err
	}
	accepted, idx := time.Now(), a.store.State().Index
	put, err := result[raftstore.PutAPIResult](res)
	if err != nil {
		return err
	}
	if put.API == nil {
		return httperr.Wrap(http.StatusInternalServerError, "internal error", fmt.Errorf("put API result has no API"))
	}
	s := put.API
	return writeJSON(w, http.StatusOK, deployResponse{
		Name: s.Name, Version: s.Version, Context: s.Context, Lifecycle: s.Lifecycle, Revision: s.Revision,
		Changed: put.Changed, URLs: s.URLs(), Index: idx,
		Propagation: a.propagate(r.Context(), mode, idx, accepted),
	})
}

// stampOwner refuses a publisher deploying an API another user owns, and sets the owner: the one the API's versions
// already have, else the publisher deploying it first ("" when an admin does).
func (a *Admin) stampOwner(r *http.Request, api *state.API) error {
	st, c := a.store.State(), callerFrom(r)
	if err := c.mayChangeAPI(st, api.Name); err != nil {
		return err
	}
	owner, exists := apiOwner(st, api.Name)
	if !exists && !c.admin() {
		owner = c.User
	}
	api.Owner = owner
	return nil
}

// checkPolicies refuses a policy reference that names no known policy, naming the field.
func (a *Admin) checkPolicies(api *state.API) error {
	if err := a.checkPhases("policies", api.Policies); err != nil {
		return err
	}
	for i, op := range api.Operations {
		if err := a.checkPhases(fmt.Sprintf("operations[%d].policies", i), op.Policies); err != nil {
			return err
		}
	}
	return nil
}

func (a *Admin) checkPhases(field string, p state.Policies) error {
	phases := []struct {
		name string
		refs []state.PolicyRef
	}{{"request", p.Request}, {"response", p.Response}, {"fault", p.Fault}}
	st := a.store.State()
	for _, ph := range phases {
		for i, ref := range ph.refs {
			if err := a.checkPolicyRef(st, fmt.Sprintf("%s.%s[%d]", field, ph.name, i), ref); err != nil {
				return err
			}
		}
	}
	return nil
}

// listAPIs lists the API versions the caller may see, sorted by name then version.
func (a *Admin) listAPIs(w http.ResponseWriter, r *http.Request) error {
	apis, c := a.store.State().SortedAPIs(), callerFrom(r)
	out := make([]apiSummary, 0, len(apis))
	for _, s := range apis {
		if !c.seesAPI(s) {
			continue
		}
		out = append(out, apiSummary{
			Name: s.Name, Version: s.Version, Context: s.Context, Lifecycle: s.Lifecycle, Revision: s.Revision,
			Visibility: s.Visibility, AccessMode: s.AccessMode, Owner: s.Owner, URLs: s.URLs(),
		})
	}
	return writeJSON(w, http.StatusOK, out)
}

// getAPI returns one API version in full.
func (a *Admin) getAPI(w http.ResponseWriter, r *http.Request) error {
	api, err := a.findAPI(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apiDetail{API: api, URLs: api.URLs()})
}

// deleteAPI removes one API version. Existence is checked by the state machine, so that a retried delete with the
// same Idempotency-Key succeeds again.
func (a *Admin) deleteAPI(w http.ResponseWriter, r *http.Request) error {
	name, version := r.PathValue("name"), r.PathValue("version")
	if err := callerFrom(r).mayChangeAPI(a.store.State(), name); err != nil {
		return err
	}
	if _, err := a.apply(r, raftstore.DeleteAPI{Name: name, Version: version}); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"name": name, "version": version, "deleted": true})
}

// findAPI looks up the API version named by the path; one the caller may not see is not found.
func (a *Admin) findAPI(r *http.Request) (*state.API, error) {
	name, version := r.PathValue("name"), r.PathValue("version")
	api, ok := a.store.State().APIs[state.APIID(name, version)]
	if !ok || !callerFrom(r).seesAPI(api) {
		return nil, httperr.New(http.StatusNotFound, fmt.Sprintf("API %s %s not found", name, version))
	}
	return api, nil
}

// findOwnAPI looks up the API version named by the path for a change: 404 if absent, 403 if the caller does not own
// it.
func (a *Admin) findOwnAPI(r *http.Request) (*state.API, error) {
	api, err := a.findAPI(r)
	if err != nil {
		return nil, err
	}
	if err := callerFrom(r).mayChangeAPI(a.store.State(), api.Name); err != nil {
		return nil, err
	}
	return api, nil
}
