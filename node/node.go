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
	"time"

	"portico/node/admin"
	"portico/node/gateway"
	"portico/plugins"
	"portico/policies/builtin"
	"portico/raftstore"
)

// Node is a running node: its store, plugin host, gateway and listeners.
type Node struct {
	cfg     Config
	log     *slog.Logger
	store   *raftstore.Store
	host    *plugins.Host
	gw      *gateway.Gateway
	gwSrv   *http.Server
	admSrv  *http.Server
	gwLn    net.Listener
	admLn   net.Listener
	stopped chan struct{}
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
	n := &Node{cfg: cfg, log: log, stopped: make(chan struct{})}
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
	_, statErr := os.Stat(filepath.Join(n.cfg.DataDir, "raft", "raft.db"))
	hadState := statErr == nil
	var err error
	n.store, err = raftstore.Open(raftstore.Config{
		ID: n.cfg.ID, DataDir: n.cfg.DataDir, RaftAddr: n.cfg.RaftAddr, Bootstrap: n.cfg.Bootstrap,
		Logger: n.log,
	})
	if err != nil {
		return fmt.Errorf("opening store: %w", err)
	}
	if hadState {
		n.waitReplayed(ctx)
	}
	if n.cfg.Bootstrap {
		if err := n.bootstrapToken(ctx); err != nil {
			return err
		}
	}
	n.host, err = plugins.New(ctx, plugins.Config{
		CacheDir: filepath.Join(n.cfg.DataDir, "wasm-cache"), Logger: n.log.With("component", "plugins"),
	})
	if err != nil {
		return fmt.Errorf("starting plugin host: %w", err)
	}
	n.gw, err = gateway.New(gateway.Config{
		NodeID: n.cfg.ID, Plugins: n.host, Builtins: builtin.Lookup, Logger: n.log.With("component", "gateway"),
	})
	if err != nil {
		return fmt.Errorf("starting gateway: %w", err)
	}
	if err := n.gw.Update(ctx, n.store.State()); err != nil {
		n.log.Error("building gateway table", "err", err)
	}
	go n.follow()
	if err := n.listen(); err != nil {
		return err
	}
	n.log.Info("node serving", "gateway", n.gwLn.Addr().String(), "admin", n.admLn.Addr().String(),
		"raft", n.cfg.RaftAddr)
	return nil
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

// follow rebuilds the gateway table whenever the store publishes a new state, until the node stops.
func (n *Node) follow() {
	ch, cancel := n.store.Watch()
	defer cancel()
	for {
		select {
		case <-n.stopped:
			return
		case <-ch:
			st := n.store.State()
			if err := n.gw.Update(context.Background(), st); err != nil {
				n.log.Error("building gateway table", "index", st.Index, "err", err)
			}
		}
	}
}

func (n *Node) listen() error {
	adm, err := admin.New(admin.Config{
		Store: servingStore{Store: n.store, gw: n.gw}, Policies: hasBuiltin, NodeID: n.cfg.ID, Logger: n.log.With("component", "admin"),
	})
	if err != nil {
		return fmt.Errorf("starting admin API: %w", err)
	}
	if n.gwLn, err = net.Listen("tcp", n.cfg.GatewayAddr); err != nil {
		return fmt.Errorf("listening on --gateway-addr: %w", err)
	}
	if n.admLn, err = net.Listen("tcp", n.cfg.AdminAddr); err != nil {
		return fmt.Errorf("listening on --admin-addr: %w", err)
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
	for _, srv := range []*http.Server{n.gwSrv, n.admSrv} {
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
	if n.host != nil {
		errs = append(errs, n.host.Close(ctx))
	}
	for _, ln := range []net.Listener{n.gwLn, n.admLn} {
		if ln != nil {
			_ = ln.Close()
		}
	}
	return errors.Join(errs...)
}
