package admin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"sync"
	"time"

	"portico/node/httperr"
	"portico/raftstore"
	"portico/raftstore/state"
)

// defaultStatusWait bounds how long cluster status waits for each member's own report.
const defaultStatusWait = time.Second

// nodeID is the form of a node ID.
var nodeID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// clusterView is the answer of GET /v1/cluster.
type clusterView struct {
	Leader string       `json:"leader"`
	Term   uint64       `json:"term"`
	Index  uint64       `json:"index"`
	Nodes  []memberView `json:"nodes"`
}

// memberView is one member as cluster status shows it: the raft configuration, the registry and its own report.
type memberView struct {
	ID           string `json:"id"`
	State        string `json:"state"`
	Voter        bool   `json:"voter"`
	AppliedIndex uint64 `json:"appliedIndex"`
	ServedIndex  uint64 `json:"servedIndex"`
	AdminAddr    string `json:"adminAddr"`
	RaftAddr     string `json:"raftAddr"`
	GatewayAddr  string `json:"gatewayAddr"`
	Healthy      bool   `json:"healthy"`
	Error        string `json:"error,omitempty"`
}

// clusterStatus reports every member: this node's raft configuration, the registry's addresses and what each
// member says of itself (asked over the inter-node link, bounded). It is answered from this node's view, also when
// there is no leader.
func (a *Admin) clusterStatus(w http.ResponseWriter, r *http.Request) error {
	members, err := a.store.Members()
	if err != nil {
		return httperr.Wrap(http.StatusServiceUnavailable, "reading the raft configuration failed", err)
	}
	st := a.store.State()
	out := clusterView{Leader: a.store.LeaderID(), Term: a.store.Term(), Index: a.store.AppliedIndex(),
		Nodes: make([]memberView, len(members))}
	var wg sync.WaitGroup
	for i, m := range members {
		v := memberView{ID: m.ID, Voter: m.Voter, RaftAddr: m.RaftAddr}
		if n, ok := st.Nodes[m.ID]; ok {
			v.AdminAddr, v.GatewayAddr = hostOf(n.AdminURL), hostOf(n.GatewayURL)
		}
		out.Nodes[i] = v
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.fillMember(r.Context(), &out.Nodes[i])
		}()
	}
	wg.Wait()
	return writeJSON(w, http.StatusOK, out)
}

// fillMember adds a member's own report. A member is healthy when it answers and knows a leader.
func (a *Admin) fillMember(ctx context.Context, v *memberView) {
	var s memberStatus
	if v.ID == a.nodeID || a.peers == nil {
		s = a.selfStatus()
	} else {
		ctx, cancel := context.WithTimeout(ctx, a.statusWait)
		defer cancel()
		if err := a.peerJSON(ctx, v.ID, "/internal/v1/status", &s); err != nil {
			v.State, v.Error = "unreachable", err.Error()
			return
		}
	}
	v.State, v.AppliedIndex, v.ServedIndex = s.State, s.AppliedIndex, s.ServedIndex
	v.Healthy = s.Leader != ""
	if !v.Healthy {
		v.Error = "no leader known"
	}
}

func hostOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return u.Host
}

// join adds a node as a voter (leader only: a follower forwards the request) and records its addresses.
func (a *Admin) join(w http.ResponseWriter, r *http.Request) error {
	var n state.Node
	if err := decodeJSON(r, &n); err != nil {
		return err
	}
	if err := checkNode(n); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	if err := a.store.Join(ctx, n.ID, n.RaftAddr); err != nil {
		return a.applyError(err)
	}
	n.UpdatedAt = a.now().UnixMilli()
	if _, err := a.apply(r, raftstore.RegisterNode{Node: n}); err != nil {
		return err
	}
	a.log.Info("node joined", "id", n.ID, "raft", n.RaftAddr)
	return writeJSON(w, http.StatusOK, map[string]any{"id": n.ID, "joined": true})
}

// removeNode removes a member from the raft configuration and the registry.
func (a *Admin) removeNode(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	members, err := a.store.Members()
	if err != nil {
		return httperr.Wrap(http.StatusServiceUnavailable, "reading the raft configuration failed", err)
	}
	if !isMember(members, id) {
		return httperr.New(http.StatusNotFound, fmt.Sprintf("node %q is not a member of the cluster", id))
	}
	if _, ok := a.store.State().Nodes[id]; ok {
		if _, err := a.apply(r, raftstore.DeregisterNode{ID: id}); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	if err := a.store.Remove(ctx, id); err != nil {
		return a.applyError(err)
	}
	a.log.Info("node removed", "id", id)
	return writeJSON(w, http.StatusOK, map[string]string{"removed": id})
}

func isMember(members []raftstore.Member, id string) bool {
	for _, m := range members {
		if m.ID == id {
			return true
		}
	}
	return false
}

// checkNode validates a node's registry entry, naming the field at fault.
func checkNode(n state.Node) error {
	var errs []error
	if !nodeID.MatchString(n.ID) {
		errs = append(errs, fmt.Errorf("id: %q must be 1 to 63 characters of [a-z0-9-]", n.ID))
	}
	if _, _, err := net.SplitHostPort(n.RaftAddr); err != nil {
		errs = append(errs, fmt.Errorf("raftAddr: %q is not host:port", n.RaftAddr))
	}
	for _, f := range []struct{ name, v string }{{"adminUrl", n.AdminURL}, {"gatewayUrl", n.GatewayURL}} {
		u, err := url.Parse(f.v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" {
			errs = append(errs, fmt.Errorf("%s: %q is not an http(s)://host:port URL", f.name, f.v))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return httperr.New(http.StatusBadRequest, oneLine(err))
	}
	return nil
}

func oneLine(err error) string {
	msg := err.Error()
	out := make([]byte, 0, len(msg))
	for i := 0; i < len(msg); i++ {
		if msg[i] == '\n' {
			out = append(out, ';', ' ')
			continue
		}
		out = append(out, msg[i])
	}
	return string(out)
}
