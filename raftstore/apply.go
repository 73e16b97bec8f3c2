package raftstore

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/raft"
)

// defaultEnqueueTimeout bounds the wait for raft to accept an entry when ctx has no deadline.
const defaultEnqueueTimeout = 10 * time.Second

// Apply proposes cmd with the idempotency key requestID (required) on the leader and waits until the local FSM has
// applied it. It returns the command's result (the *Result type named after the command, DeleteResult for deletes,
// UpdateResult for SetPassword, ShareApp and SetSubscriptionStatus, RevokeResult for RevokeTokens), or an error:
//   - ErrNotLeader: this node is not the leader, nothing was applied;
//   - *ApplyError: the command was refused (by the FSM, deterministically, or before proposing), nothing was applied;
//   - an error wrapping ErrUnknownOutcome: leadership lost, enqueue timeout, ctx done while waiting, or shutdown;
//     the command may have been applied, and retrying with the same requestID is safe.
//
// A requestID already applied returns the first application's result again without applying twice.
func (s *Store) Apply(ctx context.Context, requestID string, cmd Command) (any, error) {
	data, err := encodeEntry(requestID, cmd)
	if err != nil {
		return nil, err
	}
	if s.closed.Load() {
		return nil, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("applying %s: %w", cmd.Kind(), err)
	}
	f := s.raft.Apply(data, enqueueTimeout(ctx))
	if err := waitFuture(ctx, f); err != nil {
		return nil, applyFailure(cmd.Kind(), err)
	}
	resp := f.Response()
	if err, ok := resp.(error); ok {
		return nil, err
	}
	return resp, nil
}

func enqueueTimeout(ctx context.Context) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		return max(time.Until(dl), time.Millisecond)
	}
	return defaultEnqueueTimeout
}

// waitFuture waits for f or for ctx. The goroutine ends when raft resolves f, which it does on apply, on losing
// leadership and on shutdown.
func waitFuture(ctx context.Context, f raft.Future) error {
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// applyFailure maps raft's errors: a rejection before enqueueing on a non-leader is ErrNotLeader, anything else may
// or may not have been applied.
func applyFailure(kind string, err error) error {
	return futureFailure("applying "+kind, err)
}
