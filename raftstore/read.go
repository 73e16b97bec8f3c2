package raftstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hashicorp/raft"
)

// appliedPoll is how often WaitApplied and ReadIndex re-check their condition between state notifications.
const appliedPoll = 5 * time.Millisecond

// ReadIndex is the leader half of a linearizable read: it waits (bounded by ctx) until this leader has passed its
// term's barrier, takes idx := CommitIndex, confirms leadership with VerifyLeader, and returns idx. A read of the
// state after WaitApplied(idx), on any node, sees every write committed before ReadIndex was called.
// ErrNotLeader on a follower or if leadership is lost.
func (s *Store) ReadIndex(ctx context.Context) (uint64, error) {
	err := s.poll(ctx, "waiting for the leader barrier", func() (bool, error) {
		if !s.IsLeader() {
			return false, fmt.Errorf("reading index: %w", ErrNotLeader)
		}
		return s.leaderCaughtUp(), nil
	})
	if err != nil {
		return 0, err
	}
	idx := s.raft.CommitIndex()
	if err := waitFuture(ctx, s.raft.VerifyLeader()); err != nil {
		return 0, verifyFailure(err)
	}
	return idx, nil
}

// verifyFailure maps VerifyLeader's errors: losing or not having leadership is ErrNotLeader.
func verifyFailure(err error) error {
	switch {
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipLost):
		return fmt.Errorf("verifying leadership: %w", ErrNotLeader)
	case errors.Is(err, raft.ErrRaftShutdown):
		return fmt.Errorf("verifying leadership: %w", ErrClosed)
	default:
		return fmt.Errorf("verifying leadership: %w", err)
	}
}

// WaitApplied waits (bounded by ctx) until every entry up to idx has been applied to the local FSM.
func (s *Store) WaitApplied(ctx context.Context, idx uint64) error {
	return s.poll(ctx, fmt.Sprintf("waiting for index %d to be applied", idx), func() (bool, error) {
		return s.caughtUp(idx), nil
	})
}

// poll evaluates cond until it holds or fails, waking on every published state and every appliedPoll, bounded by
// ctx and by the store's closing.
func (s *Store) poll(ctx context.Context, what string, cond func() (bool, error)) error {
	watch, stop := s.Watch()
	defer stop()
	t := time.NewTicker(appliedPoll)
	defer t.Stop()
	for {
		if s.closed.Load() {
			return ErrClosed
		}
		if ok, err := cond(); ok || err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", what, ctx.Err())
		case <-s.done:
			return ErrClosed
		case <-watch:
		case <-t.C:
		}
	}
}

// caughtUp reports whether the local FSM has applied every entry up to idx. raft's AppliedIndex only says the
// entries were handed to the FSM goroutine, and the FSM never sees raft's own entries (no-op, barrier,
// configuration), so its own counter may stay below idx for good: idx is reached when raft has dispatched it and no
// command lies between the FSM's last applied entry and idx. Entries covered by the latest snapshot (taken from this
// FSM, installed or restored) and entries missing from the log (compacted into that snapshot) count as applied.
func (s *Store) caughtUp(idx uint64) bool {
	if s.raft.AppliedIndex() < idx {
		return false
	}
	from := s.fsm.applied.Load()
	snap := uint64(0) // read once, when the first command is found
	for i := from + 1; i <= idx; i++ {
		var l raft.Log
		err := s.logs.GetLog(i, &l)
		if errors.Is(err, raft.ErrLogNotFound) || (err == nil && l.Type != raft.LogCommand) {
			continue
		}
		if snap == 0 {
			snap = s.lastSnapshotIndex()
		}
		if i > snap {
			return false // a command not applied yet (or unreadable now: ask again later)
		}
		i = snap
	}
	return true
}

// lastSnapshotIndex is the raft index of the latest snapshot; the FSM reflects every entry up to it.
func (s *Store) lastSnapshotIndex() uint64 {
	idx, err := strconv.ParseUint(s.raft.Stats()["last_snapshot_index"], 10, 64)
	if err != nil {
		return 0
	}
	return idx
}
