package raftstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// testWait bounds every wait in this package's tests: several testTimeouts elections fit in it.
const testWait = 20 * time.Second

// testTimeouts keep leadership where tests expect it: a leader keeps its lease through a 1 s stall of the test
// process on a loaded machine (4x the production 250 ms). Every store of a test runs in this process, so a stall
// that outlasts the lease deposes the leader whatever the heartbeat timeout; a longer one would only slow every
// bootstrap, which elects after 1-2 heartbeat timeouts. Pre-vote keeps one late follower from deposing the leader.
var testTimeouts = raftTimeouts{heartbeat: time.Second, election: time.Second, leaderLease: time.Second}

func testConfig(t *testing.T, dir string, bootstrap bool) Config {
	return Config{
		ID:        "node1",
		DataDir:   dir,
		RaftAddr:  "127.0.0.1:0",
		Bootstrap: bootstrap,
		Logger:    slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
		timeouts:  testTimeouts,
	}
}

// testWriter sends log output to t.Log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

func openStore(t *testing.T, cfg Config) *Store {
	t.Helper()
	s, err := Open(cfg)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func waitReadyLeader(t *testing.T, s *Store) {
	t.Helper()
	waitFor(t, "leader and ready", func() bool { return s.IsLeader() && s.Ready() })
}

func mustApply(t *testing.T, s *Store, requestID string, cmd Command) any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	res, err := s.Apply(ctx, requestID, cmd)
	if err != nil {
		t.Fatalf("apply %s: %v", cmd.Kind(), err)
	}
	return res
}

func TestStoreRestartKeepsStateAndNeverRebootstraps(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, testConfig(t, dir, true))
	if s.HadState() {
		t.Errorf("got HadState true on a fresh data dir, want false")
	}
	waitReadyLeader(t, s)
	if s.LeaderID() != "node1" {
		t.Errorf("got leader %q, want node1", s.LeaderID())
	}
	res := mustApply(t, s, "r1", testApp("app1", "shop"))
	if got := res.(CreateAppResult).App; got != s.State().Apps["app1"] {
		t.Fatalf("got %+v, want the stored app", got)
	}
	want := stateJSON(t, s.State())
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("got %v from a second close, want nil", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "raft", "raft.db")); err != nil {
		t.Errorf("got %v, want the bolt store in DataDir/raft", err)
	}

	for i, bootstrap := range []bool{false, true} {
		s = openStore(t, testConfig(t, dir, bootstrap))
		if !s.HadState() {
			t.Errorf("got HadState false after a restart, want true")
		}
		waitReadyLeader(t, s)
		waitFor(t, "state restored", func() bool { return s.State().Apps["app1"] != nil })
		if i == 0 && stateJSON(t, s.State()) != want {
			t.Errorf("got state %s after restart, want %s", stateJSON(t, s.State()), want)
		}
		if res := mustApply(t, s, "r1", testApp("app9", "shop")); res.(CreateAppResult).App.ID != "app1" {
			t.Errorf("got %+v for a retried request after restart, want app1", res)
		}
		mustApply(t, s, fmt.Sprintf("delete-%d", i), &DeleteApp{ID: "app1"})
		mustApply(t, s, fmt.Sprintf("create-%d", i), testApp("app1", "shop"))
		if err := s.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}
	}
}

func TestStoreSnapshotAndRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir, true)
	cfg.SnapshotThreshold, cfg.TrailingLogs = 4, 2
	s := openStore(t, cfg)
	waitReadyLeader(t, s)
	mustApply(t, s, "r0", testApp("first", "first"))
	firstIndex := s.State().Index
	for i, c := range []Command{&PutAPI{API: testAPI(t, nil)}, testApp("app1", "shop"),
		testKey("k1", "app1", testSub("s1", "app1")), testApp("app2", "blog"), testApp("app3", "wiki")} {
		mustApply(t, s, fmt.Sprintf("r%d", i+1), c)
	}
	if err := s.Snapshot(); err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	if first, err := s.logs.FirstIndex(); err != nil || first <= firstIndex {
		t.Fatalf("got first log index %d (%v), want the log compacted past %d", first, err, firstIndex)
	}
	mustApply(t, s, "r-last", &DeleteKey{ID: "k1"})
	want := stateJSON(t, s.State())
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	snaps, _ := filepath.Glob(filepath.Join(dir, "raft", "snapshots", "*", "state.bin"))
	if len(snaps) == 0 {
		t.Fatalf("got no snapshot files, want at least one")
	}

	s = openStore(t, cfg)
	if s.State().Apps["first"] == nil { // restored from the snapshot on open: its log entry is gone
		t.Errorf("got state without the compacted app after reopen, want it restored from the snapshot")
	}
	waitReadyLeader(t, s)
	waitFor(t, "all entries applied", func() bool { return s.State().Keys["k1"] == nil })
	if got := stateJSON(t, s.State()); got != want {
		t.Errorf("got state after restart\n%s\nwant\n%s", got, want)
	}
}

