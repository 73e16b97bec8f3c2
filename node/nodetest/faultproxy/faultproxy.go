// Package faultproxy is a TCP proxy that injects network faults for partition tests: each directed link between two
// test nodes runs through its own proxy (raft's ServerAddressProvider and the peer HTTP client's address map point a
// node at it), so a test can blackhole, cut, delay and heal one link without root or netem.
package faultproxy

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// dialTimeout bounds the proxy's connection to its target.
const dialTimeout = 5 * time.Second

// state is what the proxy does with bytes and connections.
type state int32

const (
	forwarding state = iota
	blackholed       // connections stay open, bytes are discarded
	cut              // connections are closed, new ones refused
)

// Proxy forwards each accepted connection to a target address, subject to the fault currently set.
type Proxy struct {
	ln     net.Listener
	target string
	state  atomic.Int32
	delay  atomic.Int64 // time.Duration added before forwarding each chunk
	wg     sync.WaitGroup

	mu     sync.Mutex
	links  map[*link]struct{}
	closed bool
}

// New listens on 127.0.0.1:0 and forwards each accepted connection to target.
func New(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening for proxy to %s: %w", target, err)
	}
	p := &Proxy{ln: ln, target: target, links: make(map[*link]struct{})}
	p.wg.Add(1)
	go p.acceptLoop()
	return p, nil
}

// Addr returns the proxy's listen address, host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Blackhole keeps connections open but discards bytes in both directions, on current and new connections.
func (p *Proxy) Blackhole() { p.setState(blackholed) }

// Cut closes all current connections and closes new ones as soon as they are accepted.
func (p *Proxy) Cut() {
	p.setState(cut)
	for _, l := range p.takeLinks() {
		l.close()
	}
}

// Heal returns to forwarding normally. Bytes discarded while blackholed stay lost.
func (p *Proxy) Heal() { p.setState(forwarding) }

// SetDelay adds d before forwarding each chunk read from either side; 0 removes the delay. Chunks are delayed, not
// serialised: a stream of chunks is shifted by d, not slowed down by d per chunk.
func (p *Proxy) SetDelay(d time.Duration) { p.delay.Store(int64(max(d, 0))) }

// Close stops the listener, closes every connection and waits for the proxy's goroutines.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	err := p.ln.Close()
	for _, l := range p.takeLinks() {
		l.close()
	}
	p.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

func (p *Proxy) setState(s state) {
	p.mu.Lock()
	p.state.Store(int32(s))
	p.mu.Unlock()
}

func (p *Proxy) current() state { return state(p.state.Load()) }

func (p *Proxy) acceptLoop() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed: a loopback listener fails for no other reason in tests
		}
		if p.current() == cut {
			c.Close()
			continue
		}
		p.wg.Add(1)
		go p.connect(c)
	}
}

// connect dials the target for client c and starts forwarding.
func (p *Proxy) connect(c net.Conn) {
	defer p.wg.Done()
	up, err := net.DialTimeout("tcp", p.target, dialTimeout)
	if err != nil {
		c.Close()
		return
	}
	l := newLink(p, c, up)
	if !p.register(l) {
		l.close()
		return
	}
	p.wg.Add(2)
	go l.pipe(c, up)
	go l.pipe(up, c)
}

// register adds l to the live links unless the proxy is closed or cut.
func (p *Proxy) register(l *link) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.current() == cut {
		return false
	}
	p.links[l] = struct{}{}
	return true
}

func (p *Proxy) unregister(l *link) {
	p.mu.Lock()
	delete(p.links, l)
	p.mu.Unlock()
}

// takeLinks removes and returns every live link.
func (p *Proxy) takeLinks() []*link {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]*link, 0, len(p.links))
	for l := range p.links {
		out = append(out, l)
	}
	clear(p.links)
	return out
}
