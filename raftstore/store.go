package raftstore

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.etcd.io/bbolt"

	"portico/raftstore/state"
)

// Config is the static configuration of a node's raft store.
type Config struct {
	ID        string       // raft server ID (node id)
	DataDir   string       // raft data lives under DataDir/raft: bolt log and stable store, file snapshots
	RaftAddr  string       // bind and advertise address of the raft TCP transport (host:port; port 0 picks one)
	Bootstrap bool         // bootstrap a single-voter cluster if the data dir has no raft state; ignored afterwards
	Logger    *slog.Logger // nil discards; raft's own logs go here too (component "raft", warn and above)

	// Tuning; zero values get defaults suited to loopback on 2 shared cores. Tests set small thresholds.
	SnapshotThreshold uint64        // entries since the last snapshot that trigger one (default 8192)
	TrailingLogs      uint64        // entries kept in the log after a snapshot (default 10240)
	SnapshotInterval  time.Duration // how often the threshold is checked (default 2m)

	// StreamLayer carries raft RPCs (an mTLS layer from package node/peer); nil = raft's plain TCP transport on
	// RaftAddr. With a StreamLayer, RaftAddr is ignored for listening; the advertised address is StreamLayer.Addr().
	StreamLayer raft.StreamLayer
	// PeerAddrs overrides, per server ID, the address this node dials to reach that peer (raft's
	// ServerAddressProvider): fault-injection tests route each directed link through a proxy. Unlisted IDs use the
	// address in the raft configuration.
	PeerAddrs map[string]string

	// timeouts overrides the raft timeouts (zero fields get defaultTimeouts): this package's tests use longer ones so
	// that a scheduler stall on a loaded machine does not move leadership. Unexported: nodes always use the defaults.
	timeouts raftTimeouts
}

// raftTimeouts are the raft heartbeat, election and leader-lease timeouts.
type raftTimeouts struct {
	heartbeat, election, leaderLease time.Duration
}

// defaultTimeouts suit loopback on 2 shared cores.
var defaultTimeouts = raftTimeouts{
	heartbeat:   500 * time.Millisecond,
	election:    500 * time.Millisecond,
	leaderLease: 250 * time.Millisecond,
}

// Defaults and fixed settings.
const (
	defaultSnapshotThreshold = 8192
	defaultTrailingLogs      = 10240
	defaultSnapshotInterval  = 2 * time.Minute
	snapshotsRetained        = 2
	boltOpenTimeout          = 5 * time.Second // a data dir locked by another process fails instead of hanging
	raftLogLevel             = hclog.Warn
)

// Store is a node's member of the raft cluster: the log, the FSM and its published state.
type Store struct {
	raft   *raft.Raft
	fsm    *fsm
	logs   *raftboltdb.BoltStore
	trans  *raft.NetworkTransport
	logger *slog.Logger

	readyTerm atomic.Uint64 // term in which this node, as leader, passed a barrier (0: none yet)
	hadState  bool          // the data dir held raft state (log, term or snapshot) when the store opened
	done      chan struct{}
	wg        sync.WaitGroup
	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

// Open starts the raft store in cfg.DataDir, bootstrapping a single-voter cluster if cfg.Bootstrap is set and the
// data dir holds no raft state yet. A restart restores the latest snapshot at once; later entries are applied once
// a leader is known. The store owns cfg.StreamLayer: it closes it on Close, and when Open fails.
func Open(cfg Config) (*Store, error) {
	if cfg.ID == "" || cfg.DataDir == "" || (cfg.RaftAddr == "" && cfg.StreamLayer == nil) {
		return nil, errors.Join(errors.New("opening raft store: id, data dir and raft address are required"),
			closeStream(cfg.StreamLayer))
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("component", "raft")
	s := &Store{fsm: newFSM(logger), logger: logger, done: make(chan struct{})}
	if err := s.open(cfg); err != nil {
		errs := []error{fmt.Errorf("opening raft store: %w", err), s.Close()}
		if s.trans == nil { // the transport closes the stream layer; without one, close it here
			errs = append(errs, closeStream(cfg.StreamLayer))
		}
		return nil, errors.Join(errs...)
	}
	s.wg.Add(1)
	go s.watchLeadership()
	return s, nil
}

func (s *Store) open(cfg Config) error {
	dir := filepath.Join(cfg.DataDir, "raft")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating data dir: %w", err)
	}
	hl := newHclog(s.logger, raftLogLevel)
	var err error
	s.logs, err = raftboltdb.New(raftboltdb.Options{
		Path:        filepath.Join(dir, "raft.db"),
		BoltOptions: &bbolt.Options{Timeout: boltOpenTimeout},
	})
	if err != nil {
		return fmt.Errorf("opening log store: %w", err)
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, snapshotsRetained, hl.Named("snapshot"))
	if err != nil {
		return fmt.Errorf("opening snapshot store: %w", err)
	}
	peers := newPeerAddrs(cfg.PeerAddrs)
	if s.trans, err = newTransport(cfg, peers, hl.Named("transport")); err != nil {
		return err
	}
	hasState, err := raft.HasExistingState(s.logs, s.logs, snaps)
	s.hadState = hasState
	if err != nil {
		return fmt.Errorf("checking for raft state: %w", err)
	}
	if s.raft, err = raft.NewRaft(raftConfig(cfg, hl), s.fsm, s.logs, s.logs, snaps, s.trans); err != nil {
		return fmt.Errorf("starting raft: %w", err)
	}
	if peers != nil {
		peers.raft.Store(s.raft)
	}
	if cfg.Bootstrap && !hasState {
		return s.bootstrap(raft.ServerID(cfg.ID))
	}
	return nil
}

// bootstrap makes this node the single voter of a new cluster. Bootstrapping is done once, never on a restart.
func (s *Store) bootstrap(id raft.ServerID) error {
	conf := raft.Configuration{Servers: []raft.Server{{Suffrage: raft.Voter, ID: id, Address: s.trans.LocalAddr()}}}
	if err := s.raft.BootstrapCluster(conf).Error(); err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
		return fmt.Errorf("bootstrapping cluster: %w", err)
	}
	return nil
}

