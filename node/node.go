package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync/atomic"
	"time"

	"portico/node/admin"
	"portico/node/gateway"
	"portico/node/oauth"
	"portico/node/peer"
	"portico/node/signin"
	"portico/node/statecache"
	"portico/node/token"
	"portico/plugins"
	"portico/policies/builtin"
	"portico/raftstore"
	"portico/raftstore/state"
)

// Node is a running node: its store, plugin host, gateway and listeners.
type Node struct {
	cfg     Config
	log     *slog.Logger
	tls     *peer.TLS // nil with --insecure
	mux     *peer.Mux
	peers   *peers
	store   *raftstore.Store
	cache   *statecache.Cache
	peerSrv *http.Server

	// cachedIndex is the index of the cached state the gateway serves until the store catches up; 0 once it has.
	// Only follow and start touch it.
	cachedIndex uint64
	served      atomic.Pointer[state.State] // the state the gateway serves (read by the OAuth endpoints)

	clusterKey  *token.ClusterKey // nil: this node cannot issue tokens
	keys        *token.Keys
	oauth       *oauth.Server
	signIn      *signin.Guard // failed sign-ins and password derivations, shared by the admin API and OAuth2
	internalSrv *http.Server
	internalLn  net.Listener
	host        *plugins.Host
	gw          *gateway.Gateway
	gwSrv       *http.Server
	admSrv      *http.Server
	gwLn        net.Listener
	admLn       net.Listener
	stopped     chan struct{}
}

// Run starts a node and serves until ctx is done, then drains in-flight requests and stops cleanly.
func Run(ctx context.Context, cfg Config) error {
	n, err := Start(ctx, cfg)
	if err != nil {
		return err
	}
	<-ctx.Done()
	return n.Stop()
}

// Start starts a node and returns once both listeners serve.
func Start(ctx context.Context, cfg Config) (*Node, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.DrainTimeout == 0 {
		cfg.DrainTimeout = 15 * time.Second
	}
	tuneGC()
	level, _ := parseLevel(cfg.LogLevel)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})).With("node", cfg.ID)
	n := &Node{cfg: cfg, log: log, stopped: make(chan struct{}), signIn: signin.New(signin.Config{})}
	if err := n.start(ctx); err != nil {
		n.closeParts()
		return nil, err
	}
	return n, nil
}

func (n *Node) start(ctx context.Context) error {
	if err := os.MkdirAll(n.cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("creating data dir: %w", err)
	}
	if err := n.openStore(); err != nil {
		return err
	}
	hadState := n.store.HadState()
	cached, err := n.openCache()
	if err != nil {
		return err
	}
	if hadState && cached == nil {
		n.waitReplayed(ctx)
	}
	if n.cfg.Bootstrap && !hadState {
		if err := n.bootstrapToken(ctx); err != nil {
			return err
		}
	}
	if err := n.startGateway(ctx, cached); err != nil {
		return err
	}
	go n.follow()
	if err := n.listen(); err != nil {
		return err
	}
	n.log.Info("node serving", "gateway", n.gwLn.Addr().String(), "admin", n.admLn.Addr().String(),
		"raft", n.mux.Addr().String(), "tls", !n.cfg.Insecure)
	if n.cfg.Join != "" && !hadState {
		if err := n.join(ctx); err != nil {
			return err
		}
	}
	go n.register()
	return nil
}

// openStore opens the inter-node link (mutual TLS unless --insecure) and the raft store on it.
func (n *Node) openStore() error {
	var err error
	if !n.cfg.Insecure {
		if n.tls, err = peer.LoadTLS(n.cfg.tlsFiles()); err != nil {
			return fmt.Errorf("loading the cluster TLS files: %w", err)
		}
	}
	n.mux, err = peer.Listen(peer.Config{Addr: n.cfg.RaftAddr, TLS: n.tls, Logger: n.log.With("component", "peer")})
	if err != nil {
		return fmt.Errorf("listening on --raft-addr: %w", err)
	}
	n.store, err = raftstore.Open(raftstore.Config{
		ID: n.cfg.ID, DataDir: n.cfg.DataDir, RaftAddr: n.cfg.RaftAddr, Bootstrap: n.cfg.Bootstrap,
		Logger: n.log, StreamLayer: n.mux.RaftLayer(), PeerAddrs: n.cfg.RaftPeers,
		SnapshotThreshold: n.cfg.SnapshotThreshold, TrailingLogs: n.cfg.TrailingLogs,
		SnapshotInterval: n.cfg.SnapshotInterval,
	})
	if err != nil {
		return fmt.Errorf("opening store: %w", err)
	}
	n.peers = newPeers(n.store, n.tls, n.cfg.RaftPeers)
	return nil
}

