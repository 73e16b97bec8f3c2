package raftstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// newCluster opens n stores with IDs node1..nodeN: node1 bootstraps, the others join it. edit, if set, adjusts each
// config before it is opened.
func newCluster(t *testing.T, n int, edit func(i int, cfg *Config)) []*Store {
	t.Helper()
	stores := make([]*Store, n)
	for i := range n {
		cfg := testConfig(t, t.TempDir(), i == 0)
		cfg.ID = fmt.Sprintf("node%d", i+1)
		if edit != nil {
			edit(i, &cfg)
		}
		stores[i] = openStore(t, cfg)
		if i == 0 {
			waitReadyLeader(t, stores[0])
			continue
		}
		mustJoin(t, stores[0], cfg.ID, stores[i].Addr())
	}
	waitSameIndex(t, stores)
	return stores
}

func mustJoin(t *testing.T, leader *Store, id, addr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	if err := leader.Join(ctx, id, addr); err != nil {
		t.Fatalf("join %s at %s: %v", id, addr, err)
	}
}

// waitSameIndex waits until every store has applied the first store's latest state.
func waitSameIndex(t *testing.T, stores []*Store) {
	t.Helper()
	want := stores[0].State().Index
	for i, s := range stores {
		waitFor(t, fmt.Sprintf("store %d at index %d", i, want), func() bool { return s.State().Index >= want })
	}
}

func ctxWait(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func memberIDs(t *testing.T, s *Store) []string {
	t.Helper()
	members, err := s.Members()
	if err != nil {
		t.Fatalf("members: %v", err)
	}
	var ids []string
	for _, m := range members {
		ids = append(ids, fmt.Sprintf("%s=%s voter=%v", m.ID, m.RaftAddr, m.Voter))
	}
	return ids
}

func TestClusterMembership(t *testing.T) {
	stores := newCluster(t, 3, nil)
	leader, f2 := stores[0], stores[1]
	want := []string{
		"node1=" + leader.Addr() + " voter=true",
		"node2=" + f2.Addr() + " voter=true",
		"node3=" + stores[2].Addr() + " voter=true",
	}
	if got := memberIDs(t, leader); !slices.Equal(got, want) {
		t.Fatalf("got members %v, want %v", got, want)
	}
	for i, s := range stores {
		wantState := map[bool]string{true: "leader", false: "follower"}[i == 0]
		if got := s.RaftState(); got != wantState {
			t.Errorf("store %d: got raft state %q, want %q", i, got, wantState)
		}
		waitFor(t, "same term everywhere", func() bool { return s.Term() == leader.Term() && s.Term() > 0 })
	}
	mustApply(t, leader, "r1", testApp("app1", "shop"))
	for i, s := range stores {
		waitFor(t, fmt.Sprintf("app on store %d", i), func() bool { return s.State().Apps["app1"] != nil })
	}

	t.Run("join again is a no-op", func(t *testing.T) {
		if err := leader.Join(ctxWait(t, testWait), "node2", f2.Addr()); err != nil {
			t.Fatalf("got %v, want nil", err)
		}
		if got := memberIDs(t, leader); !slices.Equal(got, want) {
			t.Errorf("got members %v, want %v", got, want)
		}
	})
	refusals := []struct {
		name  string
		call  func() error
		check func(error) bool
	}{
		{"join on a follower", func() error { return f2.Join(ctxWait(t, testWait), "node9", "127.0.0.1:1") }, isNotLeader},
		{"remove on a follower", func() error { return f2.Remove(ctxWait(t, testWait), "node3") }, isNotLeader},
		{"join with a member's address", func() error { return leader.Join(ctxWait(t, testWait), "node9", f2.Addr()) }, hasCode(CodeConflict)},
		{"join without address", func() error { return leader.Join(ctxWait(t, testWait), "node9", "") }, hasCode(CodeInvalid)},
		{"remove a non-member", func() error { return leader.Remove(ctxWait(t, testWait), "node9") }, hasCode(CodeNotFound)},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !tt.check(err) {
				t.Errorf("got %v, want the refusal", err)
			}
			if got := memberIDs(t, leader); !slices.Equal(got, want) {
				t.Errorf("got members %v, want %v", got, want)
			}
		})
	}

	t.Run("wiped node rejoins at a new address", func(t *testing.T) {
		if err := stores[2].Close(); err != nil {
			t.Fatalf("close: %v", err)
		}
		cfg := testConfig(t, t.TempDir(), false)
		cfg.ID = "node3"
		fresh := openStore(t, cfg)
		mustJoin(t, leader, "node3", fresh.Addr())
		want[2] = "node3=" + fresh.Addr() + " voter=true"
		if got := memberIDs(t, leader); !slices.Equal(got, want) {
			t.Errorf("got members %v, want %v", got, want)
		}
		waitFor(t, "rejoined node has the state", func() bool { return fresh.State().Apps["app1"] != nil })
		stores[2] = fresh
	})

	t.Run("remove", func(t *testing.T) {
		if err := leader.Remove(ctxWait(t, testWait), "node3"); err != nil {
			t.Fatalf("remove: %v", err)
		}
		if got := memberIDs(t, leader); !slices.Equal(got, want[:2]) {
			t.Errorf("got members %v, want %v", got, want[:2])
		}
		mustApply(t, leader, "r2", testApp("app2", "blog"))
		waitFor(t, "write after remove on node2", func() bool { return f2.State().Apps["app2"] != nil })
		waitFor(t, "removed node no longer sees the cluster", func() bool {
			return stores[2].State().Apps["app2"] == nil && !stores[2].IsLeader()
		})
	})
}

func isNotLeader(err error) bool { return errors.Is(err, ErrNotLeader) }

