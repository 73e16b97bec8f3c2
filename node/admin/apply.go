package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"portico/node/httperr"
	"portico/raftstore"
)

// maxIdempotencyKey bounds the Idempotency-Key header.
const maxIdempotencyKey = 128

// idempotencyKey returns the request's Idempotency-Key header, or a random key when it has none.
func idempotencyKey(r *http.Request) (string, error) {
	k := r.Header.Get("Idempotency-Key")
	if k == "" {
		return "idem-" + randomHex(16), nil
	}
	if !validToken(k, maxIdempotencyKey) {
		return "", httperr.New(http.StatusBadRequest,
			fmt.Sprintf("Idempotency-Key: must be 1 to %d characters of [A-Za-z0-9._-]", maxIdempotencyKey))
	}
	return k, nil
}

// requestKey is the request ID of the request's writes: its idempotency key, scoped to the caller's user so that one
// user can never replay the result of another's write.
func requestKey(r *http.Request) (string, error) {
	key, err := idempotencyKey(r)
	if err != nil {
		return "", err
	}
	if c := callerFrom(r); c.User != "" {
		key = "user:" + c.User + ":" + key
	}
	return key, nil
}

// apply proposes cmd with the request's idempotency key and maps the store's errors to wire errors.
func (a *Admin) apply(r *http.Request, cmd raftstore.Command) (any, error) {
	key, err := requestKey(r)
	if err != nil {
		return nil, err
	}
	return a.applyAs(r, key, cmd)
}

// applyAs proposes cmd with the request ID key.
func (a *Admin) applyAs(r *http.Request, key string, cmd raftstore.Command) (any, error) {
	res, err := a.store.Apply(r.Context(), key, cmd)
	if err != nil {
		return nil, a.applyError(err)
	}
	return res, nil
}

// applyError maps an Apply error: not the leader, a closed store and an unknown outcome are 503, a refusal by the
// state machine is a client error, anything else is internal.
func (a *Admin) applyError(err error) error {
	var ae *raftstore.ApplyError
	switch {
	case errors.Is(err, raftstore.ErrNotLeader):
		return httperr.Wrap(http.StatusServiceUnavailable, a.notLeaderMessage(), err)
	case errors.As(err, &ae) && applyStatus(ae.Code) != 0:
		return httperr.Wrap(applyStatus(ae.Code), ae.Message, err)
	case errors.Is(err, raftstore.ErrUnknownOutcome), errors.Is(err, context.Canceled),
		errors.Is(err, context.DeadlineExceeded):
		e := httperr.Wrap(http.StatusServiceUnavailable, "no quorum: a majority of nodes did not confirm the write "+
			"in time or leadership changed, so its outcome is unknown: it is safe to retry with the same "+
			"Idempotency-Key", err)
		e.Header = http.Header{"Retry-After": {"1"}}
		return e
	case errors.Is(err, raftstore.ErrClosed):
		return httperr.Wrap(http.StatusServiceUnavailable, "the node is shutting down: nothing was applied", err)
	}
	return httperr.Wrap(http.StatusInternalServerError, "internal error", err)
}

func (a *Admin) notLeaderMessage() string {
	if id := a.store.LeaderID(); id != "" {
		return fmt.Sprintf("not the leader (leader: %s)", id)
	}
	return "not the leader (leader: none known)"
}

// applyStatus maps an ApplyError code to an HTTP status, 0 for an unknown code.
func applyStatus(code string) int {
	switch code {
	case "conflict":
		return http.StatusConflict
	case "not_found":
		return http.StatusNotFound
	case "invalid":
		return http.StatusBadRequest
	}
	return 0
}

// result converts the state machine's result to T, accepting T or *T.
func result[T any](res any) (T, error) {
	switch v := res.(type) {
	case T:
		return v, nil
	case *T:
		if v != nil {
			return *v, nil
		}
	}
	var zero T
	return zero, httperr.Wrap(http.StatusInternalServerError, "internal error",
		fmt.Errorf("unexpected apply result %T, want %T", res, zero))
}
