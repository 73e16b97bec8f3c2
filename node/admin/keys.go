package admin

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"sort"

	"portico/node/httperr"
	"portico/plugins/abi"
	"portico/raftstore"
	"portico/raftstore/state"
)

// defaultPlan is the usage plan of a subscription created for a key when the request names none.
const defaultPlan = "Unlimited"

// keyRequest creates an API key.
type keyRequest struct {
	App   string `json:"app"`
	API   string `json:"api"`
	Major *int   `json:"major"`
	Env   string `json:"env"`
	Name  string `json:"name"`
	Plan  string `json:"plan"`
}

// keyView is an API key in listings: never the key or its hash.
type keyView struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	App       string `json:"app"`
	AppID     string `json:"appId"`
	API       string `json:"api"`
	Major     int    `json:"major"`
	Env       string `json:"env"`
	CreatedAt int64  `json:"createdAt"`
	ExpiresAt int64  `json:"expiresAt,omitempty"`
}

// createdKey answers a key creation: the only response that ever holds the key.
type createdKey struct {
	keyView
	Key          string `json:"key"`
	Subscription string `json:"subscription"`
}

// createKey creates an API key for an application and an API major version, subscribing the application first if
// it is not subscribed.
func (a *Admin) createKey(w http.ResponseWriter, r *http.Request) error {
	var req keyRequest
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
	secret, cmd := a.newKey(app, req, major)
	res, err := a.apply(r, cmd)
	if err != nil {
		return err
	}
	return a.writeCreatedKey(w, res, cmd, secret, app)
}

// writeCreatedKey answers with the new key, unless the Idempotency-Key had already created another key, whose secret
// cannot be shown again.
func (a *Admin) writeCreatedKey(w http.ResponseWriter, res any, cmd raftstore.CreateKey, secret string,
	app *state.Application) error {
	created, err := result[raftstore.CreateKeyResult](res)
	if err != nil {
		return err
	}
	k := created.Key
	if k == nil || k.ID != cmd.Key.ID || !bytes.Equal(k.Hash, cmd.Key.Hash) {
		return httperr.New(http.StatusConflict, "this Idempotency-Key already created an API key, whose value "+
			"cannot be shown again: create a new key with a new Idempotency-Key and delete the other one")
	}
	out := createdKey{keyView: viewKey(k, app), Key: secret}
	if created.Subscription != nil {
		out.Subscription = created.Subscription.ID
	}
	return writeJSON(w, http.StatusCreated, out)
}

func (req *keyRequest) validate() error {
	if req.App == "" {
		return httperr.New(http.StatusBadRequest, "app: required")
	}
	if req.API == "" {
		return httperr.New(http.StatusBadRequest, "api: required")
	}
	if req.Major != nil && *req.Major < 0 {
		return httperr.New(http.StatusBadRequest, fmt.Sprintf("major: %d is negative", *req.Major))
	}
	if err := checkEnv(&req.Env); err != nil {
		return err
	}
	if req.Name != "" && !validToken(req.Name, 64) {
		return httperr.New(http.StatusBadRequest, "name: must be 1 to 64 characters of [A-Za-z0-9._-]")
	}
	return checkPlanName(&req.Plan)
}

// apiMajor returns the requested major version of the API if a version of it the caller sees is deployed, or the
// highest such major.
func apiMajor(st *state.State, c caller, name string, want *int) (int, error) {
	highest, found := -1, false
	for _, api := range st.APIs {
		if api.Name != name || !c.seesAPI(api) {
			continue
		}
		if want != nil && api.Major == *want {
			return api.Major, nil
		}
		found = true
		highest = max(highest, api.Major)
	}
	switch {
	case !found:
		return 0, httperr.New(http.StatusNotFound, fmt.Sprintf("API %q not found", name))
	case want != nil:
		return 0, httperr.New(http.StatusNotFound, fmt.Sprintf("API %q has no deployed major version %d", name, *want))
	}
	return highest, nil
}

// newKey builds a key and its command. The command carries a subscription for the state machine to create if the app
// has none.
func (a *Admin) newKey(app *state.Application, req keyRequest, major int) (string, raftstore.CreateKey) {
	id, key, hash := newAPIKey()
	now := a.now().UnixMilli()
	return key, raftstore.CreateKey{
		Key: state.APIKey{
			ID: id, Name: req.Name, AppID: app.ID, API: req.API, Major: major, Env: req.Env, Hash: hash, CreatedAt: now,
		},
		Subscription: &state.Subscription{
			ID: randomHex(8), AppID: app.ID, API: req.API, Major: major, Plan: req.Plan, Status: state.SubActive,
			CreatedAt: now,
		},
	}
}

// newAPIKey returns a new key's ID, the key and its SHA-256: the key is "pk_" + 16 hex ID + "_" + 32 random bytes in
// base64url, stored as its SHA-256 only.
func newAPIKey() (id, key string, hash []byte) {
	rawID := make([]byte, 8)
	raw := make([]byte, 32)
	_, _ = rand.Read(rawID)
	_, _ = rand.Read(raw)
	id = hex.EncodeToString(rawID)
	key = abi.FormatAPIKey(id, base64.RawURLEncoding.EncodeToString(raw))
	sum := sha256.Sum256([]byte(key))
	return id, key, sum[:]
}

