package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"portico/node/httperr"
	"portico/node/proxy"
	"portico/node/route"
	"portico/plugins"
	"portico/raftstore/state"
)

// table is everything one state serves: routes to per-operation values, per-API upstreams and the state itself (for
// credential lookups). It is immutable once swapped in, except for its in-flight count.
type table struct {
	index    uint64
	st       *state.State
	routes   *route.Table[*operation] // the public listener's: every API but the internal ones
	internal *route.Table[*operation] // the internal listener's: every API (routes itself when none is internal)
	pools    []*plugins.Pool          // one reference per distinct (module, config), released by close
	inflight atomic.Int64
	closed   atomic.Bool
}

// apiEntry is one API version's share of a table.
type apiEntry struct {
	api     *state.API
	major   string          // api.Major in decimal, for the api.major property
	gate    error           // the lifecycle refusal (Created, Blocked, Retired); nil when the version is served
	prod    *proxy.Upstream // nil when the version has no production endpoints
	sandbox *proxy.Upstream // the sandbox endpoints, or prod when there are none
}

// operation is the route value: what the gateway does for one operation of one API version.
type operation struct {
	api   *apiEntry
	id    string          // "METHOD /template", the operation.id property
	chain []*plugins.Pool // policies in request-phase order; empty for the fast path
	drop  []string        // headers never forwarded (the credential headers of the operation's security)

	bearer    *operation // security api-key or oauth2: the variant for requests with a Bearer credential; else nil
	preflight *operation // the API's cors policy alone, for CORS preflights; nil without a cors block
	answers   bool       // the chain must answer: the request is never proxied (a preflight)
}

// release ends a request's use of the table.
func (t *table) release() { t.inflight.Add(-1) }

// close releases the table's policy pools once.
func (t *table) close() {
	if t.closed.Swap(true) {
		return
	}
	for _, p := range t.pools {
		p.Release()
	}
}

var errNoBackend = httperr.New(http.StatusBadGateway, "API has no backend endpoint")

// upstream returns the upstream of an environment: sandbox for "sandbox" (falling back to production when the API
// has no sandbox endpoints), production otherwise.
func (e *apiEntry) upstream(env string) (*proxy.Upstream, error) {
	up := e.prod
	if env == state.Sandbox {
		up = e.sandbox
	}
	if up == nil {
		return nil, errNoBackend
	}
	return up, nil
}

// builder builds one table.
type builder struct {
	g     *Gateway
	t     *table
	pools map[string]*plugins.Pool // by module digest + NUL + config
}

// build builds the table of st. APIs that fail are left out; their errors are returned joined.
func (g *Gateway) build(ctx context.Context, st *state.State) (*table, error) {
	b := &builder{g: g, t: &table{index: st.Index, st: st}, pools: map[string]*plugins.Pool{}}
	var errs []error
	var apis []*state.API
	values := map[string][]*operation{}
	for _, api := range st.SortedAPIs() {
		ops, err := b.api(ctx, api)
		if err != nil {
			errs = append(errs, fmt.Errorf("building API %s: %w", api.ID(), err))
			continue
		}
		apis = append(apis, api)
		values[api.ID()] = ops
	}
	routes, kept, rerrs := buildRoutes(apis, values)
	b.t.routes, b.t.internal = routes, routes
	if external := externalOnly(kept); len(external) < len(kept) {
		var perrs []error // none: a subset of routable API versions is routable
		b.t.routes, _, perrs = buildRoutes(external, values)
		rerrs = append(rerrs, perrs...)
	}
	errs = append(errs, rerrs...)
	for _, err := range errs {
		g.log.Error("API left out of the gateway table", "index", st.Index, "err", err)
	}
	return b.t, errors.Join(errs...)
}

// externalOnly returns the API versions of apis whose access mode is not internal.
func externalOnly(apis []*state.API) []*state.API {
	return slices.DeleteFunc(slices.Clone(apis), func(a *state.API) bool { return a.AccessMode == state.AccessInternal })
}