func TestStoreWatchFiresAfterApply(t *testing.T) {
	s := openStore(t, testConfig(t, t.TempDir(), true))
	waitReadyLeader(t, s)
	w1, cancel1 := s.Watch()
	w2, cancel2 := s.Watch()
	defer cancel2()
	mustApply(t, s, "r1", testApp("app1", "shop"))
	for i, w := range []<-chan struct{}{w1, w2} {
		select {
		case <-w:
		case <-time.After(testWait):
			t.Fatalf("watcher %d: got no notification, want one", i)
		}
	}
	cancel1()
	cancel1()
	mustApply(t, s, "r2", testApp("app2", "blog"))
	select {
	case <-w1:
		t.Errorf("got a notification after cancel, want none")
	default:
	}
	select {
	case <-w2:
	default:
		t.Errorf("got no notification on the remaining watcher, want one")
	}
}

func TestStoreApplyErrors(t *testing.T) {
	leader := openStore(t, testConfig(t, t.TempDir(), true))
	waitReadyLeader(t, leader)
	mustApply(t, leader, "r1", testApp("app1", "shop"))
	follower := openStore(t, testConfig(t, t.TempDir(), false)) // no cluster: never elects itself
	closed := openStore(t, testConfig(t, t.TempDir(), false))
	if err := closed.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()

	tests := []struct {
		name      string
		store     *Store
		ctx       context.Context
		requestID string
		cmd       Command
		check     func(error) bool
	}{
		{"not leader", follower, context.Background(), "r2", testApp("a", "b"), func(err error) bool { return errors.Is(err, ErrNotLeader) }},
		{"refused by the fsm", leader, context.Background(), "r2", testApp("app2", "shop"), func(err error) bool { return applyCode(err) == CodeConflict }},
		{"no request id", leader, context.Background(), "", testApp("a", "b"), func(err error) bool { return applyCode(err) == CodeInvalid }},
		{"closed", closed, context.Background(), "r2", testApp("a", "b"), func(err error) bool { return errors.Is(err, ErrClosed) }},
		{"cancelled before proposing", leader, cancelled, "r3", testApp("a", "b"), func(err error) bool {
			return errors.Is(err, context.Canceled) && !errors.Is(err, ErrUnknownOutcome)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.store.State()
			res, err := tt.store.Apply(tt.ctx, tt.requestID, tt.cmd)
			if !tt.check(err) || res != nil {
				t.Errorf("got %v, %v; want the expected error and no result", res, err)
			}
			if tt.store.State() != before {
				t.Errorf("got a new state, want none")
			}
		})
	}
	if follower.Ready() || closed.Ready() {
		t.Errorf("got Ready on a store without leader, want false")
	}
	ctx, cancelWait := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancelWait()
	if err := follower.WaitLeader(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v waiting for a leader that never comes, want deadline exceeded", err)
	}
}

func TestApplyFailureMapping(t *testing.T) {
	tests := []struct {
		name        string
		err         error
		wantLeader  bool
		wantUnknown bool
	}{
		{"not leader", raft.ErrNotLeader, true, false},
		{"leadership lost", raft.ErrLeadershipLost, false, true},
		{"enqueue timeout", raft.ErrEnqueueTimeout, false, true},
		{"shutdown", raft.ErrRaftShutdown, false, true},
		{"wait cancelled", context.DeadlineExceeded, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := applyFailure("app.create", tt.err)
			if errors.Is(err, ErrNotLeader) != tt.wantLeader || errors.Is(err, ErrUnknownOutcome) != tt.wantUnknown {
				t.Errorf("got %v, want not-leader %v unknown-outcome %v", err, tt.wantLeader, tt.wantUnknown)
			}
			if tt.wantUnknown && !errors.Is(err, tt.err) {
				t.Errorf("got %v, want the cause %v kept", err, tt.err)
			}
		})
	}
}

func TestOpenRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
	}{
		{"no id", func(c *Config) { c.ID = "" }},
		{"no data dir", func(c *Config) { c.DataDir = "" }},
		{"unadvertisable address", func(c *Config) { c.RaftAddr = "0.0.0.0:0" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t, t.TempDir(), true)
			tt.edit(&cfg)
			if s, err := Open(cfg); err == nil {
				_ = s.Close()
				t.Errorf("got a store, want an error")
			}
		})
	}
}
