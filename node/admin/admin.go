// Package admin is the node's control API: the operator CLI's HTTP calls enter here, are authenticated with an admin
// token, validated completely, and turned into raftstore commands proposed through the Store. Reads are served from
// the Store's latest published state. Every error leaves as the JSON wire error of package httperr.
package admin

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"

	"portico/raftstore"
	"portico/raftstore/state"
)

// Store is what the admin API needs from the replicated store (*raftstore.Store implements it).
type Store interface {
	State() *state.State
	Apply(ctx context.Context, requestID string, cmd raftstore.Command) (any, error)
	IsLeader() bool
	LeaderID() string
	Ready() bool
	AppliedIndex() uint64
}

// Config configures the admin API.
type Config struct {
	Store Store
	// Policies reports whether a built-in policy with this name exists; nil means none does.
	Policies func(name string) bool
	NodeID   string
	Logger   *slog.Logger     // nil = discard
	Now      func() time.Time // nil = time.Now
}

// Admin is the admin API's HTTP handler.
type Admin struct {
	store    Store
	policies func(string) bool
	nodeID   string
	log      *slog.Logger
	now      func() time.Time
	mux      *http.ServeMux
}

// New builds the admin API handler.
func New(cfg Config) (*Admin, error) {
	if cfg.Store == nil {
		return nil, errors.New("creating admin API: no store")
	}
	a := &Admin{
		store: cfg.Store, policies: cfg.Policies, nodeID: cfg.NodeID, log: cfg.Logger, now: cfg.Now,
		mux: http.NewServeMux(),
	}
	if a.policies == nil {
		a.policies = func(string) bool { return false }
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	a.routes()
	return a, nil
}

// routes registers every endpoint. Routes under /v1 require an admin token.
func (a *Admin) routes() {
	a.handle("GET /healthz", a.healthz)
	a.handle("GET /readyz", a.readyz)
	a.handle("GET /v1/status", a.auth(a.status))
	a.handle("POST /v1/apis", a.auth(a.deployAPI))
	a.handle("POST /v1/apis/openapi", a.auth(a.deployOpenAPI))
	a.handle("GET /v1/apis", a.auth(a.listAPIs))
	a.handle("GET /v1/apis/{name}/{version}", a.auth(a.getAPI))
	a.handle("DELETE /v1/apis/{name}/{version}", a.auth(a.deleteAPI))
	a.handle("POST /v1/apps", a.auth(a.createApp))
	a.handle("GET /v1/apps", a.auth(a.listApps))
	a.handle("DELETE /v1/apps/{app}", a.auth(a.deleteApp))
	a.handle("POST /v1/keys", a.auth(a.createKey))
	a.handle("GET /v1/keys", a.auth(a.listKeys))
	a.handle("DELETE /v1/keys/{id}", a.auth(a.deleteKey))
}

// ServeHTTP gives every request an ID, routes it, renders its error if any and logs it at debug level.
func (a *Admin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := a.now()
	id := requestID(r)
	sw := &statusWriter{ResponseWriter: w}
	sw.Header().Set("X-Request-Id", id)
	r = r.WithContext(withRequestID(r.Context(), id))
	if h, pattern := a.mux.Handler(r); pattern == "" || !cleanPath(r.URL.EscapedPath()) {
		a.fallback(sw, r, h)
	} else {
		a.mux.ServeHTTP(sw, r)
	}
	a.log.Debug("admin request", "method", r.Method, "path", r.URL.Path, "status", sw.status(),
		"duration", a.now().Sub(start), "requestId", id)
}

// cleanPath reports whether p has no dot segments and no repeated slashes. The mux would redirect such a path; the
// admin API has no such endpoint.
func cleanPath(p string) bool {
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c == p
}

var (
	_ http.Handler = (*Admin)(nil)
	_ Store        = (*raftstore.Store)(nil)
)
