// Package signin guards password sign-ins on a node: it limits failed attempts per client address and per user at
// that address, and bounds how many password derivations run at once, so that guessing passwords is slow and a
// flood of sign-ins cannot take the CPU the gateway needs for API traffic.
//
// The limits are per node: a client spreading guesses over the nodes of a cluster gets each node's allowance.
package signin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"time"
)

// Defaults of Config.
const (
	DefaultPerAddr = 20          // failed sign-ins per client address and window
	DefaultPerUser = 5           // failed sign-ins per user name and client address and window
	DefaultWindow  = time.Minute // the counting window
	DefaultMaxKeys = 100_000     // counters kept at most (addresses plus address-user pairs)
	DefaultWait    = 3 * time.Second
)

// ErrBusy is returned by Derive when no derivation slot freed up in time.
var ErrBusy = errors.New("too many sign-ins in progress")

// Config sets the limits; zero fields get the defaults.
type Config struct {
	PerAddr, PerUser int
	Window           time.Duration
	MaxKeys          int
	// Derivations is how many password derivations may run at once: by default half the CPUs, at least one.
	Derivations int
	// Wait bounds how long Derive waits for a slot.
	Wait time.Duration
	Now  func() time.Time
}

// Guard counts failed sign-ins and runs password derivations. Safe for concurrent use; a nil *Guard allows
// everything.
type Guard struct {
	cfg   Config
	slots chan struct{}

	mu       sync.Mutex
	counters map[string]*counter
}

type counter struct {
	start time.Time // of the current window
	fails int
}

// New returns a Guard with cfg's limits.
func New(cfg Config) *Guard {
	if cfg.PerAddr <= 0 {
		cfg.PerAddr = DefaultPerAddr
	}
	if cfg.PerUser <= 0 {
		cfg.PerUser = DefaultPerUser
	}
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.MaxKeys <= 0 {
		cfg.MaxKeys = DefaultMaxKeys
	}
	if cfg.Derivations <= 0 {
		cfg.Derivations = max(1, runtime.GOMAXPROCS(0)/2)
	}
	if cfg.Wait <= 0 {
		cfg.Wait = DefaultWait
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Guard{cfg: cfg, slots: make(chan struct{}, cfg.Derivations), counters: map[string]*counter{}}
}

// LimitedError refuses a sign-in attempt; RetryAfter is when the window that filled up ends.
type LimitedError struct {
	RetryAfter time.Duration
	PerUser    bool // the user's allowance at this address ran out, else the address's
}

func (e *LimitedError) Error() string {
	who := "this address"
	if e.PerUser {
		who = "this user from this address"
	}
	return fmt.Sprintf("too many failed sign-ins for %s; retry in %d s", who, RetrySeconds(e.RetryAfter))
}

// RetrySeconds rounds a wait up to whole seconds, at least one (the unit of Retry-After).
func RetrySeconds(d time.Duration) int {
	return max(1, int((d+time.Second-1)/time.Second))
}

// Check returns a *LimitedError when a sign-in of user from addr may not be attempted now, else nil. It counts
// nothing: Failed does.
func (g *Guard) Check(addr, user string) error {
	if g == nil {
		return nil
	}
	now := g.cfg.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if wait := g.full(addrKey(addr), g.cfg.PerAddr, now); wait > 0 {
		return &LimitedError{RetryAfter: wait}
	}
	if wait := g.full(userKey(addr, user), g.cfg.PerUser, now); wait > 0 {
		return &LimitedError{RetryAfter: wait, PerUser: true}
	}
	return nil
}

// Failed counts a failed sign-in of user from addr.
func (g *Guard) Failed(addr, user string) {
	if g == nil {
		return
	}
	now := g.cfg.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.count(addrKey(addr), now)
	g.count(userKey(addr, user), now)
}

// Succeeded forgets the failed sign-ins of user from addr (not those of the address: other users' guesses from it
// still count).
func (g *Guard) Succeeded(addr, user string) {
	if g == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.counters, userKey(addr, user))
}

// Derive runs f, a password derivation, once a slot is free, waiting at most Config.Wait (or until ctx ends).
func (g *Guard) Derive(ctx context.Context, f func()) error {
	if g == nil {
		f()
		return nil
	}
	t := time.NewTimer(g.cfg.Wait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
	case <-t.C:
		return ErrBusy
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrBusy, ctx.Err())
	}
	defer func() { <-g.slots }()
	f()
	return nil
}

// full returns how long key's window still runs when it holds limit failures, else 0. Called with mu held.
func (g *Guard) full(key string, limit int, now time.Time) time.Duration {
	c, ok := g.counters[key]
	if !ok {
		return 0
	}
	end := c.start.Add(g.cfg.Window)
	if !now.Before(end) || c.fails < limit {
		return 0
	}
	return end.Sub(now)
}

// count adds a failure to key's window, starting a new window when the last one ended. Called with mu held.
func (g *Guard) count(key string, now time.Time) {
	c, ok := g.counters[key]
	if ok && now.Before(c.start.Add(g.cfg.Window)) {
		c.fails++
		return
	}
	if !ok && len(g.counters) >= g.cfg.MaxKeys {
		g.prune(now)
	}
	g.counters[key] = &counter{start: now, fails: 1}
}

// prune drops the counters whose window has ended and, if that is not enough, half of the others: memory stays
// bounded under a flood of addresses, at the price of forgetting some counts. Called with mu held.
func (g *Guard) prune(now time.Time) {
	for k, c := range g.counters {
		if !now.Before(c.start.Add(g.cfg.Window)) {
			delete(g.counters, k)
		}
	}
	for k := range g.counters {
		if len(g.counters) < g.cfg.MaxKeys/2 {
			break
		}
		delete(g.counters, k)
	}
}

// Len reports how many counters are kept.
func (g *Guard) Len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.counters)
}

func addrKey(addr string) string       { return "a\x00" + addr }
func userKey(addr, user string) string { return "u\x00" + addr + "\x00" + user }

// Addr is the client address sign-ins are counted under, from a request's RemoteAddr (the socket peer: forwarding
// headers are the client's to forge). IPv6 addresses count by their /64 prefix, which one client usually holds whole.
func Addr(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}
