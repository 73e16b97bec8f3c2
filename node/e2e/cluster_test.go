package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"portico/node/nodetest"
)

var nodeIDs = []string{"n1", "n2", "n3"}

// adminResult is one admin API answer; status 0 means the call failed on the wire (err says why).
type adminResult struct {
	status int
	body   []byte
	err    error
}

// admin calls a node's admin API over HTTP with the cluster token (no CLI process: cheap enough for loops).
func admin(n *nodetest.Node, method, path string, body any, key string) adminResult {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return adminResult{err: err}
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, n.AdminURL()+path, rd)
	if err != nil {
		return adminResult{err: err}
	}
	req.Header.Set("Authorization", "Bearer "+n.Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	return doAdmin(req)
}

// doAdmin sends req, bounded in time, and reads the whole answer.
func doAdmin(req *http.Request) adminResult { return doAdminWithin(req, 15*time.Second) }

// doAdminWithin is doAdmin with its own bound on the whole call; a call cut short by it answers status 0.
func doAdminWithin(req *http.Request, limit time.Duration) adminResult {
	ctx, cancel := context.WithTimeout(req.Context(), limit)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		return adminResult{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return adminResult{status: resp.StatusCode, body: b, err: err}
}

// writeWait bounds how long a write that must succeed is retried: an election (a leader cut off, or a stall on a
// loaded machine moving leadership) takes a few seconds at most.
const writeWait = 30 * time.Second

// mustCreateApp creates app name through node n and fails the test unless the write is acknowledged within writeWait
// (see sendUntilAcked).
func mustCreateApp(t *testing.T, n *nodetest.Node, name string) {
	t.Helper()
	mustWrite(t, n, http.MethodPost, "/v1/apps", map[string]string{"name": name}, "create-"+name)
}

// mustWrite sends an admin write to node n and fails the test unless it is acknowledged within writeWait (see
// sendUntilAcked).
func mustWrite(t *testing.T, n *nodetest.Node, method, path string, body any, key string) {
	t.Helper()
	r, acked := sendUntilAcked(n, method, path, body, key, time.Now().Add(writeWait), nil)
	switch {
	case acked:
	case r.status != 0 && r.status != http.StatusServiceUnavailable:
		t.Fatalf("%s %s on %s: %d %s", method, path, n.ID, r.status, r.body)
	default:
		t.Fatalf("%s %s on %s: not acknowledged within %s; last answer %d %s %v", method, path, n.ID, writeWait,
			r.status, r.body, r.err)
	}
}

// sendUntilAcked sends an admin write to node n until it is acknowledged (200 or 201: acked is true). No answer and
// 503 (no leader yet, or an outcome the cluster could not confirm) are retried with the same Idempotency-Key, so a
// retry never applies the write twice, until deadline passes or stop is closed (nil: never); any other answer ends it
// at once. r is the last answer.
func sendUntilAcked(n *nodetest.Node, method, path string, body any, key string, deadline time.Time,
	stop <-chan struct{}) (r adminResult, acked bool) {
	for {
		r = admin(n, method, path, body, key)
		switch {
		case r.status == http.StatusOK || r.status == http.StatusCreated:
			return r, true
		case r.status != 0 && r.status != http.StatusServiceUnavailable, time.Now().After(deadline):
			return r, false
		}
		select {
		case <-stop:
			return r, false
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// refusalWait bounds a write that must be refused with 503 because there is no quorum: a node answers within its
// leader wait (3 s) or read wait (5 s). It is a bound against hanging, 6x the longer wait, not a speed target.
const refusalWait = 30 * time.Second

// mustRefuseWrite sends a write to node n, which has no quorum, and fails the test unless it is refused with 503
// within refusalWait.
func mustRefuseWrite(t *testing.T, n *nodetest.Node, name, when string) {
	t.Helper()
	b, err := json.Marshal(map[string]string{"name": name})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, n.AdminURL()+"/v1/apps", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+n.Token)
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	r := doAdminWithin(req, refusalWait)
	if r.status != http.StatusServiceUnavailable {
		t.Fatalf("%s: write on %s without quorum: got %d %s (%v), want 503 within %s", when, n.ID, r.status, r.body,
			r.err, refusalWait)
	}
	t.Logf("%s: write on %s without quorum refused in %s: %s", when, n.ID, time.Since(start).Round(time.Millisecond),
		r.body)
}

// waitNewLeader waits (bounded) until the nodes agree on a leader among them other than old, and returns it.
func waitNewLeader(t *testing.T, c *nodetest.Cluster, old *nodetest.Node, limit time.Duration,
	nodes ...*nodetest.Node) *nodetest.Node {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		if l := c.WaitLeader(time.Until(deadline), nodes...); l != old && slices.Contains(nodes, l) {
			return l
		}
		if time.Now().After(deadline) {
			t.Fatalf("no leader other than %s agreed by %d nodes within %s", old.ID, len(nodes), limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// appNames lists the application names node n holds; stale reads its own copy. A linearizable read answered 503
// (an election under way: no leader to confirm the read) is asked again, bounded by writeWait: a later read sees at
// least what the first one would have.
func appNames(t *testing.T, n *nodetest.Node, stale bool) []string {
	t.Helper()
	path := "/v1/apps"
	if stale {
		path += "?stale=true"
	}
	deadline := time.Now().Add(writeWait)
	r := admin(n, http.MethodGet, path, nil, "")
	for !stale && r.status == http.StatusServiceUnavailable && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		r = admin(n, http.MethodGet, path, nil, "")
	}
	if r.status != http.StatusOK {
		t.Fatalf("GET %s on %s: %d %s %v", path, n.ID, r.status, r.body, r.err)
	}
	var apps []struct{ Name string }
	if err := json.Unmarshal(r.body, &apps); err != nil {
		t.Fatalf("GET %s on %s: %v", path, n.ID, err)
	}
	names := make([]string, 0, len(apps))
	for _, a := range apps {
		names = append(names, a.Name)
	}
	slices.Sort(names)
	return names
}

// waitStatus polls url until it answers want (bounded).
func waitStatus(t *testing.T, url, key string, want int, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	last := 0
	for time.Now().Before(deadline) {
		if last = statusOf(url, key); last == want {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("GET %s: got %d, want %d within %s", url, last, want, limit)
}

func statusOf(url, key string) int {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0
	}
	if key != "" {
		req.Header.Set("api-key", key)
	}
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func startCluster(t *testing.T, opts ...nodetest.ClusterOption) *nodetest.Cluster {
	t.Helper()
	c := nodetest.NewCluster(t, nodeIDs, opts...)
	c.Start()
	return c
}

func followers(c *nodetest.Cluster, leader *nodetest.Node) []*nodetest.Node {
	var out []*nodetest.Node
	for _, n := range c.Nodes {
		if n != leader {
			out = append(out, n)
		}
	}
	return out
}

// TestClusterJoinDeployEverywhere: three nodes join; a deploy on a follower, waited for on all nodes, is served by
// every node; a write on one follower is read at once (linearizably) on the other.
func TestClusterJoinDeployEverywhere(t *testing.T) {
	be := newBackend(t)
	c := startCluster(t)
	// The CLI's cluster status on a follower names the leader the nodes agree on. A stall on a loaded machine can
	// move leadership between the two reads: then both are read again (bounded), with the roles of the new leader.
	var (
		leader *nodetest.Node
		fs     []*nodetest.Node
		st     nodetest.Status
	)
	for attempt := 1; ; attempt++ {
		leader = c.WaitLeader(10 * time.Second)
		fs = followers(c, leader)
		if err := json.Unmarshal([]byte(fs[0].MustCLI("-o", "json", "cluster", "status")), &st); err != nil {
			t.Fatalf("cluster status: %v", err)
		}
		if len(st.Nodes) == 3 && st.Leader == leader.ID {
			break
		}
		if attempt == 3 {
			t.Fatalf("cluster status: got leader %q and %d nodes, want %s and 3", st.Leader, len(st.Nodes), leader.ID)
		}
		t.Logf("cluster status on %s: got leader %q and %d nodes, want %s and 3: asking again", fs[0].ID, st.Leader,
			len(st.Nodes), leader.ID)
	}

	out := fs[0].MustCLI("-o", "json", "deploy", "-f", apiFile(t, "greet.yaml", be.URL, nil), "--wait", "all")
	var dep struct {
		Revision    int
		Propagation struct {
			Complete bool
			Nodes    []struct {
				ID    string
				OK    bool
				LagMs float64
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &dep); err != nil {
		t.Fatalf("deploy output %q: %v", out, err)
	}
	if !dep.Propagation.Complete || len(dep.Propagation.Nodes) != 3 {
		t.Fatalf("deploy --wait all: got %+v, want complete on 3 nodes", dep.Propagation)
	}
	fs[0].MustCLI("app", "create", "shop")
	key := createKey(t, fs[1], "shop", "greet")
	// --wait all returned: every node serves the API now, without polling; the key reached every node with the
	// write's own wait on the node that took it, so poll briefly for the others.
	for _, n := range c.Nodes {
		if got := statusOf(n.GatewayURL()+"/greet/v1/open", ""); got != http.StatusOK {
			t.Fatalf("%s right after deploy --wait all: got %d, want 200", n.ID, got)
		}
		waitStatus(t, n.GatewayURL()+"/greet/v1/hello", key, http.StatusOK, 5*time.Second)
	}

	// Linearizable reads: a write acknowledged by one follower is visible on the other at once.
	for i := range 5 {
		name := fmt.Sprintf("lin-%d", i)
		mustCreateApp(t, fs[0], name)
		if names := appNames(t, fs[1], false); !slices.Contains(names, name) {
			t.Fatalf("linearizable read on %s right after a write on %s: got %v, want %s in it", fs[1].ID, fs[0].ID, names, name)
		}
	}
}

// TestLeaderKillDuringWrites: kill -9 of the leader during a stream of writes: a new leader takes over within a
// few seconds, writes resume, and every acknowledged write is on every node after the old leader restarts.
func TestLeaderKillDuringWrites(t *testing.T) {
	c := startCluster(t)
	leader := c.WaitLeader(10 * time.Second)
	fs := followers(c, leader)

	var (
		mu    sync.Mutex
		acked []string
	)
	stop := make(chan struct{})
	done := make(chan struct{})
	firstAfterKill := make(chan time.Time, 1)
	var killedAt time.Time
	var killedMu sync.Mutex
	go func() {
		defer close(done)
		for i := 0; i < 100000; i++ {
			select {
			case <-stop:
				return
			default:
			}
			name := fmt.Sprintf("w-%d", i)
			n := fs[i%2]
			key := "kill-" + name
			// Retry the same write with the same Idempotency-Key until it is acknowledged (bounded).
			for attempt := 0; attempt < 40; attempt++ {
				r := admin(n, http.MethodPost, "/v1/apps", map[string]string{"name": name}, key)
				if r.status == http.StatusOK || r.status == http.StatusCreated {
					mu.Lock()
					acked = append(acked, name)
					mu.Unlock()
					killedMu.Lock()
					if !killedAt.IsZero() {
						select {
						case firstAfterKill <- time.Now():
						default:
						}
					}
					killedMu.Unlock()
					break
				}
				if r.status != 0 && r.status != http.StatusServiceUnavailable {
					t.Errorf("write %s on %s: %d %s", name, n.ID, r.status, r.body)
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
	}()
	waitCount(t, &mu, &acked, 10, 20*time.Second)
	killedMu.Lock()
	leader.Kill()
	killedAt = time.Now()
	killedMu.Unlock()
	var failover time.Duration
	select {
	case at := <-firstAfterKill:
		failover = at.Sub(killedAt)
	case <-time.After(20 * time.Second):
		t.Fatal("no write was accepted within 20s of killing the leader")
	}
	t.Logf("failover: first write accepted %s after kill -9 of the leader %s", failover, leader.ID)
	mu.Lock()
	n := len(acked)
	mu.Unlock()
	waitCount(t, &mu, &acked, n+10, 20*time.Second)
	close(stop)
	<-done

	leader.Start()
	c.WaitConverged(30 * time.Second)
	mu.Lock()
	want := slices.Clone(acked)
	mu.Unlock()
	mustHoldApps(t, c, want)
}

// mustHoldApps fails the test unless every node's own copy (a stale read: call it once the cluster has converged)
// holds every app in want.
func mustHoldApps(t *testing.T, c *nodetest.Cluster, want []string) {
	t.Helper()
	for _, node := range c.Nodes {
		have := appNames(t, node, true)
		for _, name := range want {
			if _, ok := slices.BinarySearch(have, name); !ok {
				t.Fatalf("%s lost the acknowledged write %s (has %d apps)", node.ID, name, len(have))
			}
		}
	}
}

func waitCount(t *testing.T, mu *sync.Mutex, s *[]string, n int, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		mu.Lock()
		got := len(*s)
		mu.Unlock()
		if got >= n {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("fewer than %d writes acknowledged within %s", n, limit)
}

// TestQuorumLost: with two of three nodes gone the last one keeps serving every deployed API from its applied
// state (also across its own restart), a revoked key stays revoked, and admin writes fail with 503 in bounded time.
func TestQuorumLost(t *testing.T) {
	be := newBackend(t)
	c := startCluster(t)
	n1 := c.Nodes[0]
	n1.MustCLI("deploy", "-f", apiFile(t, "greet.yaml", be.URL, nil), "--wait", "all")
	n1.MustCLI("app", "create", "shop")
	key := createKey(t, n1, "shop", "greet")
	revokedID, revoked := createKeyWithID(t, n1, "shop", "greet")
	n1.MustCLI("key", "delete", revokedID)
	c.WaitConverged(20 * time.Second)
	last := c.Nodes[2]
	waitStatus(t, last.GatewayURL()+"/greet/v1/hello", key, http.StatusOK, 5*time.Second)
	waitStatus(t, last.GatewayURL()+"/greet/v1/hello", revoked, http.StatusUnauthorized, 5*time.Second)

	c.Nodes[0].Kill()
	c.Nodes[1].Kill()
	check := func(when string) {
		t.Helper()
		if got := statusOf(last.GatewayURL()+"/greet/v1/hello", key); got != http.StatusOK {
			t.Fatalf("%s: valid key on %s: got %d, want 200", when, last.ID, got)
		}
		if got := statusOf(last.GatewayURL()+"/greet/v1/hello", revoked); got != http.StatusUnauthorized {
			t.Fatalf("%s: revoked key on %s: got %d, want 401", when, last.ID, got)
		}
		mustRefuseWrite(t, last, "no-quorum", when)
		// The operator can still read what the node knows, with the same token.
		if names := appNames(t, last, true); !slices.Contains(names, "shop") {
			t.Fatalf("%s: stale read of the apps on %s: got %v, want shop", when, last.ID, names)
		}
	}
	check("quorum lost")
	// A crash, not a clean stop: raft restores its last snapshot (none here) and replays the log only once a leader
	// tells it what is committed, so everything the node knows comes from its served-state copy.
	last.Kill()
	last.Start()
	check("after kill -9 and a restart without quorum")
}

// stateHashes returns each node's hash of its own state copy at its applied index.
func stateHashes(t *testing.T, c *nodetest.Cluster) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, n := range c.Nodes {
		r := admin(n, http.MethodGet, "/v1/snapshot?stale=true", nil, "")
		if r.status != http.StatusOK {
			t.Fatalf("backup of %s: %d %v", n.ID, r.status, r.err)
		}
		sum := sha256.Sum256(r.body)
		out[n.ID] = hex.EncodeToString(sum[:8])
	}
	return out
}

// TestPartitionHeals: a follower cut off from its peers (not from clients) keeps serving, refuses writes; the
// majority keeps accepting writes; after healing every node holds the same state.
func TestPartitionHeals(t *testing.T) {
	be := newBackend(t)
	c := startCluster(t, nodetest.WithProxies())
	c.WaitLeader(10*time.Second).MustCLI("deploy", "-f", apiFile(t, "greet.yaml", be.URL, nil), "--wait", "all")
	// Roles come from the leader agreed right before the cut: leadership may have moved during the deploy. Should it
	// move again before the cut, the majority side elects a leader and the writes below are retried until it has.
	leader := c.WaitLeader(10 * time.Second)
	cut := followers(c, leader)[0]
	other := followers(c, leader)[1]
	c.Isolate(cut.ID)
	for i := range 10 {
		mustCreateApp(t, other, fmt.Sprintf("p-%d", i))
	}
	if got := statusOf(cut.GatewayURL()+"/greet/v1/open", ""); got != http.StatusOK {
		t.Fatalf("partitioned node's gateway: got %d, want 200", got)
	}
	r := admin(cut, http.MethodPost, "/v1/apps", map[string]string{"name": "minority"}, "")
	if r.status != http.StatusServiceUnavailable {
		t.Fatalf("write on the partitioned node: got %d %s, want 503", r.status, r.body)
	}
	c.Heal()
	c.WaitConverged(30 * time.Second)
	waitSameHashes(t, c, 20*time.Second)
	if names := appNames(t, cut, true); len(names) != 10 {
		t.Fatalf("healed node's apps: got %v, want the 10 written during the partition", names)
	}

	// Now cut the leader off (the one agreed now: healing may have moved leadership): the other two elect a new one
	// and keep accepting writes; the old leader steps down and refuses writes with 503 in bounded time.
	leader = c.WaitLeader(10 * time.Second)
	c.Isolate(leader.ID)
	rest := followers(c, leader)
	waitNewLeader(t, c, leader, 15*time.Second, rest...)
	// The majority has agreed on a new leader, which may not have passed its barrier yet: retried until it has.
	mustCreateApp(t, rest[0], "after-leader-cut")
	mustRefuseWrite(t, leader, "old-leader", "the isolated old leader")
	c.Heal()
	c.WaitConverged(30 * time.Second)
	waitSameHashes(t, c, 20*time.Second)
	if names := appNames(t, leader, false); slices.Contains(names, "old-leader") || !slices.Contains(names, "after-leader-cut") {
		t.Fatalf("apps after healing the leader's partition: got %v", names)
	}
}

// waitSameHashes waits until every node's state hash is the same.
func waitSameHashes(t *testing.T, c *nodetest.Cluster, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		h := stateHashes(t, c)
		same := true
		for _, v := range h {
			same = same && v == h[c.Nodes[0].ID]
		}
		if same {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("state hashes differ after healing: %v", h)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestAllNodesKilled: an acknowledged write survives kill -9 of every node. Three writers create apps, one through
// each node; once 20 are acknowledged, all three nodes are killed at once while writes await their answers. After all
// three restart on their data dirs, every acknowledged app is on every node, and the nodes hold one state: a write
// whose answer was lost may have been applied or not, but the same on every node. The cluster then takes writes again.
func TestAllNodesKilled(t *testing.T) {
	c := startCluster(t)
	w := startWriters(t, c.Nodes)
	waitCount(t, &w.mu, &w.acked, 20, writeWait)
	w.waitInFlight(t, 10*time.Second)
	w.over.Store(true)
	ackedBefore, inFlight, killStart := w.count(), w.inFlight.Load(), time.Now()
	atOnce(c.Nodes, (*nodetest.Node).Kill)
	killTook := time.Since(killStart)
	w.stop()
	acked, unknown := w.results()
	t.Logf("kill -9 of all 3 nodes took %s, with %d writes awaiting an answer; %d writes acknowledged (%d after the "+
		"20th, %d while the nodes were being killed), %d without an answer", killTook.Round(time.Millisecond),
		inFlight, len(acked), ackedBefore-20, len(acked)-ackedBefore, len(unknown))

	// All three start at once, as after a power cut. (One at a time works too while each node has its served-state
	// cache; without it, a node started alone waits 15 s for a quorum to replay its log before it serves.)
	restart := time.Now()
	atOnce(c.Nodes, func(n *nodetest.Node) { n.Start() })
	if t.Failed() {
		t.FailNow() // a node did not become healthy: Start said why
	}
	leader := c.WaitLeader(writeWait)
	c.WaitConverged(30 * time.Second)
	t.Logf("all 3 nodes healthy, %s leads and the cluster converged %s after the restart", leader.ID,
		time.Since(restart).Round(time.Millisecond))
	mustHoldApps(t, c, acked)
	waitSameHashes(t, c, 20*time.Second)
	have := appNames(t, c.Nodes[0], true)
	applied := 0
	for _, name := range unknown {
		if _, ok := slices.BinarySearch(have, name); ok {
			applied++
		}
	}
	t.Logf("%d of the %d writes without an answer were applied", applied, len(unknown))
	mustCreateApp(t, c.Nodes[1], "after-restart")
}

// writers create apps continuously, one goroutine per node, each write retried with its own Idempotency-Key until it
// is acknowledged (see sendUntilAcked). Once over is set (the nodes are being killed, or the test ends) a write that
// is not acknowledged ends its writer: it is recorded as unknown, since it may have been applied.
type writers struct {
	mu       sync.Mutex
	acked    []string
	unknown  []string
	inFlight atomic.Int32 // writes sent and not yet answered
	over     atomic.Bool
	done     chan struct{}
	once     sync.Once
	wg       sync.WaitGroup
}

// startWriters starts a writer on each node; they run until stop, which the test's cleanup also calls.
func startWriters(t *testing.T, nodes []*nodetest.Node) *writers {
	w := &writers{done: make(chan struct{})}
	t.Cleanup(w.stop)
	for _, n := range nodes {
		w.wg.Add(1)
		go w.run(t, n)
	}
	return w
}

func (w *writers) run(t *testing.T, n *nodetest.Node) {
	defer w.wg.Done()
	for i := 0; ; i++ {
		name := fmt.Sprintf("%s-%d", n.ID, i)
		w.inFlight.Add(1)
		r, acked := sendUntilAcked(n, http.MethodPost, "/v1/apps", map[string]string{"name": name}, "create-"+name,
			time.Now().Add(writeWait), w.done)
		w.inFlight.Add(-1)
		over := w.over.Load()
		w.mu.Lock()
		if acked {
			w.acked = append(w.acked, name)
		} else if over {
			w.unknown = append(w.unknown, name)
		}
		w.mu.Unlock()
		switch {
		case acked:
		case over:
			return
		default:
			t.Errorf("write %s on %s before any fault: not acknowledged within %s; last answer %d %s %v", name, n.ID,
				writeWait, r.status, r.body, r.err)
			return
		}
	}
}

// stop ends every writer and waits for them: a write under way ends within one attempt (admin's bound).
func (w *writers) stop() {
	w.once.Do(func() {
		w.over.Store(true)
		close(w.done)
		w.wg.Wait()
	})
}

func (w *writers) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.acked)
}

// results returns the acknowledged writes (sorted) and those whose outcome is unknown.
func (w *writers) results() (acked, unknown []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	acked = slices.Clone(w.acked)
	slices.Sort(acked)
	return acked, slices.Clone(w.unknown)
}

// waitInFlight waits until at least one write awaits its answer, so that a fault that follows hits writes under way.
func (w *writers) waitInFlight(t *testing.T, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for w.inFlight.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no write under way within %s", limit)
		}
		time.Sleep(time.Millisecond)
	}
}

// atOnce runs f on every node concurrently and waits for all of them. f may fail the test (Node.Start does): that
// ends only its own goroutine, so the caller checks t.Failed afterwards.
func atOnce(nodes []*nodetest.Node, f func(*nodetest.Node)) {
	var wg sync.WaitGroup
	for _, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(n)
		}()
	}
	wg.Wait()
}

// revocationWait bounds how long a connected node may keep accepting a revoked key, and healWait how long a node cut
// off during the revocation may keep accepting it once the partition heals: bounds against hanging (the nodes take
// tens of milliseconds), not speed targets.
const (
	revocationWait = 5 * time.Second
	healWait       = 20 * time.Second
)

// TestRevocationAcrossPartition: a key revoked while a follower is cut off from its peers (not from clients) is
// refused by every connected node within revocationWait. The cut-off follower cannot learn of the revocation and keeps
// accepting the key (the documented stale data plane; it also shows the cut is real); once the partition heals, it
// refuses the key within healWait, and still does from its first request after a kill -9 and restart.
func TestRevocationAcrossPartition(t *testing.T) {
	be := newBackend(t)
	c := startCluster(t, nodetest.WithProxies())
	first := c.WaitLeader(10 * time.Second)
	first.MustCLI("deploy", "-f", apiFile(t, "greet.yaml", be.URL, nil), "--wait", "all")
	first.MustCLI("app", "create", "shop")
	id, key := createKeyWithID(t, first, "shop", "greet")
	waitEvery(t, c, "/greet/v1/hello", map[string]string{"api-key": key}, http.StatusOK, 10*time.Second)

	// Roles come from the leader agreed right before the cut. Should leadership move to the cut node meanwhile, the
	// other two elect a leader and the revocation is retried until they have.
	leader := c.WaitLeader(10 * time.Second)
	cut, via := followers(c, leader)[0], followers(c, leader)[1]
	c.Isolate(cut.ID)
	mustWrite(t, via, http.MethodDelete, "/v1/keys/"+id, nil, "revoke-"+id)
	revoked := time.Now()
	for _, n := range []*nodetest.Node{via, leader} {
		waitStatus(t, n.GatewayURL()+"/greet/v1/hello", key, http.StatusUnauthorized, revocationWait)
		t.Logf("%s refuses the revoked key %s after the revocation through %s returned", n.ID,
			time.Since(revoked).Round(time.Millisecond), via.ID)
	}
	if got := statusOf(cut.GatewayURL()+"/greet/v1/hello", key); got != http.StatusOK {
		t.Fatalf("%s, cut off during the revocation: got %d, want 200 (it cannot know of it)", cut.ID, got)
	}
	c.Heal()
	healed := time.Now()
	waitStatus(t, cut.GatewayURL()+"/greet/v1/hello", key, http.StatusUnauthorized, healWait)
	t.Logf("%s, cut off during the revocation, refuses the key %s after the partition healed", cut.ID,
		time.Since(healed).Round(time.Millisecond))
	// The revocation never comes back: the node refuses the key from its first request after a crash and restart.
	cut.Kill()
	cut.Start()
	if got := statusOf(cut.GatewayURL()+"/greet/v1/hello", key); got != http.StatusUnauthorized {
		t.Fatalf("%s after kill -9 and restart: revoked key got %d, want 401", cut.ID, got)
	}
}

// TestSnapshotInstallAndRestore: a follower that was down while the leader compacted its log catches up by
// installing a snapshot; a backup restored later brings every node back to the backup's content.
func TestSnapshotInstallAndRestore(t *testing.T) {
	c := startCluster(t, nodetest.WithFlags("--snapshot-threshold", "16", "--trailing-logs", "4",
		"--snapshot-interval", "200ms"))
	leader := c.WaitLeader(10 * time.Second)
	lagging := followers(c, leader)[0]
	lagging.Stop()
	for i := range 60 {
		mustCreateApp(t, leader, fmt.Sprintf("s-%02d", i))
	}
	// Whichever running node leads when the lagging follower returns must have compacted its log: leadership may move
	// between them during the writes, so both are waited for, not only the one that led at the start.
	for _, n := range c.Nodes {
		if n != lagging {
			waitSnapshot(t, n, 20*time.Second)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(lagging.DataDir, "raft", "snapshots")); len(entries) != 0 {
		t.Fatalf("the lagging follower has a snapshot of its own (%d): the test cannot tell an install", len(entries))
	}
	lagging.Start()
	c.WaitConverged(30 * time.Second)
	if names := appNames(t, lagging, true); len(names) != 60 {
		t.Fatalf("lagging follower after catching up: got %d apps, want 60", len(names))
	}
	// The leader kept 4 entries after its snapshot, far fewer than the lagging follower missed: it can only have
	// caught up by installing the leader's snapshot (it had none of its own when it stopped).
	if !strings.Contains(lagging.Logs(), "state restored from a snapshot") {
		t.Fatalf("the lagging follower caught up without installing a snapshot; logs:\n%s", tail(lagging.Logs(), 3000))
	}

	backup := filepath.Join(t.TempDir(), "backup.snap")
	leader.MustCLI("snapshot", "save", backup)
	for i := range 5 {
		leader.MustCLI("app", "delete", fmt.Sprintf("s-%02d", i))
	}
	leader.MustCLI("app", "create", "after-backup")
	followers(c, leader)[1].MustCLI("snapshot", "restore", backup)
	c.WaitConverged(30 * time.Second)
	for _, n := range c.Nodes {
		waitApps(t, n, 60, "after-backup", 20*time.Second)
	}
}

// waitApps waits until node n holds want apps and not the absent one.
func waitApps(t *testing.T, n *nodetest.Node, want int, absent string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	var names []string
	for time.Now().Before(deadline) {
		names = appNames(t, n, true)
		if len(names) == want && !slices.Contains(names, absent) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: got %d apps (%v...), want %d without %s", n.ID, len(names), names[:min(3, len(names))], want, absent)
}

// waitSnapshot waits until node n has a raft snapshot on disk.
func waitSnapshot(t *testing.T, n *nodetest.Node, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		entries, _ := os.ReadDir(filepath.Join(n.DataDir, "raft", "snapshots"))
		if len(entries) > 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s took no snapshot within %s", n.ID, limit)
}

// TestRemoveAndRejoin: a removed member leaves the configuration; with its data dir wiped it joins again and
// catches up.
func TestRemoveAndRejoin(t *testing.T) {
	c := startCluster(t)
	leader := c.WaitLeader(10 * time.Second)
	gone := followers(c, leader)[1]
	leader.MustCLI("app", "create", "before-remove")
	leader.MustCLI("cluster", "remove", gone.ID)
	gone.Stop()
	var st nodetest.Status
	if err := json.Unmarshal([]byte(leader.MustCLI("-o", "json", "cluster", "status")), &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Nodes) != 2 {
		t.Fatalf("after remove: got %d members, want 2", len(st.Nodes))
	}
	if r := leader.CLI("cluster", "remove", "nope"); r.Code != 1 || !strings.Contains(r.Stderr, "nope") {
		t.Fatalf("remove of a non-member: got exit %d %q, want 1 naming it", r.Code, r.Stderr)
	}
	leader.MustCLI("app", "create", "while-removed")
	if err := os.RemoveAll(gone.DataDir); err != nil {
		t.Fatal(err)
	}
	// A join with a wrong token is refused and the node exits; the same data dir then joins with the right one.
	code, logs := gone.RunToExit(30*time.Second, "--join", leader.AdminURL(), "--token", "pat_wrong")
	if code == 0 || !strings.Contains(logs, "401") {
		t.Fatalf("join with a wrong token: got exit %d, want a refusal naming 401; logs:\n%s", code, logs)
	}
	c.Join(gone, followers(c, leader)[0])
	c.WaitConverged(30 * time.Second)
	if names := appNames(t, gone, true); !slices.Equal(names, []string{"before-remove", "while-removed"}) {
		t.Fatalf("rejoined node's apps: got %v", names)
	}
}

func createKeyWithID(t *testing.T, n *nodetest.Node, app, api string) (id, key string) {
	t.Helper()
	var out struct{ ID, Key string }
	if err := json.Unmarshal([]byte(n.MustCLI("-o", "json", "key", "create", "--app", app, "--api", api)), &out); err != nil {
		t.Fatalf("key create output: %v", err)
	}
	if out.ID == "" || out.Key == "" {
		t.Fatalf("key create: got %+v, want an id and a key", out)
	}
	return out.ID, out.Key
}
