package raftstore

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// raftBarrier appends a barrier entry on the leader: afterwards the last log entry is not a command.
func raftBarrier(t *testing.T, s *Store) {
	t.Helper()
	if err := s.raft.Barrier(testWait).Error(); err != nil {
		t.Fatalf("barrier: %v", err)
	}
}

func TestReadIndexWhenTheLastEntryIsNotACommand(t *testing.T) {
	stores := newCluster(t, 2, nil) // the last entry is node2's configuration change
	leader, follower := stores[0], stores[1]
	mustApply(t, leader, "r1", testApp("app1", "shop"))
	raftBarrier(t, leader)

	idx, err := leader.ReadIndex(ctxWait(t, testWait))
	if err != nil {
		t.Fatalf("read index: %v", err)
	}
	if applied := leader.AppliedIndex(); idx <= applied {
		t.Fatalf("got read index %d, want it past the last command %d (a barrier follows)", idx, applied)
	}
	for _, s := range stores {
		if err := s.WaitApplied(ctxWait(t, testWait), idx); err != nil {
			t.Errorf("%s: got %v waiting for %d (last command at %d), want nil", s.Addr(), err, idx, s.AppliedIndex())
		}
	}
	if follower.State().Apps["app1"] == nil {
		t.Errorf("got a follower state without app1 after WaitApplied(%d), want it", idx)
	}
	if !leader.Ready() || !follower.Ready() {
		t.Errorf("got ready %v %v, want both ready", leader.Ready(), follower.Ready())
	}
}

func TestReadIndexSeesEveryAckedWrite(t *testing.T) {
	stores := newCluster(t, 3, nil)
	for i := range 5 {
		mustApply(t, stores[0], fmt.Sprintf("w%d", i), testApp(fmt.Sprintf("a%d", i), fmt.Sprintf("n%d", i)))
		idx, err := stores[0].ReadIndex(ctxWait(t, testWait))
		if err != nil {
			t.Fatalf("read index: %v", err)
		}
		for _, s := range stores[1:] {
			if err := s.WaitApplied(ctxWait(t, testWait), idx); err != nil {
				t.Fatalf("wait applied: %v", err)
			}
			if got := len(s.State().Apps); got != i+1 {
				t.Errorf("got %d apps on a follower after WaitApplied(%d), want %d", got, idx, i+1)
			}
		}
	}
}

func TestReadIndexRefusals(t *testing.T) {
	stores := newCluster(t, 2, nil)
	leader, follower := stores[0], stores[1]
	if _, err := follower.ReadIndex(ctxWait(t, testWait)); !errors.Is(err, ErrNotLeader) {
		t.Errorf("got %v from a follower, want ErrNotLeader", err)
	}
	future := leader.raft.LastIndex() + 100
	if err := leader.WaitApplied(ctxWait(t, 100*time.Millisecond), future); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v waiting for index %d that does not exist, want deadline exceeded", err, future)
	}
	if err := follower.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := follower.WaitApplied(ctxWait(t, testWait), 1); !errors.Is(err, ErrClosed) {
		t.Errorf("got %v on a closed store, want ErrClosed", err)
	}
	// With its only peer gone, the leader cannot confirm its leadership.
	_, err := leader.ReadIndex(ctxWait(t, testWait))
	if !errors.Is(err, ErrNotLeader) {
		t.Errorf("got %v from a leader without quorum, want ErrNotLeader", err)
	}
}

// TestCaughtUpCountsOnlyCommands drives caughtUp with the FSM's counter held back, as if the FSM goroutine had not
// finished the last command yet.
func TestCaughtUpCountsOnlyCommands(t *testing.T) {
	s := openStore(t, testConfig(t, t.TempDir(), true))
	waitReadyLeader(t, s)
	mustApply(t, s, "r1", testApp("app1", "shop"))
	before := s.AppliedIndex()
	mustApply(t, s, "r2", testApp("app2", "blog"))
	last := s.AppliedIndex()
	raftBarrier(t, s)
	idx := s.raft.LastIndex()

	// raft records its applied index just after handing entries to the FSM goroutine, which may answer the barrier
	// first.
	waitFor(t, fmt.Sprintf("caught up at the barrier %d after the last command %d", idx, last), func() bool {
		return s.caughtUp(idx)
	})
	s.fsm.applied.Store(before) // the command at `last` now looks pending
	if s.caughtUp(idx) {
		t.Errorf("got caught up at %d with the command at %d pending, want not", idx, last)
	}
	if !s.caughtUp(before) {
		t.Errorf("got not caught up at %d, want caught up", before)
	}
	if err := s.Snapshot(); err != nil { // a snapshot at idx covers the command
		t.Fatalf("snapshot: %v", err)
	}
	if !s.caughtUp(idx) {
		t.Errorf("got not caught up at %d after a snapshot covering it, want caught up", idx)
	}
}
