package admin

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"time"

	"portico/node/httperr"
	"portico/node/oauth"
	"portico/node/signin"
	"portico/raftstore"
	"portico/raftstore/state"
)

// Bounds of a new password (hashed by package oauth: PBKDF2-SHA256, 16-byte salt, 210000 iterations, 32-byte key).
const (
	minPassword = 12
	maxPassword = 1024
)

// loginTTL is how long a token issued by login is valid.
const loginTTL = 12 * time.Hour

// loginRefused is the one answer to a wrong user name or password.
const loginRefused = "invalid username or password"

// userRequest creates a user.
type userRequest struct {
	Name     string  `json:"name"`
	Role     string  `json:"role"`
	Password *string `json:"password"`
}

// userView is a user on the wire: never the password's derived key or salt.
type userView struct {
	Name      string `json:"name"`
	Role      string `json:"role"`
	CreatedAt int64  `json:"createdAt"`
}

// createdUser answers a user creation: the only response that holds the user's first token.
type createdUser struct {
	Name  string `json:"name"`
	Role  string `json:"role"`
	Token string `json:"token"`
}

// loginRequest exchanges a user name and password for a token.
type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// loginResponse is a new token of the user, valid until ExpiresAt (unix milliseconds).
type loginResponse struct {
	Token     string `json:"token"`
	ExpiresAt int64  `json:"expiresAt"`
	User      string `json:"user"`
	Role      string `json:"role"`
}

// userRoutes registers the endpoints of users and of the caller's identity.
func (a *Admin) userRoutes() {
	a.handle("POST /v1/users", a.only("manage users", adminOnly, a.createUser))
	a.handle("GET /v1/users", a.only("list users", adminOnly, a.listUsers))
	a.handle("DELETE /v1/users/{name}", a.only("manage users", adminOnly, a.deleteUser))
	a.handle("POST /v1/users/{name}/password", a.auth(a.setPassword))
	a.handle("POST /v1/login", a.login)
	a.handle("GET /v1/whoami", a.auth(a.whoami))
}

// createUser creates a user, with a password if one is given, and one admin token for them, shown once. The two
// writes have request IDs derived from the Idempotency-Key, so that a retry completes a half-done creation.
func (a *Admin) createUser(w http.ResponseWriter, r *http.Request) error {
	var req userRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	key, err := requestKey(r)
	if err != nil {
		return err
	}
	now := a.now()
	u := state.User{Name: req.Name, Role: req.Role, CreatedAt: now.UnixMilli()}
	if req.Password != nil {
		if u.PasswordHash, u.Salt, u.Iterations, err = oauth.HashPassword(*req.Password); err != nil {
			return httperr.Wrap(http.StatusInternalServerError, "internal error", err)
		}
	}
	if _, err := a.applyAs(r, key+"-user", raftstore.CreateUser{User: u}); err != nil {
		return err
	}
	token, tok := newUserToken(u, "user "+u.Name, now, 0)
	if err := a.storeToken(r, key+"-token", tok); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, createdUser{Name: u.Name, Role: u.Role, Token: token})
}

func (req userRequest) validate() error {
	switch {
	case !state.ValidUserName(req.Name):
		return badField("name", "%q must be 1 to 64 characters of a-z, 0-9, '.', '_' and '-', starting with a "+
			"letter or digit", req.Name)
	case !state.ValidRole(req.Role):
		return badField("role", "%q is not one of admin, publisher, subscriber", req.Role)
	case req.Password != nil && (len(*req.Password) < minPassword || len(*req.Password) > maxPassword):
		return badField("password", "must be %d to %d bytes", minPassword, maxPassword)
	}
	return nil
}

// storeToken stores a new admin token. If the request ID had already stored another token (a reused
// Idempotency-Key), that token cannot be shown again: 409.
func (a *Admin) storeToken(r *http.Request, key string, tok state.AdminToken) error {
	res, err := a.applyAs(r, key, raftstore.CreateAdminToken{Token: tok})
	if err != nil {
		return err
	}
	created, err := result[raftstore.CreateAdminTokenResult](res)
	if err != nil {
		return err
	}
	if created.Token == nil || created.Token.ID != tok.ID || subtle.ConstantTimeCompare(created.Token.Hash, tok.Hash) != 1 {
		return httperr.New(http.StatusConflict, "this Idempotency-Key already created a token, which cannot be "+
			"shown again: send the request again with a new Idempotency-Key")
	}
	return nil
}

