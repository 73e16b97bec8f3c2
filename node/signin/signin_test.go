package signin

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// clock is a settable time source.
type clock struct{ now atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Unix(0, c.now.Load()) }
func (c *clock) advance(d time.Duration) { c.now.Add(int64(d)) }

func newGuard(cfg Config) (*Guard, *clock) {
	c := &clock{}
	c.now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	cfg.Now = c.Now
	return New(cfg), c
}

func TestLimits(t *testing.T) {
	type step struct {
		advance   time.Duration
		addr      string
		user      string
		fail      bool // record a failure after the check
		succeed   bool // record a success after the check
		limited   bool // the check refuses
		perUser   bool // ... for the user's allowance
		retryWant time.Duration
	}
	fails := func(n int, addr, user string) []step {
		s := make([]step, n)
		for i := range s {
			s[i] = step{addr: addr, user: user, fail: true}
		}
		return s
	}
	cat := func(parts ...[]step) []step {
		var out []step
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"a user's allowance at one address", cat(fails(3, "a1", "alice"),
			[]step{{addr: "a1", user: "alice", limited: true, perUser: true, retryWant: time.Minute}})},
		{"other users and addresses unaffected", cat(fails(3, "a1", "alice"),
			[]step{{addr: "a1", user: "bob"}, {addr: "a2", user: "alice"}})},
		{"the address's allowance across users", cat(fails(2, "a1", "u1"), fails(2, "a1", "u2"), fails(1, "a1", "u3"),
			[]step{{addr: "a1", user: "u4", limited: true, retryWant: time.Minute}, {addr: "a2", user: "u4"}})},
		{"the window ends", cat(fails(3, "a1", "alice"),
			[]step{{advance: 40 * time.Second, addr: "a1", user: "alice", limited: true, perUser: true, retryWant: 20 * time.Second},
				{advance: 20 * time.Second, addr: "a1", user: "alice"}})},
		{"a success clears the user's count, not the address's", cat(fails(2, "a1", "alice"),
			[]step{{addr: "a1", user: "alice", succeed: true}}, fails(2, "a1", "alice"),
			[]step{{addr: "a1", user: "alice"}}, fails(1, "a1", "bob"),
			[]step{{addr: "a1", user: "carol", limited: true, retryWant: time.Minute}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, c := newGuard(Config{PerAddr: 5, PerUser: 3, Window: time.Minute})
			for i, s := range tt.steps {
				c.advance(s.advance)
				err := g.Check(s.addr, s.user)
				var le *LimitedError
				if limited := errors.As(err, &le); limited != s.limited {
					t.Fatalf("step %d (%s/%s): got %v, want limited %v", i, s.addr, s.user, err, s.limited)
				}
				if s.limited && (le.PerUser != s.perUser || le.RetryAfter != s.retryWant) {
					t.Fatalf("step %d: got per-user %v retry %v, want %v %v", i, le.PerUser, le.RetryAfter, s.perUser,
						s.retryWant)
				}
				if s.fail {
					g.Failed(s.addr, s.user)
				}
				if s.succeed {
					g.Succeeded(s.addr, s.user)
				}
			}
		})
	}
}

func TestMemoryBounded(t *testing.T) {
	g, c := newGuard(Config{MaxKeys: 100})
	for i := range 10_000 {
		g.Failed(fmt.Sprintf("10.0.%d.%d", i/256, i%256), "alice")
		if i%1000 == 0 {
			c.advance(time.Second)
		}
		if n := g.Len(); n > 100 {
			t.Fatalf("after %d addresses: %d counters, want at most 100", i+1, n)
		}
	}
}

func TestDeriveBoundsConcurrency(t *testing.T) {
	g := New(Config{Derivations: 2, Wait: 5 * time.Second})
	var running, peak atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := g.Derive(context.Background(), func() {
				n := running.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				<-release
				running.Add(-1)
			}); err != nil {
				t.Error(err)
			}
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for running.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	if p := peak.Load(); p != 2 {
		t.Fatalf("got at most %d derivations at once, want 2", p)
	}
}

func TestDeriveGivesUp(t *testing.T) {
	g := New(Config{Derivations: 1, Wait: 50 * time.Millisecond})
	hold := make(chan struct{})
	started := make(chan struct{})
	go func() { _ = g.Derive(context.Background(), func() { close(started); <-hold }) }()
	<-started
	ran := false
	if err := g.Derive(context.Background(), func() { ran = true }); !errors.Is(err, ErrBusy) || ran {
		t.Fatalf("got %v (ran %v), want ErrBusy without running", err, ran)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := g.Derive(ctx, func() { ran = true }); !errors.Is(err, ErrBusy) || !errors.Is(err, context.Canceled) || ran {
		t.Fatalf("got %v (ran %v), want ErrBusy with the context's error", err, ran)
	}
	close(hold)
}

func TestNilGuardAllows(t *testing.T) {
	var g *Guard
	g.Failed("a", "u")
	g.Succeeded("a", "u")
	ran := false
	if err := g.Check("a", "u"); err != nil {
		t.Fatal(err)
	}
	if err := g.Derive(context.Background(), func() { ran = true }); err != nil || !ran {
		t.Fatalf("got %v, ran %v", err, ran)
	}
}

func TestAddr(t *testing.T) {
	tests := []struct{ in, want string }{
		{"192.0.2.7:51234", "192.0.2.7"},
		{"[::ffff:192.0.2.7]:1", "192.0.2.7"},
		{"[2001:db8:1:2:3:4:5:6]:443", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:ffff::1]:443", "2001:db8:1:2::/64"},
		{"not-an-address", "not-an-address"},
	}
	for _, tt := range tests {
		if got := Addr(tt.in); got != tt.want {
			t.Errorf("Addr(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}
