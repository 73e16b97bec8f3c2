package admin

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"portico/node/httperr"
	"portico/raftstore/state"
)

// Role sets of endpoints that not every role may call.
var (
	adminOnly  = []string{state.RoleAdmin}
	publishers = []string{state.RoleAdmin, state.RolePublisher}
)

// caller is who sent a request: the user its admin token belongs to, that user's role, and the ID of the token it
// presented. The bootstrap token has no user and acts as an admin.
type caller struct {
	User    string
	Role    string
	TokenID string
}

func (c caller) admin() bool { return c.Role == state.RoleAdmin }

// name is how refusals name the caller: "role subscriber", "publisher alice".
func (c caller) String() string {
	if c.User == "" {
		return "role " + c.Role
	}
	return c.Role + " " + c.User
}

type callerKey struct{}

// callerFrom returns the caller auth stored in the request's context (the zero caller, with no role, if none).
func callerFrom(r *http.Request) caller {
	c, _ := r.Context().Value(callerKey{}).(caller)
	return c
}

// auth lets a request through only with a bearer token whose SHA-256 matches an unexpired admin token of the current
// state that belongs to an existing user (or to no user: the bootstrap token). The caller is stored in the context.
func (a *Admin) auth(next handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Cache-Control", "no-store")
		token, ok := bearer(r)
		var c caller
		if ok {
			c, ok = a.identify(a.store.State(), token)
		}
		if !ok {
			e := httperr.New(http.StatusUnauthorized, "a valid admin token is required (Authorization: Bearer <token>)")
			e.Header = http.Header{"Www-Authenticate": {`Bearer realm="portico-admin"`}}
			return e
		}
		return next(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, c)))
	}
}

// only is auth for an endpoint that only roles may call; any other role gets 403 naming the action it cannot do.
func (a *Admin) only(action string, roles []string, next handlerFunc) handlerFunc {
	return a.auth(func(w http.ResponseWriter, r *http.Request) error {
		if c := callerFrom(r); !slices.Contains(roles, c.Role) {
			return httperr.New(http.StatusForbidden, fmt.Sprintf("role %s cannot %s", c.Role, action))
		}
		return next(w, r)
	})
}

// identify finds the admin token and resolves its caller.
func (a *Admin) identify(st *state.State, token string) (caller, bool) {
	t := findToken(st, token)
	if t == nil || t.ExpiresAt != 0 && t.ExpiresAt <= a.now().UnixMilli() {
		return caller{}, false
	}
	if t.User == "" {
		return caller{Role: state.RoleAdmin, TokenID: t.ID}, true
	}
	u, ok := st.Users[t.User]
	if !ok || !state.ValidRole(u.Role) {
		return caller{}, false
	}
	return caller{User: u.Name, Role: u.Role, TokenID: t.ID}, true
}

// bearer extracts the token of an "Authorization: Bearer <token>" header.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// findToken compares the token's hash with every admin token's hash in constant time, without stopping early.
func findToken(st *state.State, token string) *state.AdminToken {
	sum := sha256.Sum256([]byte(token))
	var found *state.AdminToken
	for _, t := range st.AdminTokens {
		if subtle.ConstantTimeCompare(sum[:], t.Hash) == 1 {
			found = t
		}
	}
	return found
}