// newUserToken returns a new random admin token of user u and its stored (hashed) form.
func newUserToken(u state.User, name string, now time.Time, expiresAt int64) (string, state.AdminToken) {
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	token := "pat_" + base64.RawURLEncoding.EncodeToString(raw)
	sum := sha256.Sum256([]byte(token))
	return token, state.AdminToken{
		ID: randomHex(8), Name: name, Role: u.Role, Hash: sum[:], CreatedAt: now.UnixMilli(), User: u.Name,
		ExpiresAt: expiresAt,
	}
}

// listUsers lists the users by name.
func (a *Admin) listUsers(w http.ResponseWriter, r *http.Request) error {
	users := a.store.State().Users
	out := make([]userView, 0, len(users))
	for _, u := range users {
		out = append(out, userView{Name: u.Name, Role: u.Role, CreatedAt: u.CreatedAt})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return writeJSON(w, http.StatusOK, out)
}

// deleteUser removes a user and their admin tokens. Existence is checked by the state machine.
func (a *Admin) deleteUser(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if _, err := a.apply(r, raftstore.DeleteUser{Name: name}); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"name": name, "deleted": true})
}

// login checks a user's password and answers with a new token valid for loginTTL. A wrong user name and a wrong
// password get the same answer after the same work.
func (a *Admin) login(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	var req loginRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	u, err := a.signInCheck(r, req.Username, req.Password)
	if err != nil {
		return err
	}
	key, err := requestKey(r)
	if err != nil {
		return err
	}
	now := a.now()
	expires := now.Add(loginTTL).UnixMilli()
	token, tok := newUserToken(*u, "login", now, expires)
	if err := a.storeToken(r, "login:"+u.Name+":"+key, tok); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, loginResponse{Token: token, ExpiresAt: expires, User: u.Name, Role: u.Role})
}

// signInCheck checks a sign-in of user name with password within the node's sign-in limits: too many failures from
// the client's address, or for this user from it, answer 429 with Retry-After before any work; a derivation that
// cannot start in time answers 503; a wrong user name or password is counted and answers 401.
func (a *Admin) signInCheck(r *http.Request, name, password string) (*state.User, error) {
	addr := signin.Addr(clientAddr(r))
	if err := a.signIn.Check(addr, name); err != nil {
		return nil, signInLimited(err)
	}
	var (
		u  *state.User
		ok bool
	)
	if err := a.signIn.Derive(r.Context(), func() { u, ok = checkPassword(a.store.State(), name, password) }); err != nil {
		return nil, httperr.Wrap(http.StatusServiceUnavailable, "too many sign-ins in progress; retry shortly", err)
	}
	if !ok {
		a.signIn.Failed(addr, name)
		return nil, loginRefusal()
	}
	a.signIn.Succeeded(addr, name)
	return u, nil
}

// signInLimited is the 429 answer of a refused sign-in attempt.
func signInLimited(err error) error {
	e := httperr.New(http.StatusTooManyRequests, err.Error())
	var le *signin.LimitedError
	if errors.As(err, &le) {
		e.Header = http.Header{"Retry-After": {strconv.Itoa(signin.RetrySeconds(le.RetryAfter))}}
	}
	return e
}

// loginRefusal is the 401 answer to a wrong user name or password.
func loginRefusal() error {
	e := httperr.New(http.StatusUnauthorized, loginRefused)
	e.Header = http.Header{"Www-Authenticate": {`Bearer realm="portico-admin"`}}
	return e
}

// dummyUser stands in for a user who does not exist, so that refusing them costs a derivation too.
var dummyUser = &state.User{
	Name: "unknown", PasswordHash: make([]byte, 32), Salt: make([]byte, 16), Iterations: oauth.PasswordIterations,
}

// checkPassword returns the user if name has a password and password matches it.
func checkPassword(st *state.State, name, password string) (*state.User, bool) {
	u, ok := st.Users[name]
	if !ok || len(u.PasswordHash) == 0 || !state.ValidRole(u.Role) {
		oauth.VerifyPassword(dummyUser, password)
		return nil, false
	}
	return u, oauth.VerifyPassword(u, password)
}

// whoami names the caller's user and role.
func (a *Admin) whoami(w http.ResponseWriter, r *http.Request) error {
	c := callerFrom(r)
	return writeJSON(w, http.StatusOK, map[string]string{"user": c.User, "role": c.Role})
}
