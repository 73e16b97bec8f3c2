package gateway

import (
	"errors"
	"net/http"

	"portico/node/httperr"
	"portico/node/route"
	"portico/node/urlpath"
)

// isPreflight reports whether an OPTIONS request is a CORS preflight: it carries Origin and
// Access-Control-Request-Method.
func isPreflight(h http.Header) bool {
	return len(h["Origin"]) > 0 && len(h["Access-Control-Request-Method"]) > 0
}

// preflight matches a CORS preflight: when p is the path of an operation (whatever its method) of an API version,
// the match carries that operation's preflight chain, or the version's lifecycle refusal. ok is false when no
// operation matches or the API has no cors block: the preflight is then routed as any OPTIONS request.
func preflight(rt *route.Table[*operation], p urlpath.Path) (m route.Match[*operation], ok bool) {
	m, err := rt.MatchPath(p)
	switch {
	case err != nil:
		return m, false
	case m.Value.api.gate != nil:
		return m, true
	case m.Value.preflight == nil:
		return m, false
	}
	m.Value = m.Value.preflight
	return m, true
}

// errUnanswered fails a preflight that the cors policy let through: a preflight is never proxied.
var errUnanswered = httperr.Wrap(http.StatusInternalServerError, "internal error",
	errors.New("the cors policy did not answer a preflight"))
