// Package gateway is the top-level handler of the gateway listeners, first on the request path: for every client
// request it assigns a request ID, rejects ambiguous request targets, normalises the path once (node/urlpath), hands
// the OAuth2 endpoints (/oauth2/*, /.well-known/*) to node/oauth, routes the rest on the current table (node/route,
// read through an atomic pointer without locks; the public listener does not see internal APIs, the internal one
// sees every API), applies the lifecycle gate, runs the operation's policy chain (wasm pools of package plugins: the
// cors policy, the authentication policy chosen per request when an operation accepts an API key or a token, the
// API's and operation's policies; a CORS preflight runs the cors policy alone) and hands the request to node/proxy.
// It is the plugins.CredentialStore of its policies: API keys and access tokens (node/token) are checked against the
// table's state. On the config path, Update builds a new table from a replicated state off the hot path, swaps it in,
// drains the old table and releases its policy pools.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"portico/node/httperr"
	"portico/node/proxy"
	"portico/node/token"
	"portico/plugins"
	"portico/raftstore/state"
)

// Config is the gateway's static configuration.
type Config struct {
	NodeID       string
	Plugins      *plugins.Host                            // the node's wasm host
	Builtins     func(name string) (wasm []byte, ok bool) // policies/builtin.Lookup
	Transports   *proxy.Transports                        // backend connections, kept across tables; nil = new set
	Logger       *slog.Logger
	DrainTimeout time.Duration // how long an old table waits for in-flight requests before closing; 0 = 30s

	Tokens   TokenVerifier    // the cluster's access tokens (*token.Keys); nil: Bearer credentials are always AuthUnknown
	External ExternalVerifier // tokens of the external issuers an API trusts; nil: those issuers are not trusted
	Issuer   string           // "iss" of the cluster's own tokens; "" = DefaultIssuer
	OAuth    http.Handler     // serves /oauth2/* and /.well-known/* on both listeners (node/oauth); nil = 404
}

// DefaultIssuer is the cluster's token issuer when Config.Issuer is empty (node/token's default).
const DefaultIssuer = "portico"

// TokenVerifier verifies the cluster's own tokens of one use ("access" for APIs) against a state: signature by a
// signing key of st, claims, revocation. *token.Keys implements it.
type TokenVerifier interface {
	Verify(st *state.State, token, use string) (*token.Claims, error)
}

// ExternalVerifier verifies a token of one of issuers, the external issuers an API trusts. *token.ExternalVerifier
// implements it.
type ExternalVerifier interface {
	Verify(ctx context.Context, issuers []state.ExternalIssuer, token string) (*token.Claims, error)
}

// DefaultDrainTimeout is the drain bound used when Config.DrainTimeout is zero.
const DefaultDrainTimeout = 30 * time.Second

// ErrClosed is returned by Update after Close.
var ErrClosed = errors.New("gateway closed")

// Gateway routes client requests through policy chains to the backends of the current table. As an http.Handler it
// is the public gateway listener, which does not serve internal APIs; Internal is the internal listener's handler.
type Gateway struct {
	cfg      Config
	log      *slog.Logger
	ids      *idGen
	buffers  *proxy.BufferPool
	cur      atomic.Pointer[table]
	drains   sync.WaitGroup // background drains of replaced tables
	internal internalHandler

	mu       sync.Mutex                 // serialises Update and Close
	closed   bool                       // guarded by mu
	modules  map[string]*plugins.Module // compiled policy modules by SHA-256 (hex); guarded by mu
	builtins map[string]*plugins.Module // compiled built-in policy modules by name; guarded by mu
}

// New returns a gateway that serves 503 until the first Update.
func New(cfg Config) (*Gateway, error) {
	ids, err := newIDGen()
	if err != nil {
		return nil, fmt.Errorf("starting gateway: %w", err)
	}
	if cfg.Transports == nil {
		cfg.Transports = proxy.NewTransports()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = DefaultDrainTimeout
	}
	if cfg.Issuer == "" {
		cfg.Issuer = DefaultIssuer
	}
	g := &Gateway{
		cfg:      cfg,
		log:      cfg.Logger,
		ids:      ids,
		buffers:  proxy.NewBufferPool(),
		modules:  map[string]*plugins.Module{},
		builtins: map[string]*plugins.Module{},
	}
	g.internal.g = g
	return g, nil
}

// Internal returns the handler of the node's internal gateway listener: the same gateway, serving every API whatever
// its access mode.
func (g *Gateway) Internal() http.Handler { return &g.internal }