// startGateway starts the plugin host and the gateway on the newest state this node has: its cached served state if
// that is newer than what the store has applied so far (a restart without quorum), else the store's.
func (n *Node) startGateway(ctx context.Context, cached *state.State) error {
	var err error
	n.host, err = plugins.New(ctx, plugins.Config{
		CacheDir: filepath.Join(n.cfg.DataDir, "wasm-cache"), Logger: n.log.With("component", "plugins"),
	})
	if err != nil {
		return fmt.Errorf("starting plugin host: %w", err)
	}
	if err := n.startTokens(); err != nil {
		return err
	}
	n.gw, err = gateway.New(gateway.Config{
		NodeID: n.cfg.ID, Plugins: n.host, Builtins: builtin.Lookup, Logger: n.log.With("component", "gateway"),
		Tokens: n.keys, External: token.NewExternalVerifier(&http.Client{Timeout: token.JWKSTimeout}, nil),
		Issuer: n.cfg.issuer(), OAuth: n.oauth,
	})
	if err != nil {
		return fmt.Errorf("starting gateway: %w", err)
	}
	st := n.store.State()
	if cached != nil && cached.Index > st.Index {
		n.log.Info("serving the cached state until the store catches up", "cached", cached.Index, "store", st.Index)
		st, n.cachedIndex = cached, cached.Index
	}
	n.serveState(st)
	return nil
}

// serveState makes st the state this node serves: token keys first, then the gateway's table.
func (n *Node) serveState(st *state.State) {
	if err := n.keys.Update(st); err != nil {
		n.log.Error("loading token signing keys", "index", st.Index, "err", err)
	}
	n.served.Store(st)
	if err := n.gw.Update(context.Background(), st); err != nil {
		n.log.Error("building gateway table", "index", st.Index, "err", err)
	}
}

// replayWait bounds how long a restarting node waits to replay its log before it starts serving.
const replayWait = 15 * time.Second

