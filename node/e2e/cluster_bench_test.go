package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"portico/node/nodetest"
)

// The cluster benchmarks run three real node processes on loopback (make bench-cluster). They report the numbers
// the cluster promises as custom metrics: deploy propagation, write throughput through a follower, failover time.

// deployBody is an API file (JSON) whose backend path makes every deploy a change.
func deployBody(i int) string {
	return fmt.Sprintf(`{"name":"prop","version":"1.0","context":"/prop","security":["api-key"],`+
		`"endpoints":{"production":["http://127.0.0.1:9/r%d"]},"operations":[{"method":"GET","path":"/x"}]}`, i)
}

// BenchmarkClusterDeployPropagation deploys b.N changed revisions through a follower with ?wait=all and reports,
// over the deploys, the p50 and p99 of the slowest node's lag (from the leader accepting the write to that node
// serving it, measured by the leader) and of the whole call as the client sees it.
func BenchmarkClusterDeployPropagation(b *testing.B) {
	c := nodetest.NewCluster(b, nodeIDs)
	c.Start()
	via := followersOf(c)[0]
	deploy(b, via, 0) // the first deploy compiles the api-key policy on every node; not measured
	lags := make([]float64, 0, b.N)
	calls := make([]float64, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		maxLag := deploy(b, via, i+1)
		calls = append(calls, float64(time.Since(start).Microseconds())/1000)
		lags = append(lags, maxLag)
	}
	b.StopTimer()
	b.ReportMetric(percentile(lags, 50), "lag-p50-ms")
	b.ReportMetric(percentile(lags, 99), "lag-p99-ms")
	b.ReportMetric(percentile(calls, 50), "call-p50-ms")
	b.ReportMetric(percentile(calls, 99), "call-p99-ms")
}

// deploy sends one deploy with ?wait=all to n and returns the largest per-node lag in ms.
func deploy(b *testing.B, n *nodetest.Node, i int) float64 {
	b.Helper()
	r := adminRaw(n, http.MethodPost, "/v1/apis?wait=all", "application/json", deployBody(i))
	if r.status != http.StatusOK {
		b.Fatalf("deploy %d: %d %s %v", i, r.status, r.body, r.err)
	}
	var out struct {
		Propagation struct {
			Complete bool
			Nodes    []struct{ LagMs float64 }
		}
	}
	if err := json.Unmarshal(r.body, &out); err != nil || !out.Propagation.Complete {
		b.Fatalf("deploy %d: propagation %s (%v)", i, r.body, err)
	}
	worst := 0.0
	for _, nl := range out.Propagation.Nodes {
		worst = max(worst, nl.LagMs)
	}
	return worst
}

