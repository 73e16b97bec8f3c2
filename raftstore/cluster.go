package raftstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/raft"
)

// Member is a server in the raft configuration.
type Member struct {
	ID       string
	RaftAddr string
	Voter    bool
}

// Join adds a voter to the cluster, on the leader only (ErrNotLeader otherwise), and waits (bounded by ctx) until the
// configuration change is committed. Joining again with the same ID and address does nothing; the same ID with a new
// address replaces the address (a node that lost its data and rejoins). An address used by another member is refused
// with a conflict: remove that member first.
func (s *Store) Join(ctx context.Context, id, raftAddr string) error {
	if id == "" || raftAddr == "" {
		return invalid("joining: member id and raft address are required")
	}
	if err := s.leaderOnly(ctx, "joining "+id); err != nil {
		return err
	}
	members, err := s.Members()
	if err != nil {
		return err
	}
	for _, m := range members {
		switch {
		case m.ID == id && m.RaftAddr == raftAddr && m.Voter:
			return nil
		case m.ID != id && m.RaftAddr == raftAddr:
			return conflict("raft address %s is used by member %q; remove it first", raftAddr, m.ID)
		}
	}
	f := s.raft.AddVoter(raft.ServerID(id), raft.ServerAddress(raftAddr), 0, enqueueTimeout(ctx))
	if err := waitFuture(ctx, f); err != nil {
		return futureFailure("joining "+id, err)
	}
	s.logger.Info("member joined", "id", id, "addr", raftAddr)
	return nil
}

// Remove takes a server out of the cluster, on the leader only (ErrNotLeader otherwise), and waits (bounded by ctx)
// until the configuration change is committed. An ID that is not a member is refused with CodeNotFound. Removing the
// leader itself makes it step down once the change is committed.
func (s *Store) Remove(ctx context.Context, id string) error {
	if err := s.leaderOnly(ctx, "removing "+id); err != nil {
		return err
	}
	members, err := s.Members()
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(members, func(m Member) bool { return m.ID == id }) {
		return notFound("member %q", id)
	}
	f := s.raft.RemoveServer(raft.ServerID(id), 0, enqueueTimeout(ctx))
	if err := waitFuture(ctx, f); err != nil {
		return futureFailure("removing "+id, err)
	}
	s.logger.Info("member removed", "id", id)
	return nil
}

// leaderOnly refuses a cluster change on a closed store, a done ctx or a node that is not the leader.
func (s *Store) leaderOnly(ctx context.Context, what string) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if !s.IsLeader() {
		return fmt.Errorf("%s: %w", what, ErrNotLeader)
	}
	return nil
}

// Members is the latest raft configuration (possibly not yet committed), sorted by ID.
func (s *Store) Members() ([]Member, error) {
	f := s.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, fmt.Errorf("reading raft configuration: %w", err)
	}
	servers := f.Configuration().Servers
	out := make([]Member, 0, len(servers))
	for _, srv := range servers {
		out = append(out, Member{ID: string(srv.ID), RaftAddr: string(srv.Address), Voter: srv.Suffrage == raft.Voter})
	}
	slices.SortFunc(out, func(a, b Member) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// RaftState is this node's raft role: "leader", "follower", "candidate" or "shutdown".
func (s *Store) RaftState() string { return strings.ToLower(s.raft.State().String()) }

// Term is the current raft term.
func (s *Store) Term() uint64 { return s.raft.CurrentTerm() }

// futureFailure maps the error of a raft future: refused by a non-leader is ErrNotLeader (nothing happened); anything
// else (leadership lost, timeout, ctx done, shutdown) may or may not have taken effect.
func futureFailure(what string, err error) error {
	switch {
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipTransferInProgress):
		return fmt.Errorf("%s: %w", what, ErrNotLeader)
	default:
		return fmt.Errorf("%s: %w: %w", what, ErrUnknownOutcome, err)
	}
}