// buildRoutes builds the route table of apis and returns it with the API versions it holds. An API version that
// breaks the build (two names claiming one context, say) is left out, named by route.BuildError, and the build is
// retried; at most one retry per API.
func buildRoutes(apis []*state.API, values map[string][]*operation) (*route.Table[*operation], []*state.API, []error) {
	value := func(api *state.API, op int) (*operation, error) { return values[api.ID()][op], nil }
	var errs []error
	for range len(apis) + 1 {
		rt, err := route.Build(apis, value)
		if err == nil {
			return rt, apis, errs
		}
		var be *route.BuildError
		if !errors.As(err, &be) {
			errs = append(errs, fmt.Errorf("building routes: %w", err))
			break
		}
		errs = append(errs, err)
		apis = slices.DeleteFunc(slices.Clone(apis), func(a *state.API) bool { return a.ID() == be.API })
	}
	rt, _ := route.Build[*operation](nil, value) // an empty table: nothing is routed rather than something wrong
	return rt, nil, errs
}

// api builds the operations of one API version. Versions that are not served (Created, Blocked, Retired) get no
// upstreams nor policies: the lifecycle gate refuses their requests first.
func (b *builder) api(ctx context.Context, api *state.API) ([]*operation, error) {
	e := &apiEntry{api: api, major: strconv.Itoa(api.Major), gate: gate(api)}
	if e.gate == nil {
		if err := b.upstreams(e); err != nil {
			return nil, err
		}
	}
	ops := make([]*operation, len(api.Operations))
	for i, o := range api.Operations {
		op := &operation{api: e, id: o.Method + " " + o.Path}
		if e.gate == nil {
			if err := b.operation(ctx, op, i); err != nil {
				return nil, fmt.Errorf("operation %s: %w", op.id, err)
			}
		}
		ops[i] = op
	}
	return ops, nil
}

// operation builds the chains of operation i: the one for its security (with the apikey policy when it accepts an
// API key, else the oauth2 one), the Bearer variant with the oauth2 policy when it accepts either, and the CORS
// preflight.
func (b *builder) operation(ctx context.Context, op *operation, i int) error {
	api := op.api.api
	auth, bearer := authAttachments(api, i)
	var err error
	if op.chain, err = b.chain(ctx, api, i, auth); err != nil {
		return err
	}
	op.drop = dropFor(auth)
	if bearer != nil {
		op.bearer = &operation{api: op.api, id: op.id, drop: dropEither}
		if op.bearer.chain, err = b.chain(ctx, api, i, bearer); err != nil {
			return err
		}
	}
	if api.CORS != nil {
		cors := corsAttachment(api)
		p, err := b.pool(ctx, cors.ref)
		if err != nil {
			return fmt.Errorf("%s: policy %q: %w", cors.why, cors.ref.Name, err)
		}
		op.preflight = &operation{api: op.api, id: op.id, chain: []*plugins.Pool{p}, answers: true}
	}
	return nil
}

// Credential headers never forwarded upstream, by the security an operation was authenticated with.
var (
	dropAPIKey = []string{"Api-Key"}
	dropOAuth2 = []string{"Authorization"}
	dropEither = []string{"Api-Key", "Authorization"}
)

// dropFor returns the headers to drop for an authentication attachment (nil: none).
func dropFor(auth *attachment) []string {
	switch {
	case auth == nil:
		return nil
	case auth.ref.Name == builtinAPIKey:
		return dropAPIKey
	default:
		return dropOAuth2
	}
}

// upstreams builds the per-environment upstreams of an API version.
func (b *builder) upstreams(e *apiEntry) error {
	var err error
	if e.prod, err = b.upstream(e.api, state.Production, e.api.Endpoints.Production); err != nil {
		return err
	}
	e.sandbox = e.prod
	if len(e.api.Endpoints.Sandbox) > 0 {
		e.sandbox, err = b.upstream(e.api, state.Sandbox, e.api.Endpoints.Sandbox)
	}
	return err
}

func (b *builder) upstream(api *state.API, env string, endpoints []string) (*proxy.Upstream, error) {
	if len(endpoints) == 0 {
		return nil, nil
	}
	return proxy.New(proxy.Config{
		Name:       api.ID() + " " + env,
		Endpoints:  endpoints,
		Timeout:    time.Duration(api.TimeoutMS) * time.Millisecond,
		Transports: b.g.cfg.Transports,
		BufferPool: b.g.buffers,
		Logger:     b.g.log,
	})
}
