package raftstore

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/raft"
)

const (
	leaderPoll      = 20 * time.Millisecond
	barrierTimeout  = 10 * time.Second
	barrierAttempts = 3
)

// IsLeader reports whether this node is the leader.
func (s *Store) IsLeader() bool { return s.raft.State() == raft.Leader }

// LeaderID is the server ID of the leader this node knows of, or "".
func (s *Store) LeaderID() string {
	_, id := s.raft.LeaderWithID()
	return string(id)
}

// WaitLeader waits until some leader is known, ctx is done or the store is closed.
func (s *Store) WaitLeader(ctx context.Context) error {
	t := time.NewTicker(leaderPoll)
	defer t.Stop()
	for s.LeaderID() == "" {
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for a raft leader: %w", ctx.Err())
		case <-s.done:
			return ErrClosed
		case <-t.C:
		}
	}
	return nil
}

// Ready reports whether a leader is known and this node has applied every entry it knows to be committed. A new
// leader is ready once it has applied everything committed before its term (a barrier).
func (s *Store) Ready() bool {
	if s.closed.Load() || s.LeaderID() == "" {
		return false
	}
	if s.IsLeader() && !s.leaderReady.Load() {
		return false
	}
	return s.raft.AppliedIndex() >= s.raft.CommitIndex()
}

// watchLeadership runs a barrier each time this node becomes leader and records when it has passed it.
func (s *Store) watchLeadership() {
	defer s.wg.Done()
	for {
		select {
		case <-s.done:
			return
		case leader := <-s.raft.LeaderCh():
			s.leaderReady.Store(false)
			if leader {
				s.leaderReady.Store(s.barrier())
			}
		}
	}
}

// barrier waits until the FSM has applied every entry before this leader's barrier, retrying a few times while
// still leader.
func (s *Store) barrier() bool {
	for range barrierAttempts {
		if s.closed.Load() || !s.IsLeader() {
			return false
		}
		err := s.raft.Barrier(barrierTimeout).Error()
		if err == nil {
			return true
		}
		if s.closed.Load() {
			return false
		}
		s.logger.Warn("leader barrier failed", "error", err)
	}
	return false
}
