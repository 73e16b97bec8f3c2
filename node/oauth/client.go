package oauth

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"net/url"

	"portico/raftstore/state"
)

// client is an authenticated OAuth2 client: the credential and the application it belongs to.
type client struct {
	app  *state.Application
	cred *state.ClientCredential
	// basic records that the client authenticated with HTTP Basic (a later 401 carries the challenge).
	basic bool
}

// presented is what a request offers to authenticate a client.
type presented struct {
	id, secret string
	basic      bool // the credentials came in the Authorization header
}

// clientCredentials reads the client authentication of a request: HTTP Basic with form-url-encoded id and secret
// (RFC 6749 §2.3.1), or the client_id and client_secret form fields; a public client sends client_id alone. Using
// both methods at once is refused. A client_id form field beside Basic is accepted only when it names the same client.
func clientCredentials(r *http.Request, form url.Values) (presented, error) {
	if r.Header.Get("Authorization") == "" {
		p := presented{id: form.Get("client_id"), secret: form.Get("client_secret")}
		if p.id == "" {
			return p, invalidClient("client authentication is required", false)
		}
		return p, nil
	}
	p, err := basicCredentials(r)
	if err != nil {
		return p, err
	}
	if form.Has("client_secret") || (form.Has("client_id") && form.Get("client_id") != p.id) {
		return p, badRequest(codeInvalidRequest, "use one client authentication method, not both")
	}
	return p, nil
}

// basicCredentials decodes an Authorization: Basic header whose parts are form-url-encoded.
func basicCredentials(r *http.Request) (presented, error) {
	bad := invalidClient("malformed HTTP Basic client authentication", true)
	user, pass, ok := r.BasicAuth()
	if !ok {
		return presented{}, bad
	}
	id, err1 := url.QueryUnescape(user)
	secret, err2 := url.QueryUnescape(pass)
	if err1 != nil || err2 != nil || id == "" {
		return presented{}, bad
	}
	return presented{id: id, secret: secret, basic: true}, nil
}

// authenticate finds the client in st and checks its secret in constant time. A public client must not present a
// secret; a confidential one must present the right one. Every failure is the same 401 invalid_client.
func authenticate(st *state.State, p presented) (*client, error) {
	fail := invalidClient("client authentication failed", p.basic)
	app, cred, ok := st.ClientByID(p.id)
	if !ok {
		secretMatches(nil, p.secret) // same work as a known client
		return nil, fail
	}
	if cred.Public {
		if p.secret != "" {
			return nil, fail
		}
		return &client{app: app, cred: cred, basic: p.basic}, nil
	}
	if !secretMatches(cred.SecretHash, p.secret) {
		return nil, fail
	}
	return &client{app: app, cred: cred, basic: p.basic}, nil
}

// secretMatches compares the SHA-256 of secret with hash in constant time; an empty secret or hash never matches.
func secretMatches(hash []byte, secret string) bool {
	sum := sha256.Sum256([]byte(secret))
	eq := subtle.ConstantTimeCompare(sum[:], hash) == 1
	return eq && secret != "" && len(hash) == sha256.Size
}

// authenticateRequest reads and checks the client authentication of a request against st.
func authenticateRequest(r *http.Request, form url.Values, st *state.State) (*client, error) {
	p, err := clientCredentials(r, form)
	if err != nil {
		return nil, err
	}
	return authenticate(st, p)
}

// allowsGrant refuses a grant type the credential is not allowed.
func (c *client) allowsGrant(grant string) error {
	if !c.cred.AllowsGrant(grant) {
		return badRequest(codeUnauthorizedClient, "this client may not use the "+grant+" grant")
	}
	return nil
}

// mayUse reports whether a user may obtain tokens for the client's application: an admin, its owner, or a user it is
// shared with.
func (c *client) mayUse(u *state.User) bool {
	if u.Role == state.RoleAdmin || (c.app.Owner != "" && c.app.Owner == u.Name) {
		return true
	}
	for _, name := range c.app.SharedWith {
		if name == u.Name {
			return true
		}
	}
	return false
}
