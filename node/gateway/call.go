package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"portico/node/httperr"
	"portico/node/proxy"
	"portico/node/route"
	"portico/node/urlpath"
	"portico/plugins"
	"portico/plugins/abi"
)

// call is the state of one request that runs policies: the exchange they work on, the response phases still owed,
// and the credential view of the matched API version. It is the request's proxy.Hook and plugins.CredentialStore.
type call struct {
	g       *Gateway
	t       *table
	m       route.Match[*operation]
	path    string // normalised escaped request path
	in      *http.Request
	id      string
	x       *plugins.Exchange
	pending []*plugins.Pending // policies whose handle_response is owed, in request order
	buf     [4]*plugins.Pending
}

// serveChain runs the operation's policies, then proxies the (possibly edited) request with the response phase as
// hook. A policy that responds ends the request with its response; a policy failure fails closed.
func (g *Gateway) serveChain(w http.ResponseWriter, r *http.Request, t *table, m route.Match[*operation], path,
	id string) {
	c := &call{g: g, t: t, m: m, path: path, in: r, id: id}
	c.pending = c.buf[:0]
	c.x = plugins.NewExchange(r, c)
	c.x.SetPropertySource(c)
	defer c.finish()
	if err := c.requestPhase(); err != nil {
		g.fail(w, id, err)
		return
	}
	if c.x.Responded() {
		c.respond(w)
		return
	}
	if m.Value.answers {
		g.fail(w, id, errUnanswered)
		return
	}
	out, edited := c.x.Outbound()
	up, upPath, err := c.upstream(out)
	if err != nil {
		g.fail(w, id, err)
		return
	}
	ob := proxy.Outbound{Path: upPath, RequestID: id, Drop: m.Value.drop, Hook: c}
	if edited {
		ob.Edits = c.x
	}
	up.Serve(w, out, ob)
}

// upstream picks the upstream of the environment the policies chose (auth.env) and the path to forward.
func (c *call) upstream(out *http.Request) (*proxy.Upstream, string, error) {
	path, err := c.upstreamPath(out)
	if err != nil {
		return nil, "", err
	}
	up, err := c.m.Value.api.upstream(c.x.Property(abi.PropAuthEnv))
	return up, path, err
}

// Property serves the properties the gateway knows about the request, read on demand by policies.
func (c *call) Property(key string) (string, bool) {
	api := c.m.Value.api
	switch key {
	case abi.PropRequestID:
		return c.id, true
	case abi.PropAPIName:
		return api.api.Name, true
	case abi.PropAPIVersion:
		return api.api.Version, true
	case abi.PropAPIMajor:
		return api.major, true
	case abi.PropAPIContext:
		return api.api.Context, true
	case abi.PropOperationID:
		return c.m.Value.id, true
	}
	return "", false
}

// requestPhase runs handle_request of each policy in order until one responds.
func (c *call) requestPhase() error {
	ctx := c.in.Context()
	for _, p := range c.m.Value.chain {
		next, pd, err := p.Request(ctx, c.x)
		if err != nil {
			return policyError(err)
		}
		if pd != nil {
			c.pending = append(c.pending, pd)
		}
		if !next {
			return nil
		}
	}
	return nil
}

// respond writes the response a policy produced, after the response phases of the policies before it.
func (c *call) respond(w http.ResponseWriter) {
	if err := c.responses(c.in.Context(), false); err != nil {
		c.g.fail(w, c.id, err)
		return
	}
	w.Header()["X-Request-Id"] = []string{c.id}
	c.x.WriteResponse(w)
}

// responses runs the owed handle_response calls in reverse order, each exactly once, and returns the first failure.
func (c *call) responses(ctx context.Context, isError bool) error {
	var first error
	for len(c.pending) > 0 {
		pd := c.pending[len(c.pending)-1]
		c.pending = c.pending[:len(c.pending)-1]
		if err := pd.Response(ctx, c.x, isError); err != nil && first == nil {
			first = policyError(err)
		}
	}
	return first
}

// Response is the response phase of a proxied request: it runs when the upstream's headers arrive.
func (c *call) Response(resp *http.Response) error {
	c.x.SetUpstreamResponse(resp)
	return c.responses(c.in.Context(), false)
}

// Failed runs the response phase with is_error set when the upstream gave no response.
func (c *call) Failed(error) {
	if err := c.responses(context.WithoutCancel(c.in.Context()), true); err != nil {
		c.g.log.Warn("response phase failed", "requestId", c.id, "err", err)
	}
}

// finish returns every instance still held, also when the request ended early or panicked (http.ErrAbortHandler).
func (c *call) finish() {
	if len(c.pending) > 0 {
		c.Failed(nil)
	}
}

// policyError maps a policy failure (which names the policy) to a wire error that fails closed and never shows the
// guest's error text.
func policyError(err error) error {
	if errors.Is(err, plugins.ErrBusy) {
		return httperr.Wrap(http.StatusServiceUnavailable, "gateway is busy, retry later", err)
	}
	return httperr.Wrap(http.StatusInternalServerError, "internal error", err)
}

// upstreamPath returns the path to forward: the matched one, or, when a policy rewrote the request URI, the new path
// relative to the API version's prefix (/context/vN). A rewrite that leaves the API version fails closed.
func (c *call) upstreamPath(out *http.Request) (string, error) {
	if out == c.in || out.URL.Path == c.in.URL.Path && out.URL.RawPath == c.in.URL.RawPath {
		return c.m.Upstream, nil
	}
	p, err := urlpath.Normalize(out.URL.EscapedPath())
	if err != nil {
		return "", httperr.Wrap(http.StatusInternalServerError, "internal error",
			fmt.Errorf("policy set an invalid request path: %w", err))
	}
	prefix := versionPrefix(c.path, c.m.Upstream)
	switch {
	case p.Escaped == prefix:
		return "/", nil
	case strings.HasPrefix(p.Escaped, prefix) && p.Escaped[len(prefix)] == '/':
		return p.Escaped[len(prefix):], nil
	}
	return "", httperr.Wrap(http.StatusInternalServerError, "internal error",
		fmt.Errorf("policy moved the request path %q outside its API version %q", p.Escaped, prefix))
}

// versionPrefix returns the /context/vN part of a normalised request path whose rest after the version is upstream.
func versionPrefix(path, upstream string) string {
	if upstream == "/" {
		return strings.TrimSuffix(path, "/")
	}
	return strings.TrimSuffix(path, upstream)
}

var (
	_ proxy.Hook              = (*call)(nil)
	_ plugins.CredentialStore = (*call)(nil)
	_ plugins.PropertySource  = (*call)(nil)
)
