package admin

import (
	"fmt"
	"net/http"
	"sort"

	"portico/node/httperr"
	"portico/raftstore"
	"portico/raftstore/state"
)

// tokenView is an admin token on the wire: never its hash. Role is the role the token acts with now (its user's).
type tokenView struct {
	ID        string `json:"id"`
	User      string `json:"user"`
	Name      string `json:"name"`
	Role      string `json:"role"`
	CreatedAt int64  `json:"createdAt"`
	ExpiresAt int64  `json:"expiresAt"`
}

// tokenRoutes registers the endpoints of admin tokens: every role sees and revokes its own, an admin every one.
func (a *Admin) tokenRoutes() {
	a.handle("POST /v1/logout", a.auth(a.logout))
	a.handle("GET /v1/tokens", a.auth(a.listTokens))
	a.handle("DELETE /v1/tokens/{id}", a.auth(a.revokeToken))
}

// logout revokes the token the request presents. The bootstrap token has no user to log in again as: it stays.
func (a *Admin) logout(w http.ResponseWriter, r *http.Request) error {
	c := callerFrom(r)
	if c.User == "" {
		return httperr.New(http.StatusConflict, "the bootstrap token cannot log out: it belongs to no user, who "+
			"could log in again; create an admin user and use their token instead")
	}
	if _, err := a.apply(r, raftstore.DeleteAdminToken{ID: c.TokenID}); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]bool{"loggedOut": true})
}

// listTokens lists the admin tokens the caller may see, oldest first: every one for an admin, else their own.
func (a *Admin) listTokens(w http.ResponseWriter, r *http.Request) error {
	c := callerFrom(r)
	st := a.store.State()
	out := []tokenView{}
	for _, t := range st.AdminTokens {
		if c.admin() || t.User == c.User {
			out = append(out, viewToken(st, t))
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

// viewToken shows t with the role it acts with: admin for the bootstrap token, its user's role otherwise.
func viewToken(st *state.State, t *state.AdminToken) tokenView {
	role := t.Role
	if t.User == "" {
		role = state.RoleAdmin
	} else if u, ok := st.Users[t.User]; ok {
		role = u.Role
	}
	return tokenView{ID: t.ID, User: t.User, Name: t.Name, Role: role, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt}
}

// revokeToken deletes an admin token at once: its owner or an admin may. A token the caller may not see answers as
// an absent one; the bootstrap token cannot be revoked.
func (a *Admin) revokeToken(w http.ResponseWriter, r *http.Request) error {
	c := callerFrom(r)
	id := r.PathValue("id")
	t, ok := a.store.State().AdminTokens[id]
	if !ok || !c.admin() && t.User != c.User {
		return httperr.New(http.StatusNotFound, fmt.Sprintf("admin token %q not found", id))
	}
	if t.User == "" {
		return httperr.New(http.StatusConflict, fmt.Sprintf("admin token %q is the bootstrap token, which cannot "+
			"be revoked: it belongs to no user and is the cluster's way in", id))
	}
	if _, err := a.apply(r, raftstore.DeleteAdminToken{ID: id}); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"id": id, "deleted": true})
}
