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
	routes   *route.Table[*operation]
	pools    []*plugins.Pool // one reference per distinct (module, config), released by close
	inflight atomic.Int64
	closed   atomic.Bool
}

// apiEntry is one API version's share of a table.
type apiEntry struct {
	api     *state.API
	major   string          // api.Major in decimal, for the api.major property
	prod    *proxy.Upstream // nil when the version has no production endpoints
	sandbox *proxy.Upstream // the sandbox endpoints, or prod when there are none
}

// operation is the route value: what the gateway does for one operation of one API version.
type operation struct {
	api   *apiEntry
	id    string          // "METHOD /template", the operation.id property
	chain []*plugins.Pool // policies in request-phase order; empty for the fast path
	drop  []string        // headers never forwarded (the api-key header when the operation requires api-key)
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
	routes, rerrs := buildRoutes(apis, values)
	b.t.routes = routes
	errs = append(errs, rerrs...)
	for _, err := range errs {
		g.log.Error("API left out of the gateway table", "index", st.Index, "err", err)
	}
	return b.t, errors.Join(errs...)
}

// buildRoutes builds the route table of apis. An API version that breaks the build (two names claiming one context,
// say) is left out, named by route.BuildError, and the build is retried; at most one retry per API.
func buildRoutes(apis []*state.API, values map[string][]*operation) (*route.Table[*operation], []error) {
	value := func(api *state.API, op int) (*operation, error) { return values[api.ID()][op], nil }
	var errs []error
	for range len(apis) + 1 {
		rt, err := route.Build(apis, value)
		if err == nil {
			return rt, errs
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
	return rt, errs
}

// api builds the operations of one API version. Versions that are not served (Created, Blocked, Retired) get no
// upstreams nor policies: the lifecycle gate refuses their requests first.
func (b *builder) api(ctx context.Context, api *state.API) ([]*operation, error) {
	e := &apiEntry{api: api, major: strconv.Itoa(api.Major)}
	isServed := served(api.Lifecycle)
	if isServed {
		if err := b.upstreams(e); err != nil {
			return nil, err
		}
	}
	ops := make([]*operation, len(api.Operations))
	for i, o := range api.Operations {
		op := &operation{api: e, id: o.Method + " " + o.Path}
		if isServed {
			chain, err := b.chain(ctx, api, i)
			if err != nil {
				return nil, fmt.Errorf("operation %s: %w", op.id, err)
			}
			op.chain = chain
			if slices.Contains(api.EffectiveSecurity(i), state.SecurityAPIKey) {
				op.drop = dropAPIKey
			}
		}
		ops[i] = op
	}
	return ops, nil
}

// dropAPIKey lists the credential header never forwarded upstream.
var dropAPIKey = []string{"Api-Key"}

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
