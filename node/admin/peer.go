package admin

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"portico/raftstore"
	"portico/raftstore/state"
)

// maxServedWait bounds one /internal/v1/served wait.
const maxServedWait = 30 * time.Second

// PeerHandler is the handler of the inter-node link (served only over mutual TLS between members): the internal
// endpoints other members call, and /v1 writes forwarded by a follower, which are served like the admin API's own
// (the caller's admin token is checked here again) but never forwarded a second time.
func (a *Admin) PeerHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /internal/v1/read-index", a.internal(a.peerReadIndex))
	mux.HandleFunc("GET /internal/v1/status", a.internal(a.peerStatus))
	mux.HandleFunc("GET /internal/v1/served", a.internal(a.peerServed))
	mux.HandleFunc("POST /internal/v1/register", a.internal(a.peerRegister))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v1/") {
			a.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), forwardedKey{}, true)))
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// internal adapts an endpoint of the inter-node link, rendering its error.
func (a *Admin) internal(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := requestID(r)
		w.Header().Set("X-Request-Id", id)
		r = r.WithContext(withRequestID(r.Context(), id))
		if err := h(w, r); err != nil {
			a.fail(w, r, err)
		}
	}
}

// peerReadIndex is the leader's half of a follower's linearizable read.
func (a *Admin) peerReadIndex(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), readWait)
	defer cancel()
	idx, err := a.store.ReadIndex(ctx)
	if errors.Is(err, raftstore.ErrNotLeader) {
		return a.notLeader("this node is not the leader")
	}
	if err != nil {
		return a.noQuorum(err)
	}
	return writeJSON(w, http.StatusOK, map[string]uint64{"index": idx})
}

// memberStatus is one member's own report of itself.
type memberStatus struct {
	ID           string `json:"id"`
	State        string `json:"state"`
	Leader       string `json:"leader"`
	Term         uint64 `json:"term"`
	AppliedIndex uint64 `json:"appliedIndex"`
	ServedIndex  uint64 `json:"servedIndex"`
}

func (a *Admin) selfStatus() memberStatus {
	return memberStatus{
		ID: a.nodeID, State: a.store.RaftState(), Leader: a.store.LeaderID(), Term: a.store.Term(),
		AppliedIndex: a.store.AppliedIndex(), ServedIndex: a.served(),
	}
}

func (a *Admin) peerStatus(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, a.selfStatus())
}

// peerServed answers once this node's gateway serves ?index= (or after ?timeoutMs=, with ok false).
func (a *Admin) peerServed(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	idx, err := queryUint(q, "index", 0)
	if err != nil {
		return err
	}
	ms, err := queryUint(q, "timeoutMs", 5000)
	if err != nil {
		return err
	}
	wait := time.Duration(min(ms, uint64(maxServedWait.Milliseconds()))) * time.Millisecond
	ok := a.waitServed(r.Context(), idx, wait)
	return writeJSON(w, http.StatusOK, map[string]any{"id": a.nodeID, "servedIndex": a.served(), "ok": ok})
}

// waitServed polls this node's served index until it reaches idx, wait passes or ctx is done.
func (a *Admin) waitServed(ctx context.Context, idx uint64, wait time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	for a.served() < idx {
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
	}
	return true
}

// peerRegister records a member's addresses in the node registry (a member announces itself after it starts).
func (a *Admin) peerRegister(w http.ResponseWriter, r *http.Request) error {
	var n state.Node
	if err := decodeJSON(r, &n); err != nil {
		return err
	}
	if err := checkNode(n); err != nil {
		return err
	}
	if !a.store.IsLeader() {
		return a.notLeader("this node is not the leader")
	}
	n.UpdatedAt = a.now().UnixMilli()
	if _, err := a.apply(r, raftstore.RegisterNode{Node: n}); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"id": n.ID, "registered": true})
}
