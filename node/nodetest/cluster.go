package nodetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"portico/node/certs"
	"portico/node/nodetest/faultproxy"
)

// Cluster is a set of real node processes sharing one cluster CA: the first bootstraps, the others join it.
type Cluster struct {
	t      testing.TB
	TLSDir string
	Nodes  []*Node
	Token  string // the bootstrap admin token
	// links[i][j] carries node i's connections to node j (raft and forwarded admin calls) when the cluster was
	// made WithProxies; nil otherwise.
	links [][]*faultproxy.Proxy
}

// ClusterOption changes how NewCluster prepares the nodes.
type ClusterOption func(*clusterOptions)

type clusterOptions struct {
	proxies bool
	flags   []string
}

// WithProxies routes every directed link between nodes through a fault-injecting proxy (see Isolate, Heal).
func WithProxies() ClusterOption { return func(o *clusterOptions) { o.proxies = true } }

// WithFlags adds flags to every node's `node run`.
func WithFlags(flags ...string) ClusterOption {
	return func(o *clusterOptions) { o.flags = append(o.flags, flags...) }
}

// NewCluster prepares nodes with the given IDs (not started; call Start).
func NewCluster(t testing.TB, ids []string, opts ...ClusterOption) *Cluster {
	t.Helper()
	var o clusterOptions
	for _, opt := range opts {
		opt(&o)
	}
	dir := filepath.Join(t.TempDir(), "tls")
	if err := certs.Init(dir, ids, nil, time.Now()); err != nil {
		t.Fatalf("creating cluster TLS files: %v", err)
	}
	c := &Cluster{t: t, TLSDir: dir}
	for _, id := range ids {
		n := newNode(t, id, dir)
		n.Flags = append(n.Flags, o.flags...)
		c.Nodes = append(c.Nodes, n)
	}
	if o.proxies {
		c.addProxies()
	}
	return c
}

// addProxies creates one proxy per directed link and points each node's --raft-peer flags at them.
func (c *Cluster) addProxies() {
	c.links = make([][]*faultproxy.Proxy, len(c.Nodes))
	for i, from := range c.Nodes {
		c.links[i] = make([]*faultproxy.Proxy, len(c.Nodes))
		for j, to := range c.Nodes {
			if i == j {
				continue
			}
			p, err := faultproxy.New(to.RaftAddr)
			if err != nil {
				c.t.Fatalf("starting proxy %s→%s: %v", from.ID, to.ID, err)
			}
			c.t.Cleanup(func() { _ = p.Close() })
			c.links[i][j] = p
			from.Flags = append(from.Flags, "--raft-peer", to.ID+"="+p.Addr())
		}
	}
}

// Start starts the first node with --bootstrap and the others with --join through it.
func (c *Cluster) Start() {
	c.t.Helper()
	first := c.Nodes[0]
	first.Start("--bootstrap")
	c.Token = first.Token
	for _, n := range c.Nodes[1:] {
		c.Join(n, first)
	}
	c.WaitConverged(30 * time.Second)
}

// Join starts n (a fresh data dir) joining the cluster through member via.
func (c *Cluster) Join(n, via *Node) {
	c.t.Helper()
	n.Token = c.Token
	n.Start("--join", via.AdminURL(), "--token", c.Token)
}

// AddNode prepares a new node signed by the cluster's CA (not started).
func (c *Cluster) AddNode(id string) *Node {
	c.t.Helper()
	if err := certs.Init(c.TLSDir, []string{id}, nil, time.Now()); err != nil {
		c.t.Fatalf("creating TLS files for %s: %v", id, err)
	}
	n := newNode(c.t, id, c.TLSDir)
	n.Token = c.Token
	c.Nodes = append(c.Nodes, n)
	return n
}

// Node returns the node with id.
func (c *Cluster) Node(id string) *Node {
	for _, n := range c.Nodes {
		if n.ID == id {
			return n
		}
	}
	c.t.Fatalf("no node %s in the cluster", id)
	return nil
}

// Status is what GET /v1/cluster answers.
type Status struct {
	Leader string `json:"leader"`
	Term   uint64 `json:"term"`
	Index  uint64 `json:"index"`
	Nodes  []struct {
		ID           string `json:"id"`
		State        string `json:"state"`
		Voter        bool   `json:"voter"`
		AppliedIndex uint64 `json:"appliedIndex"`
		ServedIndex  uint64 `json:"servedIndex"`
		Healthy      bool   `json:"healthy"`
		Error        string `json:"error"`
	} `json:"nodes"`
}

// Status asks node n for the cluster's status over HTTP (no CLI process), or returns an error.
func (n *Node) Status() (Status, error) {
	var st Status
	req, err := http.NewRequest(http.MethodGet, n.AdminURL()+"/v1/cluster", nil)
	if err != nil {
		return st, err
	}
	req.Header.Set("Authorization", "Bearer "+n.Token)
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("GET /v1/cluster on %s: %s", n.ID, resp.Status)
	}
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// WaitLeader waits until every running node in nodes names the same leader, and returns it.
func (c *Cluster) WaitLeader(limit time.Duration, nodes ...*Node) *Node {
	c.t.Helper()
	if len(nodes) == 0 {
		nodes = c.Nodes
	}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if id := agreedLeader(nodes); id != "" {
			return c.Node(id)
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.t.Fatalf("no leader agreed by %d nodes within %s", len(nodes), limit)
	return nil
}

func agreedLeader(nodes []*Node) string {
	leader := ""
	for _, n := range nodes {
		st, err := n.Status()
		if err != nil || st.Leader == "" || (leader != "" && st.Leader != leader) {
			return ""
		}
		leader = st.Leader
	}
	return leader
}

// WaitConverged waits until every node is a healthy member that serves the same index as the leader.
func (c *Cluster) WaitConverged(limit time.Duration) Status {
	c.t.Helper()
	deadline := time.Now().Add(limit)
	var last Status
	var lastErr error
	for time.Now().Before(deadline) {
		leader := c.WaitLeader(time.Until(deadline))
		last, lastErr = leader.Status()
		if lastErr == nil && converged(last, len(c.Nodes)) {
			return last
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.t.Fatalf("cluster not converged within %s: last status %+v (err %v)", limit, last, lastErr)
	return last
}

func converged(st Status, want int) bool {
	if len(st.Nodes) != want {
		return false
	}
	for _, n := range st.Nodes {
		if !n.Healthy || n.ServedIndex != st.Nodes[0].ServedIndex || n.AppliedIndex < st.Nodes[0].AppliedIndex {
			return false
		}
	}
	return true
}

// Isolate cuts node id off from every other node (both directions), keeping its client listeners reachable.
func (c *Cluster) Isolate(id string) {
	c.t.Helper()
	c.eachLink(id, (*faultproxy.Proxy).Cut)
}

// Heal restores every link.
func (c *Cluster) Heal() {
	c.t.Helper()
	for i := range c.links {
		for _, p := range c.links[i] {
			if p != nil {
				p.Heal()
			}
		}
	}
}

func (c *Cluster) eachLink(id string, f func(*faultproxy.Proxy)) {
	if c.links == nil {
		c.t.Fatal("the cluster was not made WithProxies")
	}
	for i, from := range c.Nodes {
		for j, to := range c.Nodes {
			if p := c.links[i][j]; p != nil && (from.ID == id || to.ID == id) {
				f(p)
			}
		}
	}
}
