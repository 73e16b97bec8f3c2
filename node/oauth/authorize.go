package oauth

import (
	"net/http"
	"net/url"
	"slices"

	"portico/node/token"
	"portico/raftstore/state"
)

// authRequest is a checked authorization request (RFC 6749 §4.1.1 with RFC 7636).
type authRequest struct {
	client      *client
	redirectURI string
	state       string
	scope       string
	challenge   string
	method      string
}

// serveAuthorize is /oauth2/authorize: GET shows the sign-in form, POST checks the user's password and redirects to
// the client with a code. A request naming an unknown client or an unregistered redirect URI gets an error page, never
// a redirect; other errors are redirected to the client (RFC 6749 §4.1.2.1).
func (s *Server) serveAuthorize(w http.ResponseWriter, r *http.Request) error {
	params, err := authorizeParamsOf(w, r)
	if err != nil {
		e := asOAuthError(err)
		for k, vs := range e.Header {
			w.Header()[k] = vs
		}
		s.logRefusal(r, e)
		writePage(w, e.Status, pageData{Error: "The authorization request is not valid: " + e.Description + "."}, "")
		return nil
	}
	st := s.state()
	c, redirectURI, msg := authorizeClient(st, params)
	if msg != "" {
		s.logRefusal(r, badRequest(codeInvalidRequest, msg))
		writePage(w, http.StatusBadRequest, pageData{Error: "The authorization request is not valid: " + msg + "."}, "")
		return nil
	}
	req, err := checkAuthorize(st, c, redirectURI, params)
	if err != nil {
		s.redirectError(w, r, redirectURI, params.Get("state"), asOAuthError(err))
		return nil
	}
	if r.Method == http.MethodGet {
		s.showForm(w, http.StatusOK, req, params, "")
		return nil
	}
	s.signIn(w, r, st, req, params)
	return nil
}

// authorizeParamsOf returns the parameters of an authorization request: the URL query of a GET, the form body of a
// POST (which must not repeat a parameter).
func authorizeParamsOf(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	switch r.Method {
	case http.MethodGet:
		q := r.URL.Query()
		return q, unique(q)
	case http.MethodPost:
		return readForm(w, r)
	}
	return nil, methodNotAllowed("GET, POST")
}

// authorizeClient finds the client and checks the redirect URI is one it registered. The message says what is wrong;
// "" means both are good.
func authorizeClient(st *state.State, params url.Values) (*client, string, string) {
	id := params.Get("client_id")
	if id == "" {
		return nil, "", "client_id is required"
	}
	app, cred, ok := st.ClientByID(id)
	if !ok {
		return nil, "", "unknown client"
	}
	redirectURI := params.Get("redirect_uri")
	if redirectURI == "" || !slices.Contains(cred.RedirectURIs, redirectURI) {
		return nil, "", "redirect_uri is missing or not registered for this client"
	}
	return &client{app: app, cred: cred}, redirectURI, ""
}

// checkAuthorize checks the parameters whose errors may be redirected to the client.
func checkAuthorize(st *state.State, c *client, redirectURI string, params url.Values) (authRequest, error) {
	if params.Get("response_type") != "code" {
		return authRequest{}, badRequest(codeUnsupportedResponseType, "response_type must be code")
	}
	if err := c.allowsGrant(state.GrantAuthorizationCode); err != nil {
		return authRequest{}, err
	}
	method, err := challengeMethod(params.Get("code_challenge"), params.Get("code_challenge_method"))
	if err != nil {
		return authRequest{}, err
	}
	if method == "" && (c.cred.Public || c.cred.PKCERequired) {
		return authRequest{}, badRequest(codeInvalidRequest, "code_challenge is required for this client")
	}
	return authRequest{client: c, redirectURI: redirectURI, state: params.Get("state"), scope: params.Get("scope"),
		challenge: params.Get("code_challenge"), method: method}, nil
}

