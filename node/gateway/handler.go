package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"portico/node/httperr"
	"portico/node/proxy"
	"portico/node/route"
	"portico/node/urlpath"
	"portico/raftstore/state"
)

// ServeHTTP serves one request of the public gateway listener, where APIs with access mode internal do not exist.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) { g.serve(w, r, false) }

// internalHandler is the handler of the internal gateway listener: every API is served.
type internalHandler struct{ g *Gateway }

func (h *internalHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.g.serve(w, r, true) }

// serve serves one client request: request ID, target checks, normalisation, the OAuth2 endpoints, routing (on the
// internal listener's routes when internal is set), lifecycle gate, policy chain, proxy. Requests of operations
// without policies take a fast path with no policy exchange.
func (g *Gateway) serve(w http.ResponseWriter, r *http.Request, internal bool) {
	id := g.ids.next()
	p, err := normalise(r)
	if err != nil {
		g.fail(w, id, err)
		return
	}
	if isOAuthPath(p.Escaped) {
		g.serveOAuth(w, r, p, id)
		return
	}
	t := g.acquire()
	if t == nil {
		g.fail(w, id, errNotServing)
		return
	}
	defer t.release()
	m, err := t.route(r, p, internal)
	if err != nil {
		g.fail(w, id, err)
		return
	}
	op := m.Value
	if len(op.chain) == 0 {
		up, err := op.api.upstream(state.Production)
		if err != nil {
			g.fail(w, id, err)
			return
		}
		up.Serve(w, r, proxy.Outbound{Path: m.Upstream, RequestID: id, Drop: op.drop})
		return
	}
	g.serveChain(w, r, t, m, p.Escaped, id)
}

// normalise checks the request target and returns its normalised path.
func normalise(r *http.Request) (urlpath.Path, error) {
	esc, err := requestPath(r)
	if err != nil {
		return urlpath.Path{}, err
	}
	p, err := urlpath.Normalize(esc)
	if err != nil {
		return urlpath.Path{}, httperr.Wrap(http.StatusBadRequest, err.Error(), err)
	}
	return p, nil
}

// route matches a normalised request path on the routes of the listener, then applies the lifecycle gate. A CORS
// preflight to an operation's path of an API with a cors block gets the preflight chain; a request with a Bearer
// credential to an operation that accepts an API key or a token gets the oauth2 chain.
func (t *table) route(r *http.Request, p urlpath.Path, internal bool) (route.Match[*operation], error) {
	rt := t.routes
	if internal {
		rt = t.internal
	}
	if r.Method == http.MethodOptions && isPreflight(r.Header) {
		if m, ok := preflight(rt, p); ok {
			return m, m.Value.api.gate
		}
	}
	m, err := rt.Match(r.Method, p)
	if err != nil {
		return m, matchError(err)
	}
	if err := m.Value.api.gate; err != nil {
		return m, err
	}
	if b := m.Value.bearer; b != nil && hasBearer(r.Header) {
		m.Value = b
	}
	return m, nil
}

// hasBearer reports whether the request carries an Authorization header of scheme Bearer (case-insensitive).
func hasBearer(h http.Header) bool {
	const scheme = "bearer"
	for _, v := range h["Authorization"] {
		if len(v) >= len(scheme) && strings.EqualFold(v[:len(scheme)], scheme) &&
			(len(v) == len(scheme) || v[len(scheme)] == ' ' || v[len(scheme)] == '\t') {
			return true
		}
	}
	return false
}

// isOAuthPath reports whether a normalised path is one of the OAuth2 endpoints' (Config.OAuth).
func isOAuthPath(esc string) bool {
	return strings.HasPrefix(esc, "/oauth2/") || strings.HasPrefix(esc, "/.well-known/")
}

