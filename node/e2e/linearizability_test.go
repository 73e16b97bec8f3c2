package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"portico/node/nodetest"
)

// kvInput is one operation on a register: get, put or delete of an API version whose production endpoint holds
// the register's value.
type kvInput struct {
	Op  byte // 'g', 'p', 'd'
	Key string
	Val string
}

type kvOutput struct {
	Val     string
	OK      bool // delete: the API existed
	Unknown bool // a write whose outcome the client could not learn
}

// kvModel is a register per key. Writes whose outcome is unknown may or may not have happened.
var kvModel = porcupine.Model{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		for _, op := range h {
			k := op.Input.(kvInput).Key
			byKey[k] = append(byKey[k], op)
		}
		keys := make([]string, 0, len(byKey))
		for k := range byKey {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() any { return "" },
	Step: func(s, i, o any) (bool, any) {
		st, in, out := s.(string), i.(kvInput), o.(kvOutput)
		switch in.Op {
		case 'g':
			return out.Val == st, st
		case 'p':
			return true, in.Val
		default:
			return out.Unknown || out.OK == (st != ""), ""
		}
	},
	DescribeOperation: func(i, o any) string {
		in, out := i.(kvInput), o.(kvOutput)
		switch in.Op {
		case 'g':
			return fmt.Sprintf("get(%s) → %q", in.Key, out.Val)
		case 'p':
			return fmt.Sprintf("put(%s, %s) unknown=%v", in.Key, in.Val, out.Unknown)
		}
		return fmt.Sprintf("delete(%s) → %v unknown=%v", in.Key, out.OK, out.Unknown)
	},
}

// outcome classifies one admin call.
type outcome int

const (
	done    outcome = iota // answered: the output is known
	failed                 // definitely not applied (or a read that failed): left out of the history
	unknown                // a write that may or may not have been applied
)

// recorder runs operations against the cluster and records the history.
type recorder struct {
	t0      time.Time
	mu      sync.Mutex
	history []porcupine.Operation
	clients atomic.Int64
	client  *http.Client
	token   string
}

func (r *recorder) now() int64 { return int64(time.Since(r.t0)) }

func (r *recorder) add(op porcupine.Operation) {
	r.mu.Lock()
	r.history = append(r.history, op)
	r.mu.Unlock()
}

// do runs one operation on node n and records it. It returns whether the client must continue under a new ID (an
// unknown write stays pending forever).
func (r *recorder) do(clientID int, n *nodetest.Node, in kvInput) (newClient bool) {
	call := r.now()
	out, oc := r.call(n, in)
	ret := r.now()
	switch oc {
	case failed:
		return false
	case unknown:
		out.Unknown = true
		ret = math.MaxInt64
	}
	r.add(porcupine.Operation{ClientId: clientID, Input: in, Call: call, Output: out, Return: ret})
	return oc == unknown
}

func (r *recorder) call(n *nodetest.Node, in kvInput) (kvOutput, outcome) {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	var req *http.Request
	path := "/v1/apis/" + in.Key + "/1.0"
	switch in.Op {
	case 'g':
		req, _ = http.NewRequestWithContext(ctx, http.MethodGet, n.AdminURL()+path, nil)
	case 'p':
		body := fmt.Sprintf(`{"name":%q,"version":"1.0","context":"/%s","security":["none"],`+
			`"endpoints":{"production":["http://127.0.0.1:9/%s"]},"operations":[{"method":"GET","path":"/x"}]}`,
			in.Key, in.Key, in.Val)
		req, _ = http.NewRequestWithContext(ctx, http.MethodPost, n.AdminURL()+"/v1/apis", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	default:
		req, _ = http.NewRequestWithContext(ctx, http.MethodDelete, n.AdminURL()+path, nil)
	}
	req.Header.Set("Authorization", "Bearer "+r.token)
	if in.Op != 'g' {
		req.Header.Set("Idempotency-Key", fmt.Sprintf("lin-%d", rand.Int64()))
	}
	// A request is known not to have arrived only if its headers were never written (the transport may resend a
	// request with an Idempotency-Key on a new connection after the first one broke).
	var wrote atomic.Bool
	req = req.WithContext(httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteHeaders: func() { wrote.Store(true) }}))
	resp, err := r.client.Do(req)
	if err != nil {
		var op *net.OpError
		if in.Op == 'g' || (!wrote.Load() && errors.As(err, &op) && op.Op == "dial") {
			return kvOutput{}, failed
		}
		return kvOutput{}, unknown
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		if in.Op == 'g' {
			return kvOutput{}, failed
		}
		return kvOutput{}, unknown
	}
	return classify(in, resp.StatusCode, body)
}