// showForm renders the sign-in form for a checked request.
func (s *Server) showForm(w http.ResponseWriter, status int, req authRequest, params url.Values, msg string) {
	data := pageData{Form: true, Error: msg, App: req.client.app.Name, Scope: req.scope,
		Username: params.Get("username"), Hidden: hiddenFields(params)}
	writePage(w, status, data, cspSource(req.redirectURI))
}

// signIn checks the user's name and password posted with the form. A wrong one shows the form again with 401 and no
// detail; a user not allowed the application is redirected with access_denied; otherwise the client gets a code.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request, st *state.State, req authRequest, params url.Values) {
	u, err := s.login(r.Context(), st, params.Get("username"), params.Get("password"))
	if err != nil {
		s.log.Info("sign-in refused", "client_id", req.client.cred.ClientID, "err", err)
		e := asOAuthError(err)
		switch e.Status {
		case http.StatusTooManyRequests:
			for k, v := range e.Header {
				w.Header()[k] = v
			}
			s.showForm(w, e.Status, req, params, "Too many failed sign-ins: try again in a minute.")
		case http.StatusServiceUnavailable:
			s.showForm(w, e.Status, req, params, "The server is busy: try again shortly.")
		default:
			s.showForm(w, http.StatusUnauthorized, req, params, "Sign-in failed: the user name or password is wrong.")
		}
		return
	}
	if !req.client.mayUse(u) {
		denied := &oauthError{Status: http.StatusForbidden, Code: codeAccessDenied,
			Description: "the user may not use this application"}
		s.redirectError(w, r, req.redirectURI, req.state, denied)
		return
	}
	code, err := s.issueCode(st, req, u)
	if err != nil {
		e := asOAuthError(err)
		s.logRefusal(r, e)
		writePage(w, e.Status, pageData{Error: "The authorization server could not complete the request."}, "")
		return
	}
	s.log.Debug("authorization code issued", "client_id", req.client.cred.ClientID)
	redirect(w, req.redirectURI, url.Values{"code": {code}}, req.state)
}

// issueCode signs a one-time authorization code recording the user, the granted scope, the redirect URI and the
// PKCE challenge.
func (s *Server) issueCode(st *state.State, req authRequest, u *state.User) (string, error) {
	c := req.client
	claims := token.Claims{ClientID: c.cred.ClientID, Env: c.cred.Env, App: c.app.ID, Use: token.UseCode,
		Scope:       grantScopes(req.scope, allowedScopes(st, c.app.ID, u.Role)),
		RedirectURI: req.redirectURI, Challenge: req.challenge, ChallengeMeth: req.method}
	claims.Subject = u.Name
	gid, err := token.NewGrantID()
	if err != nil {
		return "", serverError(http.StatusInternalServerError, err)
	}
	claims.Grant = gid
	code, err := s.keys.Issue(claims, codeTTL)
	if err != nil {
		return "", issueFailure(err)
	}
	return code, nil
}

// redirectError sends an authorization error back to the client's (registered) redirect URI.
func (s *Server) redirectError(w http.ResponseWriter, r *http.Request, redirectURI, st string, e *oauthError) {
	s.logRefusal(r, e)
	v := url.Values{"error": {e.Code}}
	if e.Description != "" {
		v.Set("error_description", e.Description)
	}
	redirect(w, redirectURI, v, st)
}

// redirect answers 302 to the redirect URI with params (and state, when the client sent one) added to its query.
func redirect(w http.ResponseWriter, redirectURI string, params url.Values, st string) {
	u, err := url.Parse(redirectURI)
	if err != nil {
		writePage(w, http.StatusBadRequest, pageData{Error: "The registered redirect URI is not valid."}, "")
		return
	}
	q := u.Query()
	for k, vs := range params {
		q[k] = vs
	}
	if st != "" {
		q.Set("state", st)
	}
	u.RawQuery = q.Encode()
	noStore(w.Header())
	w.Header().Set("Location", u.String())
	w.WriteHeader(http.StatusFound)
}
