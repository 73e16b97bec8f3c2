package admin

import (
	"net/http"

	"portico/node/httperr"
)

// healthz answers once the node serves HTTP, naming the node so that a probe knows whom it reached.
func (a *Admin) healthz(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "id": a.nodeID})
}

// readyz answers 200 once a leader is known and the node has applied the latest committed index it knows of. It
// writes its 503 itself: a node that is not ready is a normal state, not an error to log.
func (a *Admin) readyz(w http.ResponseWriter, r *http.Request) error {
	if a.store.Ready() {
		return writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	}
	msg := "not ready: catching up with the log"
	if a.store.LeaderID() == "" {
		msg = "not ready: no leader known"
	}
	httperr.Write(w, requestIDFrom(r.Context()), httperr.New(http.StatusServiceUnavailable, msg))
	return nil
}

// statusView is the node's view of the cluster.
type statusView struct {
	ID           string `json:"id"`
	Leader       string `json:"leader"`
	IsLeader     bool   `json:"isLeader"`
	AppliedIndex uint64 `json:"appliedIndex"`
}

// status reports this node's ID, the leader it knows and its applied index.
func (a *Admin) status(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, statusView{
		ID: a.nodeID, Leader: a.store.LeaderID(), IsLeader: a.store.IsLeader(), AppliedIndex: a.store.AppliedIndex(),
	})
}
