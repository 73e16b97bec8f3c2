package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// ClusterStatus is the cluster's membership as one node sees it.
type ClusterStatus struct {
	Leader string        `json:"leader"`
	Term   uint64        `json:"term"`
	Index  uint64        `json:"index"`
	Nodes  []ClusterNode `json:"nodes"`
}

// ClusterNode is one member: its raft state, how far it has applied and serves the log, and its addresses.
type ClusterNode struct {
	ID           string `json:"id"`
	State        string `json:"state"`
	Voter        bool   `json:"voter"`
	AppliedIndex uint64 `json:"appliedIndex"`
	ServedIndex  uint64 `json:"servedIndex"`
	AdminAddr    string `json:"adminAddr"`
	RaftAddr     string `json:"raftAddr"`
	GatewayAddr  string `json:"gatewayAddr"`
	Healthy      bool   `json:"healthy"`
	Error        string `json:"error"`
}

// Removed answers the removal of a member.
type Removed struct {
	Removed string `json:"removed"`
}

// JoinRequest asks the cluster to add a node as a voter: its ID, raft address and the URLs of its listeners.
type JoinRequest struct {
	ID         string `json:"id"`
	RaftAddr   string `json:"raftAddr"`
	AdminURL   string `json:"adminUrl"`
	GatewayURL string `json:"gatewayUrl"`
}

// Joined answers a join.
type Joined struct {
	ID     string `json:"id"`
	Joined bool   `json:"joined"`
}

// ClusterStatus returns the members and their raft state.
func (c *Client) ClusterStatus(ctx context.Context) (*ClusterStatus, error) {
	return one[ClusterStatus](ctx, c, call{method: http.MethodGet, path: "/v1/cluster"})
}

// RemoveNode removes a member from the cluster.
func (c *Client) RemoveNode(ctx context.Context, id string) (*Removed, error) {
	return one[Removed](ctx, c, call{method: http.MethodDelete, path: "/v1/cluster/nodes/" + url.PathEscape(id)})
}

// Join adds the node r describes to the cluster of the node the client calls (any member: a follower forwards it to
// the leader). Like every write it is retried with the same Idempotency-Key while its outcome is unknown.
func (c *Client) Join(ctx context.Context, r JoinRequest) (*Joined, error) {
	body, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encoding the join request: %w", err)
	}
	return one[Joined](ctx, c, call{method: http.MethodPost, path: "/v1/cluster/join", ctype: "application/json",
		body: body})
}
