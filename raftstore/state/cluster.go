package state

// Node is a cluster member as it announced itself: where its raft, admin and gateway listeners are. The admin API
// forwards writes to the leader's AdminURL and reports cluster status from this registry.
type Node struct {
	ID         string `json:"id"`
	RaftAddr   string `json:"raftAddr"`
	AdminURL   string `json:"adminUrl"` // http(s)://host:port of the admin listener
	GatewayURL string `json:"gatewayUrl"`
	UpdatedAt  int64  `json:"updatedAt"` // unix milliseconds, set by the proposer
}
