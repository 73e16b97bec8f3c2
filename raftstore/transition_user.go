package raftstore

import (
	"bytes"
	"maps"
	"slices"
	"strings"

	"portico/raftstore/state"
)

// createUser stores a new user with a valid name and role.
func createUser(next *state.State, c *CreateUser, rec *state.Request) (any, error) {
	u := c.User
	if !state.ValidUserName(u.Name) {
		return nil, invalid("user name: %q must match [a-z0-9][a-z0-9._-]{0,63}", u.Name)
	}
	if !state.ValidRole(u.Role) {
		return nil, invalid("role: %q is not one of %s", u.Role, strings.Join(state.Roles, ", "))
	}
	if err := checkPassword(u.PasswordHash, u.Salt, u.Iterations); err != nil {
		return nil, err
	}
	if _, ok := next.Users[u.Name]; ok {
		return nil, conflict("user %q exists", u.Name)
	}
	next.Users = maps.Clone(next.Users)
	next.Users[u.Name] = &u
	rec.Ref = u.Name
	return CreateUserResult{User: &u}, nil
}

// checkPassword refuses a derived key without salt or iterations, or salt and iterations without a key.
func checkPassword(hash, salt []byte, iterations int) error {
	if len(hash) == 0 {
		if len(salt) != 0 || iterations != 0 {
			return invalid("password: salt and iterations given without a password hash")
		}
		return nil
	}
	if len(salt) == 0 || iterations < 1 {
		return invalid("password: a password hash needs a salt and at least one iteration")
	}
	return nil
}

// deleteUser removes a user, the admin tokens they own and their read-only shares. It refuses a user who owns
// applications, and the last admin user when no bootstrap token remains.
func deleteUser(next *state.State, c *DeleteUser, _ *state.Request) (any, error) {
	u, ok := next.Users[c.Name]
	if !ok {
		return nil, notFound("user %q", c.Name)
	}
	if owned := ownedApps(next, c.Name); len(owned) > 0 {
		return nil, conflict("user %q owns applications %s; delete them first", c.Name, strings.Join(owned, ", "))
	}
	if u.Role == state.RoleAdmin && !otherAdmin(next, c.Name) {
		return nil, conflict("user %q is the last admin and no bootstrap token exists", c.Name)
	}
	next.Users = maps.Clone(next.Users)
	delete(next.Users, c.Name)
	next.AdminTokens = deleteWhere(next.AdminTokens, func(t *state.AdminToken) bool { return t.User == c.Name })
	unshare(next, c.Name)
	return DeleteResult{Deleted: true}, nil
}

// ownedApps returns the sorted names of the applications a user owns.
func ownedApps(st *state.State, user string) []string {
	var out []string
	for _, a := range st.Apps {
		if a.Owner == user {
			out = append(out, a.Name)
		}
	}
	slices.Sort(out)
	return out
}

// otherAdmin reports whether an admin remains without user: another admin user or a bootstrap token.
func otherAdmin(st *state.State, user string) bool {
	for _, u := range st.Users {
		if u.Name != user && u.Role == state.RoleAdmin {
			return true
		}
	}
	for _, t := range st.AdminTokens {
		if t.User == "" {
			return true
		}
	}
	return false
}

// unshare removes a user from every application's SharedWith.
func unshare(next *state.State, user string) {
	apps, cloned := next.Apps, false
	for id, a := range apps {
		if !slices.Contains(a.SharedWith, user) {
			continue
		}
		if !cloned {
			next.Apps, cloned = maps.Clone(apps), true
		}
		app := *a
		app.SharedWith = slices.DeleteFunc(slices.Clone(a.SharedWith), func(u string) bool { return u == user })
		if len(app.SharedWith) == 0 {
			app.SharedWith = nil
		}
		next.Apps[id] = &app
	}
}

// setPassword replaces a user's derived password key.
// setPassword is SetPassword version 2: the new password, and the end of the user's other sessions.
func setPassword(next *state.State, c *SetPassword, rec *state.Request) (any, error) {
	res, err := setPasswordKeepSessions(next, c, rec)
	if err != nil {
		return nil, err
	}
	var ended []string
	for id, t := range next.AdminTokens {
		if t.User == c.Name && id != c.KeepToken {
			ended = append(ended, id)
		}
	}
	if len(ended) > 0 {
		next.AdminTokens = maps.Clone(next.AdminTokens)
		for _, id := range ended {
			delete(next.AdminTokens, id)
		}
		rec.Changed = true
		res = UpdateResult{Changed: true}
	}
	return res, nil
}

// setPasswordKeepSessions is SetPassword version 1: the new password only.
func setPasswordKeepSessions(next *state.State, c *SetPassword, rec *state.Request) (any, error) {
	u, ok := next.Users[c.Name]
	if !ok {
		return nil, notFound("user %q", c.Name)
	}
	if err := checkPassword(c.Hash, c.Salt, c.Iterations); err != nil {
		return nil, err
	}
	if bytes.Equal(u.PasswordHash, c.Hash) && bytes.Equal(u.Salt, c.Salt) && u.Iterations == c.Iterations {
		return UpdateResult{Changed: false}, nil
	}
	nu := *u
	nu.PasswordHash, nu.Salt, nu.Iterations = c.Hash, c.Salt, c.Iterations
	next.Users = maps.Clone(next.Users)
	next.Users[c.Name] = &nu
	rec.Changed = true
	return UpdateResult{Changed: true}, nil
}

// deleteAdminToken revokes an admin token.
func deleteAdminToken(next *state.State, c *DeleteAdminToken, _ *state.Request) (any, error) {
	if _, ok := next.AdminTokens[c.ID]; !ok {
		return nil, notFound("admin token %q", c.ID)
	}
	next.AdminTokens = maps.Clone(next.AdminTokens)
	delete(next.AdminTokens, c.ID)
	return DeleteResult{Deleted: true}, nil
}

func replayCreateUser(cur *state.State, c *CreateUser, rec state.Request) any {
	return CreateUserResult{User: current(cur.Users, rec.Ref, c.User, func(u *state.User) { u.Name = rec.Ref })}
}

// replayUpdate answers a retried update: the first application's outcome is in rec.Changed.
func replayUpdate[C any](_ *state.State, _ *C, rec state.Request) any {
	return UpdateResult{Changed: rec.Changed}
}