// serveOAuth hands a request to the OAuth2 endpoints, with its normalised path.
func (g *Gateway) serveOAuth(w http.ResponseWriter, r *http.Request, p urlpath.Path, id string) {
	if g.cfg.OAuth == nil {
		g.fail(w, id, errNoOAuth)
		return
	}
	if r.URL.EscapedPath() != p.Escaped {
		r = withPath(r, p.Escaped)
	}
	w.Header()["X-Request-Id"] = []string{id}
	g.cfg.OAuth.ServeHTTP(w, r)
}

// withPath returns a shallow copy of r whose URL has the normalised escaped path esc.
func withPath(r *http.Request, esc string) *http.Request {
	r2 := r.WithContext(r.Context())
	u := *r.URL
	u.RawPath = esc
	u.Path, _ = url.PathUnescape(esc) // esc is normalised: its escapes are valid
	r2.URL = &u
	return r2
}

var (
	errConnect     = httperr.New(http.StatusBadRequest, "CONNECT is not supported")
	errAsterisk    = httperr.New(http.StatusBadRequest, "request target * is not supported")
	errNotOrigin   = httperr.New(http.StatusBadRequest, "request target must be a path")
	errFragment    = httperr.New(http.StatusBadRequest, "request target must not contain '#'")
	errNoAPI       = httperr.New(http.StatusNotFound, "no API matches the request path")
	errNoOperation = httperr.New(http.StatusNotFound, "no operation matches the request path")
	errNoOAuth     = httperr.New(http.StatusNotFound, "OAuth2 endpoints are not served here")
)

// requestPath returns the escaped path of an origin-form request target. Absolute-form, authority-form (CONNECT) and
// asterisk-form targets are refused: the gateway is not a forward proxy.
func requestPath(r *http.Request) (string, error) {
	if r.Method == http.MethodConnect {
		return "", errConnect
	}
	uri := r.RequestURI
	if uri == "" { // called outside an http.Server
		uri = r.URL.RequestURI()
	}
	switch {
	case uri == "*":
		return "", errAsterisk
	case uri == "" || uri[0] != '/':
		return "", errNotOrigin
	case strings.IndexByte(uri, '#') >= 0:
		return "", errFragment
	}
	if i := strings.IndexByte(uri, '?'); i >= 0 {
		uri = uri[:i]
	}
	return uri, nil
}

// matchError maps a routing failure to its wire error.
func matchError(err error) error {
	var mna *route.MethodNotAllowedError
	switch {
	case errors.As(err, &mna):
		e := httperr.New(http.StatusMethodNotAllowed, "method not allowed")
		e.Header = http.Header{"Allow": {strings.Join(mna.Allow, ", ")}}
		return e
	case errors.Is(err, route.ErrNoOperation):
		return errNoOperation
	case errors.Is(err, route.ErrNoAPI):
		return errNoAPI
	default:
		return httperr.Wrap(http.StatusInternalServerError, "internal error", err)
	}
}

// gate returns the refusal of requests to an API version in its lifecycle state, nil when it is served: Created is
// not routed (404), Blocked is 503 and Retired 410, each naming the version.
func gate(api *state.API) error {
	switch api.Lifecycle {
	case state.PreReleased, state.Published, state.Deprecated:
		return nil
	case state.Blocked:
		return httperr.New(http.StatusServiceUnavailable, fmt.Sprintf("API %s %s is blocked", api.Name, api.Version))
	case state.Retired:
		return httperr.New(http.StatusGone, fmt.Sprintf("API %s %s is retired", api.Name, api.Version))
	default:
		return errNoAPI
	}
}

// fail writes err as a wire error with the request ID and logs it once.
func (g *Gateway) fail(w http.ResponseWriter, id string, err error) {
	e := httperr.As(err)
	if e.Status >= 500 {
		g.log.Warn("request failed", "requestId", id, "status", e.Status, "err", err)
	} else {
		g.log.Debug("request refused", "requestId", id, "status", e.Status, "err", err)
	}
	w.Header()["X-Request-Id"] = []string{id}
	httperr.Write(w, id, e)
}
