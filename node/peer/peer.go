// Package peer is the link between nodes. One TCP listener (a node's raft address) carries both the raft RPCs of
// raftstore and the admin HTTP calls a follower forwards to the leader. Every connection is mutual TLS against the
// cluster CA (from node/certs) unless the node runs in explicit insecure mode; after the handshake the dialer writes
// one tag byte that routes the connection to the raft stream layer or to the HTTP listener.
package peer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// Tag bytes written by the dialer after the handshake.
const (
	tagRaft byte = 'R'
	tagHTTP byte = 'H'
)

const (
	// defaultHandshakeTimeout bounds the TLS handshake and the tag read of one incoming connection.
	defaultHandshakeTimeout = 5 * time.Second
	// maxHandshakes bounds the incoming connections between accept and routing; more are refused at once.
	maxHandshakes = 256
)

// Config configures a Mux.
type Config struct {
	// Addr is the listen address, host:port (port 0 picks a free port).
	Addr string
	// TLS secures every connection with mutual TLS; nil runs plain TCP (explicit insecure mode).
	TLS *TLS
	// Logger receives refused connections at debug level; nil discards.
	Logger *slog.Logger
	// HandshakeTimeout bounds the handshake and tag read of each incoming connection; 0 = 5 s.
	HandshakeTimeout time.Duration
}

// Mux accepts connections on one listener and routes each, after the handshake and by its tag byte, to the raft
// stream layer or to the HTTP listener.
type Mux struct {
	ln      net.Listener
	tls     *TLS
	log     *slog.Logger
	timeout time.Duration

	raft *subListener
	http *subListener

	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
	slots     chan struct{}
	wg        sync.WaitGroup

	mu      sync.Mutex
	pending map[net.Conn]struct{} // connections between accept and routing
}

// Listen opens the listener and starts routing connections.
func Listen(cfg Config) (*Mux, error) {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listening for peers on %s: %w", cfg.Addr, err)
	}
	m := &Mux{
		ln:      ln,
		tls:     cfg.TLS,
		log:     logger(cfg.Logger).With("component", "peer"),
		timeout: cfg.HandshakeTimeout,
		done:    make(chan struct{}),
		slots:   make(chan struct{}, maxHandshakes),
		pending: make(map[net.Conn]struct{}),
	}
	if m.timeout <= 0 {
		m.timeout = defaultHandshakeTimeout
	}
	m.raft = newSubListener(ln.Addr(), m.done)
	m.http = newSubListener(ln.Addr(), m.done)
	m.wg.Add(1)
	go m.acceptLoop()
	return m, nil
}

func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}

// Addr returns the address the Mux listens on.
func (m *Mux) Addr() net.Addr { return m.ln.Addr() }

// RaftLayer returns the stream layer for raft.NewNetworkTransport: Accept yields 'R' connections and Dial opens
// one to a peer.
func (m *Mux) RaftLayer() raft.StreamLayer { return &raftLayer{subListener: m.raft, tls: m.tls} }

// HTTPListener returns the listener for 'H' connections, to serve forwarded admin calls on.
func (m *Mux) HTTPListener() net.Listener { return m.http }

// Close stops the listener, makes both sub-listeners' Accept return net.ErrClosed, closes connections not yet
// accepted and waits for the routing goroutines.
func (m *Mux) Close() error {
	m.closeOnce.Do(func() {
		close(m.done)
		m.closeErr = m.ln.Close()
		m.closePending()
		m.wg.Wait()
		m.raft.drain()
		m.http.drain()
	})
	return m.closeErr
}

func (m *Mux) acceptLoop() {
	defer m.wg.Done()
	var backoff time.Duration
	for {
		c, err := m.ln.Accept()
		if err != nil {
			if m.closed() || errors.Is(err, net.ErrClosed) {
				return
			}
			backoff = nextBackoff(backoff)
			m.log.Warn("accepting peer connection", "err", err, "retry_in", backoff)
			if !m.sleep(backoff) {
				return
			}
			continue
		}
		backoff = 0
		m.admit(c)
	}
}

// admit starts routing c in its own goroutine, or refuses it when too many connections are being routed.
func (m *Mux) admit(c net.Conn) {
	select {
	case m.slots <- struct{}{}:
	default:
		m.refuse(c, "too many connections in handshake", nil)
		return
	}
	if !m.track(c) {
		<-m.slots
		c.Close()
		return
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer func() { <-m.slots }()
		m.route(c)
	}()
}

// route runs the handshake, reads the tag and hands the connection to the matching sub-listener.
func (m *Mux) route(raw net.Conn) {
	conn, tag, err := m.handshake(raw)
	m.untrack(raw)
	if err != nil && m.closed() {
		raw.Close()
		return
	}
	if err != nil {
		m.refuse(raw, "handshake", err)
		return
	}
	switch tag {
	case tagRaft:
		m.raft.deliver(conn)
	case tagHTTP:
		m.http.deliver(conn)
	default:
		m.refuse(conn, fmt.Sprintf("unknown tag 0x%02x", tag), nil)
	}
}

// handshake completes TLS (if configured) and reads the tag byte, both before the deadline.
func (m *Mux) handshake(raw net.Conn) (net.Conn, byte, error) {
	deadline := time.Now().Add(m.timeout)
	if err := raw.SetDeadline(deadline); err != nil {
		return nil, 0, err
	}
	conn := raw
	if m.tls != nil {
		tc := tls.Server(raw, m.tls.server)
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		err := tc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			return nil, 0, fmt.Errorf("tls: %w", err)
		}
		conn = tc
	}
	var tag [1]byte
	if _, err := io.ReadFull(conn, tag[:]); err != nil {
		return nil, 0, fmt.Errorf("reading tag: %w", err)
	}
	if err := conn.SetDeadline(time.Time{}); err != nil {
		return nil, 0, err
	}
	return conn, tag[0], nil
}

// refuse closes c and logs why; the log carries the remote address and the reason, never key material.
func (m *Mux) refuse(c net.Conn, reason string, err error) {
	c.Close()
	attrs := []any{"remote", c.RemoteAddr().String(), "reason", reason}
	if err != nil {
		attrs = append(attrs, "err", err)
	}
	m.log.Debug("refused peer connection", attrs...)
}

// track records c as being routed; it reports false once the Mux is closed.
func (m *Mux) track(c net.Conn) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed() {
		return false
	}
	m.pending[c] = struct{}{}
	return true
}

func (m *Mux) untrack(c net.Conn) {
	m.mu.Lock()
	delete(m.pending, c)
	m.mu.Unlock()
}

// closePending closes the connections still in handshake, so their goroutines end at once.
func (m *Mux) closePending() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for c := range m.pending {
		c.Close()
	}
	clear(m.pending)
}

func (m *Mux) closed() bool {
	select {
	case <-m.done:
		return true
	default:
		return false
	}
}

// sleep waits d or until the Mux closes; it reports whether the Mux is still open.
func (m *Mux) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-m.done:
		return false
	}
}

func nextBackoff(d time.Duration) time.Duration {
	const minBackoff, maxBackoff = 5 * time.Millisecond, time.Second
	if d == 0 {
		return minBackoff
	}
	return min(2*d, maxBackoff)
}
