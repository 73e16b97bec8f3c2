package admin

import (
	"fmt"
	"net/http"

	"portico/node/httperr"
	"portico/node/oauth"
	"portico/raftstore"
	"portico/raftstore/state"
)

// minNewPassword is the shortest password the password endpoint sets.
const minNewPassword = 12

// passwordRequest sets a user's password. CurrentPassword proves a caller changing their own password knows it; an
// admin setting a password needs none.
type passwordRequest struct {
	Password        string  `json:"password"`
	CurrentPassword *string `json:"currentPassword"`
}

// passwordChanged answers a password change; it never holds a password or its derived key.
type passwordChanged struct {
	Name    string `json:"name"`
	Changed bool   `json:"changed"`
}

// setPassword replaces a user's password: a user may change their own, giving the current one; an admin may set
// anyone's. Every other admin token of the user is revoked with it (a stolen session does not survive the change).
// A user the caller may not change answers as an absent one.
func (a *Admin) setPassword(w http.ResponseWriter, r *http.Request) error {
	var req passwordRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	c := callerFrom(r)
	u, err := passwordTarget(c, a.store.State(), r.PathValue("name"))
	if err != nil {
		return err
	}
	if err := req.check(c, u); err != nil {
		return err
	}
	if req.CurrentPassword != nil { // a stolen session must not guess the password faster than a sign-in could
		if _, err := a.signInCheck(r, u.Name, *req.CurrentPassword); err != nil {
			return err
		}
	}
	hash, salt, iterations, err := oauth.HashPassword(req.Password)
	if err != nil {
		return httperr.Wrap(http.StatusInternalServerError, "internal error", err)
	}
	// The user's other sessions end; the caller's own token stays when they change their own password.
	cmd := raftstore.SetPassword{Name: u.Name, Hash: hash, Salt: salt, Iterations: iterations}
	if c.User == u.Name {
		cmd.KeepToken = c.TokenID
	}
	res, err := a.apply(r, cmd)
	if err != nil {
		return err
	}
	upd, err := result[raftstore.UpdateResult](res)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, passwordChanged{Name: u.Name, Changed: upd.Changed})
}

// passwordTarget resolves the user whose password is set: any user for an admin, only themselves for anyone else.
func passwordTarget(c caller, st *state.State, name string) (*state.User, error) {
	u, ok := st.Users[name]
	if !ok || !c.admin() && c.User != name {
		return nil, httperr.New(http.StatusNotFound, fmt.Sprintf("user %q not found", name))
	}
	return u, nil
}

// check validates the new password and, when given, the current one of user u.
func (req passwordRequest) check(c caller, u *state.User) error {
	self := c.User != "" && c.User == u.Name
	switch {
	case len(req.Password) < minNewPassword || len(req.Password) > maxPassword:
		return badField("password", "must be %d to %d bytes", minNewPassword, maxPassword)
	case req.CurrentPassword == nil && !c.admin():
		return badField("currentPassword", "is required to change your own password")
	case req.CurrentPassword != nil && !self:
		return badField("currentPassword", "is only accepted when changing your own password")
	}
	return nil
}
