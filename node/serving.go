package node

import (
	"context"
	"time"

	"portico/node/gateway"
	"portico/raftstore"
)

// servedWait bounds how long an admin write waits for the local gateway to serve what it applied.
const servedWait = 5 * time.Second

// servingStore is the store as the admin API sees it: a write returns once this node's gateway serves the state that
// includes it, so a client that deploys and then calls the same node sees the new revision.
type servingStore struct {
	*raftstore.Store
	gw *gateway.Gateway
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