// BenchmarkClusterWriteThroughput creates b.N applications through a follower from 8 concurrent clients and
// reports acknowledged writes per second.
func BenchmarkClusterWriteThroughput(b *testing.B) {
	c := nodetest.NewCluster(b, nodeIDs)
	c.Start()
	via := followersOf(c)[0]
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				r := adminRaw(via, http.MethodPost, "/v1/apps", "application/json", fmt.Sprintf(`{"name":"tp-%d"}`, i))
				if r.status != http.StatusOK && r.status != http.StatusCreated {
					b.Errorf("write %d: %d %s %v", i, r.status, r.body, r.err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "writes/s")
}

// BenchmarkClusterFailover kills the leader with SIGKILL b.N times and reports the time from the kill to the first
// write accepted through a surviving node (which retries every 20 ms), then restarts the old leader.
func BenchmarkClusterFailover(b *testing.B) {
	c := nodetest.NewCluster(b, nodeIDs)
	c.Start()
	times := make([]float64, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		leader := c.WaitLeader(20 * time.Second)
		via := followersOf(c)[0]
		if via == leader {
			via = followersOf(c)[1]
		}
		leader.Kill()
		killed := time.Now()
		for attempt := 0; ; attempt++ {
			if attempt > 1000 {
				b.Fatal("no write accepted within 1000 attempts after the kill")
			}
			r := adminRaw(via, http.MethodPost, "/v1/apps", "application/json", fmt.Sprintf(`{"name":"fo-%d-%d"}`, i, attempt))
			if r.status == http.StatusOK || r.status == http.StatusCreated {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		times = append(times, float64(time.Since(killed).Milliseconds()))
		leader.Start()
		c.WaitConverged(30 * time.Second)
	}
	b.StopTimer()
	b.ReportMetric(percentile(times, 50), "failover-p50-ms")
	b.ReportMetric(slices.Max(times), "failover-max-ms")
}

// followersOf returns the nodes that are not the current leader.
func followersOf(c *nodetest.Cluster) []*nodetest.Node {
	return followers(c, c.WaitLeader(20*time.Second))
}

// adminRaw sends body as is (not JSON-encoded again) with the cluster token.
func adminRaw(n *nodetest.Node, method, path, ctype, body string) adminResult {
	req, err := http.NewRequest(method, n.AdminURL()+path, strings.NewReader(body))
	if err != nil {
		return adminResult{err: err}
	}
	req.Header.Set("Authorization", "Bearer "+n.Token)
	req.Header.Set("Content-Type", ctype)
	return doAdmin(req)
}

// percentile is the p-th percentile (nearest rank) of xs.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// BenchmarkClusterRevocation revokes b.N access tokens on one node and reports the p50 and p99 of the time from
// sending the revocation to every node of the cluster refusing the token (each node polled every millisecond).
func BenchmarkClusterRevocation(b *testing.B) {
	be := newBackendB(b)
	c := nodetest.NewCluster(b, nodeIDs)
	c.Start()
	n1, n3 := c.Nodes[0], c.Nodes[2]
	api := strings.ReplaceAll("name: rev\nversion: \"1.0\"\ncontext: /rev\nsecurity: [oauth2]\nendpoints:\n  production: [{{BACKEND}}]\noperations:\n  - method: GET\n    path: /x\n", "{{BACKEND}}", be)
	r := adminRaw(n1, http.MethodPost, "/v1/apis?wait=all", "application/yaml", api)
	if r.status != http.StatusOK {
		b.Fatalf("deploy: %d %s", r.status, r.body)
	}
	adminRaw(n1, http.MethodPost, "/v1/apps", "application/json", `{"name":"rev"}`)
	if r := adminRaw(n1, http.MethodPost, "/v1/subscriptions", "application/json", `{"app":"rev","api":"rev","major":1,"plan":"Gold"}`); r.status != http.StatusCreated {
		b.Fatalf("subscribe: %d %s", r.status, r.body)
	}
	r = adminRaw(n1, http.MethodPost, "/v1/apps/rev/credentials", "application/json", `{"env":"production"}`)
	var cred struct{ ClientID, ClientSecret string }
	if err := json.Unmarshal(r.body, &cred); err != nil || cred.ClientSecret == "" {
		b.Fatalf("credentials: %d %s", r.status, r.body)
	}
	waitSigningKey(b, c)
	lags := make([]float64, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		tok := clientToken(b, n1, cred.ClientID, cred.ClientSecret)
		for _, n := range c.Nodes {
			waitTokenStatus(b, n, tok, http.StatusOK)
		}
		b.StartTimer()
		start := time.Now()
		revoke(b, n3, cred.ClientID, cred.ClientSecret, tok)
		for _, n := range c.Nodes {
			waitTokenStatus(b, n, tok, http.StatusUnauthorized)
		}
		lags = append(lags, float64(time.Since(start).Microseconds())/1000)
	}
	b.StopTimer()
	b.ReportMetric(percentile(lags, 50), "refused-everywhere-p50-ms")
	b.ReportMetric(percentile(lags, 99), "refused-everywhere-p99-ms")
}

func newBackendB(b *testing.B) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	b.Cleanup(srv.Close)
	return srv.URL
}

func clientToken(b *testing.B, n *nodetest.Node, id, secret string) string {
	status, out := oauthPost(b, n, "/oauth2/token", id, secret, url.Values{"grant_type": {"client_credentials"}})
	if status != http.StatusOK || out.AccessToken == "" {
		b.Fatalf("token: %d %+v", status, out)
	}
	return out.AccessToken
}

func revoke(b *testing.B, n *nodetest.Node, id, secret, tok string) {
	if status, out := oauthPost(b, n, "/oauth2/revoke", id, secret, url.Values{"token": {tok}}); status != http.StatusOK {
		b.Fatalf("revoke: %d %+v", status, out)
	}
}

func waitTokenStatus(b *testing.B, n *nodetest.Node, tok string, want int) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, _ := call(http.MethodGet, n.GatewayURL()+"/rev/v1/x", map[string]string{"Authorization": "Bearer " + tok})
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("%s: got %d, want %d within 10s", n.ID, got, want)
		}
		time.Sleep(time.Millisecond)
	}
}
