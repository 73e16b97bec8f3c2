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
	if s.IsLeader() && !s.leaderCaughtUp() {
		return false
	}
	return s.caughtUp(s.raft.CommitIndex())
}

// leaderCaughtUp reports whether this node has passed a barrier in the current term: its commit index then covers
// everything any earlier leader committed.
func (s *Store) leaderCaughtUp() bool {
	term := s.readyTerm.Load()
	return term != 0 && term == s.raft.CurrentTerm()
}

// watchLeadership runs a barrier each time this node becomes leader and records the term in which it passed it.
func (s *Store) watchLeadership() {
	defer s.wg.Done()
	for {
		select {
		case <-s.done:
			return
		case leader := <-s.raft.LeaderCh():
			s.readyTerm.Store(0)
			if !leader {
				continue
			}
			// The term is read before the barrier is proposed, so the barrier's entry has this term or a later one;
			// leaderCaughtUp compares it with the current term, so a later one only makes it wait for the next barrier.
			if term := s.raft.CurrentTerm(); s.barrier() {
				s.readyTerm.Store(term)
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
