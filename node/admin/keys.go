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
	app, err := findApp(st, req.App)
	if err != nil {
		return err
	}
	major, err := apiMajor(st, req.API, req.Major)
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
	switch req.Env {
	case "":
		req.Env = state.Production
	case state.Production, state.Sandbox:
	default:
		return httperr.New(http.StatusBadRequest, fmt.Sprintf("env: %q is not production or sandbox", req.Env))
	}
	if req.Name != "" && !validToken(req.Name, 64) {
		return httperr.New(http.StatusBadRequest, "name: must be 1 to 64 characters of [A-Za-z0-9._-]")
	}
	if req.Plan == "" {
		req.Plan = defaultPlan
	}
	if !validToken(req.Plan, 64) {
		return httperr.New(http.StatusBadRequest, "plan: must be 1 to 64 characters of [A-Za-z0-9._-]")
	}
	return nil
}

// apiMajor returns the requested major version of the API if it is deployed, or its highest deployed major.
func apiMajor(st *state.State, name string, want *int) (int, error) {
	highest, found := -1, false
	for _, api := range st.APIs {
		if api.Name != name {
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

// newKey builds a key and its command: the key is "pk_" + 16 hex ID + "_" + 32 random bytes in base64url, stored as
// its SHA-256 only. The command carries a subscription for the state machine to create if the app has none.
func (a *Admin) newKey(app *state.Application, req keyRequest, major int) (string, raftstore.CreateKey) {
	id := make([]byte, 8)
	raw := make([]byte, 32)
	_, _ = rand.Read(id)
	_, _ = rand.Read(raw)
	key := abi.FormatAPIKey(hex.EncodeToString(id), base64.RawURLEncoding.EncodeToString(raw))
	sum := sha256.Sum256([]byte(key))
	now := a.now().UnixMilli()
	return key, raftstore.CreateKey{
		Key: state.APIKey{
			ID: hex.EncodeToString(id), Name: req.Name, AppID: app.ID, API: req.API, Major: major, Env: req.Env,
			Hash: sum[:], CreatedAt: now,
		},
		Subscription: &state.Subscription{
			ID: randomHex(8), AppID: app.ID, API: req.API, Major: major, Plan: req.Plan, Status: state.SubActive,
			CreatedAt: now,
		},
	}
}

// listKeys lists API keys, of one application if ?app= names it.
func (a *Admin) listKeys(w http.ResponseWriter, r *http.Request) error {
	st := a.store.State()
	var only *state.Application
	if ref := r.URL.Query().Get("app"); ref != "" {
		app, err := findApp(st, ref)
		if err != nil {
			return err
		}
		only = app
	}
	out := make([]keyView, 0, len(st.Keys))
	for _, k := range st.Keys {
		if only == nil || k.AppID == only.ID {
			out = append(out, viewKey(k, st.Apps[k.AppID]))
		}
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

// deleteKey revokes an API key at once. Existence is checked by the state machine.
func (a *Admin) deleteKey(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if _, ok := abi.ParseAPIKey(abi.FormatAPIKey(id, "x")); !ok || len(id) != abi.KeyIDLen {
		return httperr.New(http.StatusNotFound, fmt.Sprintf("API key %q not found", id))
	}
	if _, err := a.apply(r, raftstore.DeleteKey{ID: id}); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"id": id, "deleted": true})
}