// classify turns an answer into an output: reads that failed and writes refused before being applied are left out;
// a 503 that does not say nothing was applied is an unknown outcome.
func classify(in kvInput, status int, body []byte) (kvOutput, outcome) {
	switch {
	case in.Op == 'g' && status == http.StatusOK:
		var api struct {
			Endpoints struct{ Production []string }
		}
		if json.Unmarshal(body, &api) != nil || len(api.Endpoints.Production) != 1 {
			return kvOutput{}, failed
		}
		return kvOutput{Val: filepath.Base(api.Endpoints.Production[0])}, done
	case in.Op == 'g' && status == http.StatusNotFound:
		return kvOutput{Val: ""}, done
	case in.Op == 'g':
		return kvOutput{}, failed
	case status == http.StatusOK || status == http.StatusCreated:
		return kvOutput{OK: true}, done
	case in.Op == 'd' && status == http.StatusNotFound:
		return kvOutput{OK: false}, done
	case status == http.StatusServiceUnavailable && bytes.Contains(body, []byte("nothing was applied")):
		return kvOutput{}, failed
	case status >= 500:
		return kvOutput{}, unknown
	}
	return kvOutput{}, failed
}

// TestLinearizableUnderFaults records concurrent admin writes and reads by several clients against different nodes
// while the leader is killed and restarted and a follower is partitioned and healed, and checks the history with
// Porcupine. An inconclusive check fails the test.
func TestLinearizableUnderFaults(t *testing.T) {
	c := startCluster(t, nodetest.WithProxies())
	rec := &recorder{t0: time.Now(), client: &http.Client{}, token: c.Token}
	keys := []string{"k0", "k1", "k2", "k3", "k4"}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var seq atomic.Int64
	const workers = 4
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := int(rec.clients.Add(1) - 1)
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			for i := 0; i < 5000; i++ {
				select {
				case <-stop:
					return
				default:
				}
				n := c.Nodes[rng.IntN(len(c.Nodes))]
				in := kvInput{Key: keys[rng.IntN(len(keys))]}
				switch p := rng.IntN(100); {
				case p < 50:
					in.Op = 'g'
				case p < 85:
					in.Op, in.Val = 'p', fmt.Sprintf("v%d", seq.Add(1))
				default:
					in.Op = 'd'
				}
				if rec.do(id, n, in) {
					id = int(rec.clients.Add(1) - 1)
				}
			}
		}()
	}
	faults(t, c)
	close(stop)
	wg.Wait()

	rec.mu.Lock()
	history := rec.history
	rec.mu.Unlock()
	counts := map[byte]int{}
	for _, op := range history {
		counts[op.Input.(kvInput).Op]++
	}
	t.Logf("history: %d operations (gets %d, puts %d, deletes %d), %d client ids", len(history), counts['g'],
		counts['p'], counts['d'], rec.clients.Load())
	if counts['g'] < 50 || counts['p'] < 50 {
		t.Fatalf("too few operations recorded to check anything: %v", counts)
	}
	res, info := porcupine.CheckOperationsVerbose(kvModel, history, 90*time.Second)
	switch res {
	case porcupine.Ok:
	case porcupine.Illegal:
		path := filepath.Join(os.TempDir(), fmt.Sprintf("portico-linearizability-%d.html", time.Now().UnixNano()))
		if err := porcupine.VisualizePath(kvModel, info, path); err != nil {
			t.Logf("writing the visualization: %v", err)
		}
		if b, err := json.Marshal(history); err == nil {
			_ = os.WriteFile(strings.TrimSuffix(path, ".html")+".json", b, 0o600)
		}
		for _, n := range c.Nodes {
			t.Logf("logs of %s:\n%s", n.ID, tail(n.Logs(), 4000))
		}
		t.Fatalf("history is not linearizable; visualization in %s", path)
	default:
		t.Fatalf("linearizability check inconclusive (%v) within the time bound", res)
	}
}

// faults injects one fault at a time while the clients run: kill -9 of the leader and its restart, a partition of a
// follower and its healing, then a pause of the leader (SIGSTOP, longer than an election) and its resumption.
func faults(t *testing.T, c *nodetest.Cluster) {
	t.Helper()
	time.Sleep(3 * time.Second)
	leader := c.WaitLeader(10 * time.Second)
	leader.Kill()
	time.Sleep(3 * time.Second)
	leader.Start()
	time.Sleep(2 * time.Second)
	leader = c.WaitLeader(15 * time.Second)
	cut := followers(c, leader)[0]
	c.Isolate(cut.ID)
	time.Sleep(3 * time.Second)
	c.Heal()
	time.Sleep(2 * time.Second)
	leader = c.WaitLeader(15 * time.Second)
	leader.Pause()
	time.Sleep(3 * time.Second)
	leader.Resume()
	time.Sleep(3 * time.Second)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
