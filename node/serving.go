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
	want := s.Store.State().Index
	deadline := time.Now().Add(servedWait)
	for s.gw.ServedIndex() < want && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(time.Millisecond)
	}
	return res, nil
}
