package gateway

import (
	"errors"
	"net/http"
	"strings"

	"portico/node/httperr"
	"portico/node/proxy"
	"portico/node/route"
	"portico/node/urlpath"
	"portico/raftstore/state"
)

// ServeHTTP serves one client request: request ID, target checks, normalisation, routing, lifecycle gate, policy
// chain, proxy. Requests of operations without policies take a fast path with no policy exchange.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := g.ids.next()
	t := g.acquire()
	if t == nil {
		g.fail(w, id, errNotServing)
		return
	}
	defer t.release()
	m, path, err := t.route(r)
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
	g.serveChain(w, r, t, m, path, id)
}

// route checks the request target, normalises the path and matches it on the table, then applies the lifecycle gate.
// It returns the match and the normalised escaped path.
func (t *table) route(r *http.Request) (route.Match[*operation], string, error) {
	var none route.Match[*operation]
	esc, err := requestPath(r)
	if err != nil {
		return none, "", err
	}
	p, err := urlpath.Normalize(esc)
	if err != nil {
		return none, "", httperr.Wrap(http.StatusBadRequest, err.Error(), err)
	}
	m, err := t.routes.Match(r.Method, p)
	if err != nil {
		return none, "", matchError(err)
	}
	return m, p.Escaped, gate(m.API.Lifecycle)
}

var (
	errConnect     = httperr.New(http.StatusBadRequest, "CONNECT is not supported")
	errAsterisk    = httperr.New(http.StatusBadRequest, "request target * is not supported")
	errNotOrigin   = httperr.New(http.StatusBadRequest, "request target must be a path")
	errFragment    = httperr.New(http.StatusBadRequest, "request target must not contain '#'")
	errNoAPI       = httperr.New(http.StatusNotFound, "no API matches the request path")
	errNoOperation = httperr.New(http.StatusNotFound, "no operation matches the request path")
	errBlocked     = httperr.New(http.StatusServiceUnavailable, "API is blocked")
	errRetired     = httperr.New(http.StatusGone, "API version is retired")
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

// gate applies the lifecycle of the matched API version: Created is not routed, Blocked and Retired are refused.
func gate(lifecycle string) error {
	switch lifecycle {
	case state.PreReleased, state.Published, state.Deprecated:
		return nil
	case state.Blocked:
		return errBlocked
	case state.Retired:
		return errRetired
	default:
		return errNoAPI
	}
}

// served reports whether requests to an API version in this lifecycle state reach its policies and backends.
func served(lifecycle string) bool { return gate(lifecycle) == nil }

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