// waitReplayed waits, bounded, until the store has applied every entry it knows to be committed, so that a restarted
// node serves its full state from its first request. A node that cannot reach a quorum starts with what it has.
func (n *Node) waitReplayed(ctx context.Context) {
	deadline := time.Now().Add(replayWait)
	for !n.store.Ready() {
		if time.Now().After(deadline) || ctx.Err() != nil {
			n.log.Warn("starting before the log is replayed: no leader or quorum", "waited", replayWait)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// defaultGCPercent is the GC target a node runs with unless GOGC is set: a gateway allocates per request, and a
// larger heap target trades a few MiB of memory for less CPU spent collecting (see RATIONALE.md).
const defaultGCPercent = 400

func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
}

// follow rebuilds the gateway table whenever the store publishes a new state, until the node stops. Each state is
// saved to the state cache before the gateway serves it, so a restarted node never serves less than it did. While
// the node serves its cached state (cachedIndex > 0), older store states are skipped until the store has caught up.
func (n *Node) follow() {
	ch, cancel := n.store.Watch()
	defer cancel()
	t := time.NewTicker(catchUpPoll)
	defer t.Stop()
	var last *state.State
	for {
		select {
		case <-n.stopped:
			return
		case <-ch:
		case <-t.C:
		}
		st := n.store.State()
		if st == last || !n.caughtUp(st) {
			continue
		}
		last = st
		if err := n.cache.Save(st); err != nil {
			n.log.Error("saving the served state", "index", st.Index, "err", err)
		}
		n.serveState(st)
	}
}

// catchUpPoll is how often follow checks, while serving a cached state, whether the store has caught up.
const catchUpPoll = 200 * time.Millisecond

// caughtUp reports whether st may replace the cached state the gateway serves: it is at least as new, or the store
// has applied everything the leader had committed when asked.
func (n *Node) caughtUp(st *state.State) bool {
	if n.cachedIndex == 0 {
		return true
	}
	if st.Index < n.cachedIndex && !n.confirmedCurrent() {
		return false
	}
	n.log.Info("the store has caught up: serving it instead of the cached state", "index", st.Index)
	n.cachedIndex = 0
	return true
}

// confirmedCurrent asks the leader for its commit index and waits, briefly, until the store has applied it.
func (n *Node) confirmedCurrent() bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var idx uint64
	switch leader := n.store.LeaderID(); leader {
	case "":
		return false
	case n.cfg.ID:
		i, err := n.store.ReadIndex(ctx)
		if err != nil {
			return false
		}
		idx = i
	default:
		var out struct {
			Index uint64 `json:"index"`
		}
		if err := n.peers.getJSON(ctx, leader, "/internal/v1/read-index", &out); err != nil {
			return false
		}
		idx = out.Index
	}
	return n.store.WaitApplied(ctx, idx) == nil
}

// openCache opens the served-state cache and loads it; a damaged cache is logged and ignored.
func (n *Node) openCache() (*state.State, error) {
	var err error
	if n.cache, err = statecache.New(filepath.Join(n.cfg.DataDir, "state")); err != nil {
		return nil, err
	}
	st, err := n.cache.Load()
	if err != nil {
		n.log.Warn("ignoring the served-state cache", "err", err)
		return nil, nil
	}
	return st, nil
}

func (n *Node) listen() error {
	adm, err := admin.New(admin.Config{
		Store: servingStore{Store: n.store, gw: n.gw, served: n.served.Load}, Policies: hasBuiltin, NodeID: n.cfg.ID, Peers: n.peers,
		Served: n.gw.ServedIndex, Logger: n.log.With("component", "admin"), KeyGrace: n.cfg.KeyGrace,
		NewSigningKey: n.newSigningKey(), SignIn: n.signIn,
		Compile: func(ctx context.Context, wasm []byte) error {
			m, err := n.host.Compile(ctx, wasm)
			n.host.ReleaseModule(ctx, m) // a check only: the gateway compiles what it serves
			return err
		},
	})
	if err != nil {
		return fmt.Errorf("starting admin API: %w", err)
	}
	peerMux := http.NewServeMux()
	peerMux.HandleFunc("POST "+applyPath, n.serveApply)
	peerMux.Handle("/", adm.PeerHandler())
	n.peerSrv = newServer(peerMux, n.log)
	go n.serve(n.peerSrv, n.mux.HTTPListener(), "peer")
	if n.gwLn, err = net.Listen("tcp", n.cfg.GatewayAddr); err != nil {
		return fmt.Errorf("listening on --gateway-addr: %w", err)
	}
	if n.admLn, err = net.Listen("tcp", n.cfg.AdminAddr); err != nil {
		return fmt.Errorf("listening on --admin-addr: %w", err)
	}
	if n.cfg.InternalAddr != "" {
		if n.internalLn, err = net.Listen("tcp", n.cfg.InternalAddr); err != nil {
			return fmt.Errorf("listening on --internal-addr: %w", err)
		}
		n.internalSrv = newServer(n.gw.Internal(), n.log)
		go n.serve(n.internalSrv, n.internalLn, "internal gateway")
	}
	n.gwSrv = newServer(n.gw, n.log)
	n.admSrv = newServer(adm, n.log)
	go n.serve(n.gwSrv, n.gwLn, "gateway")
	go n.serve(n.admSrv, n.admLn, "admin")
	return nil
}

func hasBuiltin(name string) bool {
	_, ok := builtin.Lookup(name)
	return ok
}

func newServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
}

func (n *Node) serve(srv *http.Server, ln net.Listener, name string) {
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		n.log.Error("listener stopped", "listener", name, "err", err)
	}
}

// GatewayAddr is the gateway listener's address (useful with port 0).
func (n *Node) GatewayAddr() string { return n.gwLn.Addr().String() }

// AdminAddr is the admin listener's address.
func (n *Node) AdminAddr() string { return n.admLn.Addr().String() }

// Stop stops accepting connections, drains in-flight requests (bounded by DrainTimeout) and closes the store so that
// the data dir is left consistent.
func (n *Node) Stop() error {
	n.log.Info("node stopping: draining in-flight requests", "timeout", n.cfg.DrainTimeout)
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.DrainTimeout)
	defer cancel()
	var errs []error
	for _, srv := range []*http.Server{n.gwSrv, n.internalSrv, n.admSrv, n.peerSrv} {
		if srv != nil {
			if err := srv.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("draining listener: %w", err))
			}
		}
	}
	errs = append(errs, n.closeParts())
	n.log.Info("node stopped")
	return errors.Join(errs...)
}

func (n *Node) closeParts() error {
	select {
	case <-n.stopped:
	default:
		close(n.stopped)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var errs []error
	if n.gw != nil {
		errs = append(errs, n.gw.Close(ctx))
	}
	if n.store != nil {
		errs = append(errs, n.store.Close())
	}
	if n.mux != nil {
		_ = n.mux.Close()
	}
	if n.host != nil {
		errs = append(errs, n.host.Close(ctx))
	}
	for _, ln := range []net.Listener{n.gwLn, n.internalLn, n.admLn} {
		if ln != nil {
			_ = ln.Close()
		}
	}
	return errors.Join(errs...)
}