// raftConfig is hashicorp/raft's configuration: timeouts for loopback on 2 shared cores, cfg's tuning or defaults.
func raftConfig(cfg Config, logger hclog.Logger) *raft.Config {
	c := raft.DefaultConfig()
	c.LocalID = raft.ServerID(cfg.ID)
	c.HeartbeatTimeout = cmp.Or(cfg.timeouts.heartbeat, defaultTimeouts.heartbeat)
	c.ElectionTimeout = cmp.Or(cfg.timeouts.election, defaultTimeouts.election)
	c.LeaderLeaseTimeout = cmp.Or(cfg.timeouts.leaderLease, defaultTimeouts.leaderLease)
	// Followers learn that an entry is committed only from the leader's next AppendEntries: on the next write or
	// after CommitTimeout (randomised up to twice that). It bounds how long a deploy takes to be served on every
	// node: ~17 ms instead of ~80 ms at 50 ms, for about 70 small RPCs a second per idle follower (RATIONALE.md).
	c.CommitTimeout = 10 * time.Millisecond
	c.SnapshotThreshold = cmp.Or(cfg.SnapshotThreshold, defaultSnapshotThreshold)
	c.TrailingLogs = cmp.Or(cfg.TrailingLogs, defaultTrailingLogs)
	c.SnapshotInterval = cmp.Or(cfg.SnapshotInterval, defaultSnapshotInterval)
	c.Logger = logger
	return c
}

// Close stops raft, then closes the log store and the transport. It is idempotent; later calls return the first
// call's result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		close(s.done)
		var errs []error
		if s.raft != nil {
			errs = append(errs, s.raft.Shutdown().Error())
		}
		s.wg.Wait()
		if s.logs != nil {
			errs = append(errs, s.logs.Close())
		}
		if s.trans != nil {
			errs = append(errs, s.trans.Close())
		}
		if err := errors.Join(errs...); err != nil {
			s.closeErr = fmt.Errorf("closing raft store: %w", err)
		}
	})
	return s.closeErr
}

// State returns the latest published state (never nil). It and everything reachable from it are immutable.
func (s *Store) State() *state.State { return s.fsm.state() }

// AppliedIndex is the index of the last log entry applied to the local FSM (raft's own no-op and configuration
// entries are not passed to the FSM and do not count).
func (s *Store) AppliedIndex() uint64 { return s.fsm.applied.Load() }

// Watch returns a channel that receives, without blocking and coalesced (capacity 1), after every newly published
// state, including one restored from a snapshot; and the func that stops the watch.
func (s *Store) Watch() (<-chan struct{}, func()) { return s.fsm.watchers.add() }

// closeStream closes a stream layer Open was given but could not hand to a transport.
func closeStream(sl raft.StreamLayer) error {
	if sl == nil {
		return nil
	}
	if err := sl.Close(); err != nil {
		return fmt.Errorf("closing raft stream layer: %w", err)
	}
	return nil
}

// Addr is the address the transport listens on and advertises (the resolved port if RaftAddr asked for port 0).
func (s *Store) Addr() string { return string(s.trans.LocalAddr()) }

// Snapshot forces a snapshot now. Having nothing new to snapshot is not an error.
func (s *Store) Snapshot() error {
	if err := s.raft.Snapshot().Error(); err != nil && !errors.Is(err, raft.ErrNothingNewToSnapshot) {
		return fmt.Errorf("taking raft snapshot: %w", err)
	}
	return nil
}

// HadState reports whether the data dir held raft state when the store opened: false for a node that has never been
// part of a cluster (it needs bootstrapping or joining), true for a restart.
func (s *Store) HadState() bool { return s.hadState }