func hasCode(code string) func(error) bool {
	return func(err error) bool { return applyCode(err) == code }
}

// countingLayer is a plain TCP raft.StreamLayer that counts the connections it dials and accepts.
type countingLayer struct {
	net.Listener
	dials, accepts atomic.Int64
}

func newCountingLayer(t *testing.T) *countingLayer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	return &countingLayer{Listener: ln}
}

func (l *countingLayer) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.accepts.Add(1)
	}
	return c, err
}

func (l *countingLayer) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	l.dials.Add(1)
	return net.DialTimeout("tcp", string(addr), timeout)
}

var _ raft.StreamLayer = (*countingLayer)(nil)

// forwarder relays every TCP connection it accepts to target and counts them.
type forwarder struct {
	ln     net.Listener
	target string
	conns  atomic.Int64
	mu     sync.Mutex
	open   []net.Conn
	wg     sync.WaitGroup
}

func newForwarder(t *testing.T, target string) *forwarder {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	f := &forwarder{ln: ln, target: target}
	f.wg.Add(1)
	go f.serve()
	t.Cleanup(f.close)
	return f
}

func (f *forwarder) addr() string { return f.ln.Addr().String() }

func (f *forwarder) serve() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.conns.Add(1)
		up, err := net.DialTimeout("tcp", f.target, time.Second)
		if err != nil {
			_ = c.Close()
			continue
		}
		f.track(c, up)
		f.wg.Add(2)
		go f.pipe(c, up)
		go f.pipe(up, c)
	}
}

func (f *forwarder) track(cs ...net.Conn) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.open = append(f.open, cs...)
}

func (f *forwarder) pipe(dst, src net.Conn) {
	defer f.wg.Done()
	_, _ = io.Copy(dst, src)
	_ = dst.Close()
	_ = src.Close()
}

func (f *forwarder) close() {
	_ = f.ln.Close()
	f.mu.Lock()
	for _, c := range f.open {
		_ = c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

func TestStreamLayerAndPeerAddrs(t *testing.T) {
	// node1 and node2 run on counting stream layers; node1 reaches node2 through a forwarder named in PeerAddrs, and
	// node3 (not listed) at its configured address.
	layer1, layer2 := newCountingLayer(t), newCountingLayer(t)
	fwd := newForwarder(t, layer2.Addr().String())
	stores := newCluster(t, 3, func(i int, cfg *Config) {
		switch i {
		case 0:
			cfg.RaftAddr, cfg.StreamLayer = "", layer1
			cfg.PeerAddrs = map[string]string{"node2": fwd.addr()}
		case 1:
			cfg.RaftAddr, cfg.StreamLayer = "", layer2
		}
	})
	for i, layer := range []*countingLayer{layer1, layer2} {
		if got, want := stores[i].Addr(), layer.Addr().String(); got != want {
			t.Errorf("store %d: got advertised address %s, want the stream layer's %s", i, got, want)
		}
	}
	mustApply(t, stores[0], "r1", testApp("app1", "shop"))
	for i, s := range stores {
		waitFor(t, fmt.Sprintf("app on store %d", i), func() bool { return s.State().Apps["app1"] != nil })
	}
	if got := memberIDs(t, stores[0])[1]; got != "node2="+layer2.Addr().String()+" voter=true" {
		t.Errorf("got member %s, want node2 at its own address (the override only changes dialling)", got)
	}
	waitFor(t, "every connection to node2 through the forwarder", func() bool {
		return fwd.conns.Load() > 0 && fwd.conns.Load() == layer2.accepts.Load()
	})
	if layer1.dials.Load() < 2 {
		t.Errorf("got %d dials from node1's stream layer, want at least one per follower", layer1.dials.Load())
	}
}

func TestPeerAddrsProvider(t *testing.T) {
	stores := newCluster(t, 2, nil)
	p := newPeerAddrs(map[string]string{"node2": "127.0.0.1:9"})
	tests := []struct {
		name, id, want string
		withRaft       bool
	}{
		{"listed", "node2", "127.0.0.1:9", false},
		{"unlisted before raft starts", "node1", "", false},
		{"unlisted", "node1", stores[0].Addr(), true},
		{"unknown", "node7", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.withRaft {
				p.raft.Store(stores[0].raft)
			}
			got, err := p.ServerAddr(raft.ServerID(tt.id))
			if string(got) != tt.want || (err != nil) != (tt.want == "") {
				t.Errorf("got %q (%v), want %q", got, err, tt.want)
			}
		})
	}
	if newPeerAddrs(nil) != nil {
		t.Errorf("got a provider without overrides, want none")
	}
}

func TestOpenWithStreamLayerNeedsNoAddress(t *testing.T) {
	layer := newCountingLayer(t)
	cfg := testConfig(t, t.TempDir(), true)
	cfg.RaftAddr, cfg.StreamLayer = "", layer
	s := openStore(t, cfg)
	waitReadyLeader(t, s)
	members, err := s.Members()
	if err != nil || len(members) != 1 || members[0].RaftAddr != layer.Addr().String() {
		t.Errorf("got members %+v (%v), want node1 at %s", members, err, layer.Addr())
	}
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if _, err := layer.Accept(); err == nil {
		t.Errorf("got the stream layer still accepting after Close, want it closed")
	}
}

func TestOpenFailureClosesStreamLayer(t *testing.T) {
	layer := newCountingLayer(t)
	cfg := testConfig(t, t.TempDir(), true)
	cfg.ID, cfg.StreamLayer = "", layer
	if s, err := Open(cfg); err == nil {
		_ = s.Close()
		t.Fatalf("got a store without an id, want an error")
	}
	if _, err := layer.Accept(); err == nil {
		t.Errorf("got the stream layer still accepting after a failed Open, want it closed")
	}
}