// listKeys lists the API keys of the applications the caller may read, of one application if ?app= names it.
func (a *Admin) listKeys(w http.ResponseWriter, r *http.Request) error {
	st, c := a.store.State(), callerFrom(r)
	var only *state.Application
	if ref := r.URL.Query().Get("app"); ref != "" {
		app, err := appFor(r, st, ref, readApp)
		if err != nil {
			return err
		}
		only = app
	}
	out := make([]keyView, 0, len(st.Keys))
	for _, k := range st.Keys {
		app := st.Apps[k.AppID]
		if only != nil && k.AppID != only.ID || !c.admin() && (app == nil || !c.readsApp(app)) {
			continue
		}
		out = append(out, viewKey(k, app))
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].CreatedAt != out[j].CreatedAt {
			return out[i].CreatedAt < out[j].CreatedAt
		}
		return out[i].ID < out[j].ID
	})
	return writeJSON(w, http.StatusOK, out)
}

// viewKey shows a key with its application's name (its ID if the application is gone).
func viewKey(k *state.APIKey, app *state.Application) keyView {
	name := k.AppID
	if app != nil {
		name = app.Name
	}
	return keyView{
		ID: k.ID, Name: k.Name, App: name, AppID: k.AppID, API: k.API, Major: k.Major, Env: k.Env,
		CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt,
	}
}

// deleteKey revokes an API key at once. A key that is not stored is left to the state machine, so that a retried
// delete with the same Idempotency-Key succeeds again.
func (a *Admin) deleteKey(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if _, err := keyFor(r, a.store.State(), id, true); err != nil {
		return err
	}
	if _, err := a.apply(r, raftstore.DeleteKey{ID: id}); err != nil {
		if httperr.As(err).Status == http.StatusNotFound {
			return keyNotFound(id)
		}
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"id": id, "deleted": true})
}

// keyFor finds an API key whose application the caller may change: 404 for a malformed ID or a key of an
// application the caller may not read, 403 for one only shared with it. An absent key gives nil when absentOK.
func keyFor(r *http.Request, st *state.State, id string, absentOK bool) (*state.APIKey, error) {
	notFound := keyNotFound(id)
	if _, ok := abi.ParseAPIKey(abi.FormatAPIKey(id, "x")); !ok || len(id) != abi.KeyIDLen {
		return nil, notFound
	}
	k, ok := st.Keys[id]
	switch {
	case !ok && absentOK:
		return nil, nil
	case !ok:
		return nil, notFound
	}
	c := callerFrom(r)
	if c.admin() {
		return k, nil
	}
	app := st.Apps[k.AppID]
	if app == nil || !c.readsApp(app) {
		return nil, notFound
	}
	if !c.writesApp(app) {
		return nil, httperr.New(http.StatusForbidden,
			fmt.Sprintf("application %q is shared with %s read-only", app.Name, c))
	}
	return k, nil
}

func keyNotFound(id string) error {
	return httperr.New(http.StatusNotFound, fmt.Sprintf("API key %q not found", id))
}

// regeneratedKey answers a regeneration: the new key, shown once, and until when the previous one stays valid.
type regeneratedKey struct {
	keyView
	Key        string `json:"key"`
	GraceUntil int64  `json:"graceUntil"`
	Previous   string `json:"previous"`
}

// regenerateKey issues a new key for the same application, API, major version and environment; the old key stays
// valid for the node's key grace period (or less, if it was already expiring sooner).
func (a *Admin) regenerateKey(w http.ResponseWriter, r *http.Request) error {
	old, err := keyFor(r, a.store.State(), r.PathValue("id"), false)
	if err != nil {
		return err
	}
	now := a.now()
	if old.ExpiresAt != 0 && old.ExpiresAt <= now.UnixMilli() {
		return httperr.New(http.StatusConflict, fmt.Sprintf("API key %q has expired: create a new key", old.ID))
	}
	id, key, hash := newAPIKey()
	cmd := raftstore.RegenerateKey{ID: old.ID, GraceUntil: now.Add(a.keyGrace).UnixMilli(), New: state.APIKey{
		ID: id, Name: old.Name, AppID: old.AppID, API: old.API, Major: old.Major, Env: old.Env, Hash: hash,
		CreatedAt: now.UnixMilli(),
	}}
	res, err := a.apply(r, cmd)
	if err != nil {
		return err
	}
	regen, err := result[raftstore.RegenerateKeyResult](res)
	if err != nil {
		return err
	}
	if regen.Key == nil || regen.Old == nil || regen.Key.ID != id || !bytes.Equal(regen.Key.Hash, hash) {
		return httperr.New(http.StatusConflict, "this Idempotency-Key already regenerated an API key, whose value "+
			"cannot be shown again: regenerate with a new Idempotency-Key")
	}
	return writeJSON(w, http.StatusCreated, regeneratedKey{
		keyView: viewKey(regen.Key, a.store.State().Apps[regen.Key.AppID]), Key: key,
		GraceUntil: regen.Old.ExpiresAt, Previous: regen.Old.ID,
	})
}
