package node

import (
	"context"
	"time"

	"portico/node/gateway"
	"portico/raftstore"
	"portico/raftstore/state"
)

// servedWait bounds how long an admin write waits for the local gateway to serve what it applied.
const servedWait = 5 * time.Second

// servingStore is the store as the admin API sees it: a write returns once this node's gateway serves the state that
// includes it, so a client that deploys and then calls the same node sees the new revision.
type servingStore struct {
	*raftstore.Store
	gw     *gateway.Gateway
	served func() *state.State // the state the gateway serves
}

// State is the newer of the store's applied state and the state the gateway serves, so that admin tokens and stale
// reads work from the newest state this node knows. The two differ after a crash: raft restores its last snapshot and
// applies the rest of its log only once a leader tells it what is committed, while the gateway already serves the
// copy it saved before the crash. Without a quorum that can last, and the operator's token would be refused.
func (s servingStore) State() *state.State {
	st := s.Store.State()
	if served := s.served(); served != nil && served.Index > st.Index {
		return served
	}
	return st
}

func (s servingStore) Apply(ctx context.Context, requestID string, cmd raftstore.Command) (any, error) {
	res, err := s.Store.Apply(ctx, requestID, cmd)
	if err != nil {
		return res, err
	}
	// A write the gateway is slow to serve is still committed: it is answered after servedWait all the same.
	waitServed(ctx, s.gw, s.Store.State().Index)
	return res, nil
}

// waitServed waits until gw serves the state index (or a later one), at most servedWait or until ctx ends, and
// reports whether it does.
func waitServed(ctx context.Context, gw *gateway.Gateway, index uint64) bool {
	deadline := time.Now().Add(servedWait)
	for gw.ServedIndex() < index {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(time.Millisecond)
	}
	return true
}
