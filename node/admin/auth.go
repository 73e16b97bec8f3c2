package admin

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"portico/node/httperr"
	"portico/raftstore/state"
)

// auth lets a request through only with a bearer token whose SHA-256 matches an admin token of the current state.
func (a *Admin) auth(next handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Cache-Control", "no-store")
		token, ok := bearer(r)
		if !ok || !knownToken(a.store.State(), token) {
			e := httperr.New(http.StatusUnauthorized, "a valid admin token is required (Authorization: Bearer <token>)")
			e.Header = http.Header{"Www-Authenticate": {`Bearer realm="portico-admin"`}}
			return e
		}
		return next(w, r)
	}
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

// knownToken compares the token's hash with every admin token's hash in constant time, without stopping early.
func knownToken(st *state.State, token string) bool {
	sum := sha256.Sum256([]byte(token))
	found := 0
	for _, t := range st.AdminTokens {
		found |= subtle.ConstantTimeCompare(sum[:], t.Hash)
	}
	return found == 1
}