// Update builds a complete new table from st off the hot path, swaps it in with one atomic pointer store, then drains
// the old table (until no request started on it is in flight, bounded by DrainTimeout) and releases its policy pools
// in the background. An API whose chain or routes cannot be built is left out of the new table; its error is logged
// and returned (joined) while the rest is served. Concurrent calls are serialised; a state older than the one served
// is ignored. If ctx ends during the build, the old table keeps serving.
func (g *Gateway) Update(ctx context.Context, st *state.State) error {
	if st == nil {
		return errors.New("updating gateway: nil state")
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return ErrClosed
	}
	if cur := g.cur.Load(); cur != nil && st.Index < cur.index {
		g.log.Debug("ignoring older state", "index", st.Index, "served", cur.index)
		return nil
	}
	t, err := g.build(ctx, st)
	if ctxErr := ctx.Err(); ctxErr != nil {
		t.close()
		return fmt.Errorf("updating gateway to index %d: %w", st.Index, ctxErr)
	}
	if old := g.cur.Swap(t); old != nil {
		g.drains.Add(1)
		go func() {
			defer g.drains.Done()
			if err := g.drain(context.Background(), old); err != nil {
				g.log.Warn("closing replaced table", "err", err)
			}
		}()
	}
	g.forgetModules(ctx, st)
	g.log.Debug("serving table", "index", st.Index)
	return err
}

// forgetModules gives back the gateway's reference on each pushed module that no plugin of st has any longer (a
// deleted version): the pools of replaced tables keep theirs until they drain, and the host then frees the
// compiled code. Built-in policies stay compiled. Called with g.mu held.
func (g *Gateway) forgetModules(ctx context.Context, st *state.State) {
	keep := make(map[string]bool, len(st.Plugins)+len(g.builtins))
	for _, p := range st.Plugins {
		keep[p.SHA256] = true
	}
	for _, m := range g.builtins {
		keep[m.Digest()] = true
	}
	for digest, m := range g.modules {
		if !keep[digest] {
			delete(g.modules, digest)
			g.cfg.Plugins.ReleaseModule(ctx, m)
		}
	}
}

// ServedIndex returns the state index of the table now served, 0 before the first Update.
func (g *Gateway) ServedIndex() uint64 {
	if t := g.cur.Load(); t != nil {
		return t.index
	}
	return 0
}

// Close stops serving, drains the current table and waits for the drains of replaced tables, bounded by ctx and
// DrainTimeout. Requests arriving afterwards get 503.
func (g *Gateway) Close(ctx context.Context) error {
	g.mu.Lock()
	g.closed = true
	t := g.cur.Swap(nil)
	for digest, m := range g.modules { // the pools keep theirs until they drain
		delete(g.modules, digest)
		g.cfg.Plugins.ReleaseModule(ctx, m)
	}
	clear(g.builtins)
	g.mu.Unlock()
	var err error
	if t != nil {
		err = g.drain(ctx, t)
	}
	done := make(chan struct{})
	go func() {
		g.drains.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		err = errors.Join(err, fmt.Errorf("closing gateway: waiting for table drains: %w", ctx.Err()))
	}
	g.cfg.Transports.CloseIdle()
	return err
}

// drainPoll is how often a drain checks the in-flight count.
const drainPoll = 2 * time.Millisecond

// drain waits until no request is in flight on t (bounded by DrainTimeout and ctx), then closes it.
func (g *Gateway) drain(ctx context.Context, t *table) error {
	defer t.close()
	deadline := time.NewTimer(g.cfg.DrainTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(drainPoll)
	defer tick.Stop()
	for t.inflight.Load() > 0 {
		select {
		case <-tick.C:
		case <-deadline.C:
			return fmt.Errorf("draining table %d: %d requests still in flight after %v", t.index,
				t.inflight.Load(), g.cfg.DrainTimeout)
		case <-ctx.Done():
			return fmt.Errorf("draining table %d: %w", t.index, ctx.Err())
		}
	}
	return nil
}

// acquireAttempts bounds how often a request retries to pin the current table while swaps race with it.
const acquireAttempts = 64

// acquire pins the current table: its in-flight count is raised and checked to be still current, so that a drain
// that starts after a swap sees the request. nil means no table is served.
func (g *Gateway) acquire() *table {
	for range acquireAttempts {
		t := g.cur.Load()
		if t == nil {
			return nil
		}
		t.inflight.Add(1)
		if g.cur.Load() == t {
			return t
		}
		t.inflight.Add(-1)
	}
	return nil
}

var (
	_ http.Handler     = (*Gateway)(nil)
	_ http.Handler     = (*internalHandler)(nil)
	_ TokenVerifier    = (*token.Keys)(nil)
	_ ExternalVerifier = (*token.ExternalVerifier)(nil)
)

// errNotServing answers requests when no table is served (before the first Update, after Close).
var errNotServing = httperr.New(http.StatusServiceUnavailable, "gateway is not serving")
