// Package admin is the node's control API: the operator CLI's HTTP calls enter here, are authenticated with an admin
// token, authorised by the role of the token's user (admin, publisher, subscriber) and by ownership of the objects
// they touch, validated completely, and turned into raftstore commands proposed through the Store. Reads are served
// from the Store's latest published state and show each caller only what it may see. Every error leaves as the JSON
// wire error of package httperr.
package admin

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"

	"portico/node/signin"
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

	// Cluster membership and linearizable reads (leader-only calls return raftstore.ErrNotLeader elsewhere).
	ReadIndex(ctx context.Context) (uint64, error)
	WaitApplied(ctx context.Context, idx uint64) error
	Join(ctx context.Context, id, raftAddr string) error
	Remove(ctx context.Context, id string) error
	Members() ([]raftstore.Member, error)
	RaftState() string
	Term() uint64
	WriteBackup(w io.Writer) error
	RestoreBackup(ctx context.Context, r io.Reader) error
}

// Peers reaches the other members of the cluster over the inter-node link (mutual TLS).
type Peers interface {
	// Do sends req, whose URL holds only a path and query, to member id and returns its response.
	Do(id string, req *http.Request) (*http.Response, error)
}

// Config configures the admin API.
type Config struct {
	Store Store
	// Policies reports whether a built-in policy with this name exists; nil means none does.
	Policies func(name string) bool
	// Compile checks a pushed plugin module (imports, memory limits, exports) before it is proposed; nil = plugin
	// pushes are refused with 503.
	Compile func(ctx context.Context, wasm []byte) error
	NodeID  string
	// Peers reaches other members (forwarding, read index, cluster status); nil = a single node that never forwards.
	Peers Peers
	// Served is the raft index this node's gateway serves; nil = AppliedIndex.
	Served func() uint64
	Logger *slog.Logger     // nil = discard
	Now    func() time.Time // nil = time.Now
	// KeyGrace is how long a regenerated API key's predecessor stays valid; 0 = DefaultKeyGrace.
	KeyGrace time.Duration
	// NewSigningKey makes a token signing key sealed with the cluster key; nil = this node has no cluster key, and
	// signing key rotation is refused with 503.
	NewSigningKey func(now time.Time) (state.SigningKey, error)
	// SignIn limits failed password sign-ins (login, the current password of a password change) and the password
	// derivations running at once; nil = no limits.
	SignIn *signin.Guard
}

// DefaultKeyGrace is how long a regenerated API key's predecessor stays valid unless Config.KeyGrace says otherwise.
const DefaultKeyGrace = time.Hour

// Admin is the admin API's HTTP handler.
type Admin struct {
	store    Store
	policies func(string) bool
	compile  func(context.Context, []byte) error
	nodeID   string
	peers    Peers
	served   func() uint64
	log      *slog.Logger
	now      func() time.Time
	mux      *http.ServeMux

	keyGrace      time.Duration
	newSigningKey func(time.Time) (state.SigningKey, error)
	statusWait    time.Duration // defaultStatusWait; tests with in-process fake members set a longer one
	signIn        *signin.Guard
}

// New builds the admin API handler.
func New(cfg Config) (*Admin, error) {
	if cfg.Store == nil {
		return nil, errors.New("creating admin API: no store")
	}
	a := &Admin{
		store: cfg.Store, policies: cfg.Policies, nodeID: cfg.NodeID, peers: cfg.Peers, served: cfg.Served,
		compile: cfg.Compile, log: cfg.Logger, now: cfg.Now, mux: http.NewServeMux(), keyGrace: cfg.KeyGrace,
		newSigningKey: cfg.NewSigningKey, statusWait: defaultStatusWait, signIn: cfg.SignIn,
	}
	if a.keyGrace <= 0 {
		a.keyGrace = DefaultKeyGrace
	}
	if a.served == nil {
		a.served = cfg.Store.AppliedIndex
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

// routes registers every endpoint. Routes under /v1 require an admin token, except login; the role each needs is
// given where it is registered.
func (a *Admin) routes() {
	a.handle("GET /healthz", a.healthz)
	a.handle("GET /readyz", a.readyz)
	a.handle("GET /v1/status", a.auth(a.status))
	a.apiRoutes()
	a.docRoutes()
	a.appRoutes()
	a.subRoutes()
	a.keyRoutes()
	a.userRoutes()
	a.tokenRoutes()
	a.signingRoutes()
	a.handle("GET /v1/cluster", a.only("read the cluster status", adminOnly, a.clusterStatus))
	a.handle("POST /v1/cluster/join", a.only("change the cluster", adminOnly, a.join))
	a.handle("DELETE /v1/cluster/nodes/{id}", a.only("change the cluster", adminOnly, a.removeNode))
	a.handle("GET /v1/snapshot", a.only("save snapshots", adminOnly, a.saveSnapshot))
	a.handle("POST /v1/snapshot", a.only("restore snapshots", adminOnly, a.restoreSnapshot))
	a.pluginRoutes()
}

// apiRoutes registers the endpoints of APIs: publishers change the APIs they own, every role reads those it sees.
func (a *Admin) apiRoutes() {
	a.handle("POST /v1/apis", a.only("deploy APIs", publishers, a.deployAPI))
	a.handle("POST /v1/apis/openapi", a.only("deploy APIs", publishers, a.deployOpenAPI))
	a.handle("GET /v1/apis", a.auth(a.listAPIs))
	a.handle("GET /v1/apis/{name}/{version}", a.auth(a.getAPI))
	a.handle("DELETE /v1/apis/{name}/{version}", a.only("delete APIs", publishers, a.deleteAPI))
	a.handle("POST /v1/apis/{name}/{version}/lifecycle", a.only("change the lifecycle of APIs", publishers,
		a.setLifecycle))
	a.handle("GET /v1/apis/{name}/consumers", a.only("list the consumers of APIs", publishers, a.listConsumers))
}

// keyRoutes registers the endpoints of API keys; every role may call them, on the applications it may reach.
func (a *Admin) keyRoutes() {
	a.handle("POST /v1/keys", a.auth(a.createKey))
	a.handle("GET /v1/keys", a.auth(a.listKeys))
	a.handle("DELETE /v1/keys/{id}", a.auth(a.deleteKey))
	a.handle("POST /v1/keys/{id}/regenerate", a.auth(a.regenerateKey))
}

// ServeHTTP gives every request an ID, routes it, renders its error if any and logs it at debug level.
func (a *Admin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := a.now()
	id := requestID(r)
	sw := &statusWriter{ResponseWriter: w}
	if isForwarded(r) {
		// The forwarding member waits until it serves this index before it answers its caller.
		sw.index = a.store.AppliedIndex
	}
	sw.Header().Set("X-Request-Id", id)
	r = r.WithContext(withRequestID(r.Context(), id))
	if handled, err := a.coordinate(sw, r); err != nil {
		a.fail(sw, r, err)
	} else if !handled {
		a.route(sw, r)
	}
	a.log.Debug("admin request", "method", r.Method, "path", r.URL.Path, "status", sw.status(),
		"duration", a.now().Sub(start), "requestId", id)
}

// route serves r from this node with the endpoint its path and method name.
func (a *Admin) route(w http.ResponseWriter, r *http.Request) {
	if h, pattern := a.mux.Handler(r); pattern == "" || !cleanPath(r.URL.EscapedPath()) {
		a.fallback(w, r, h)
	} else {
		a.mux.ServeHTTP(w, r)
	}
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
