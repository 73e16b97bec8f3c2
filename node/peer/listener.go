package peer

import (
	"net"
	"sync"
)

// subListener is a channel-backed net.Listener: the Mux delivers the connections whose tag selects it, and Accept
// hands them out. Closing it (or the Mux) unblocks Accept and closes connections still waiting in the queue.
type subListener struct {
	addr    net.Addr
	conns   chan net.Conn
	closed  chan struct{}
	muxDone <-chan struct{}
	once    sync.Once
}

// pendingConns bounds how many tagged connections wait for Accept before delivery blocks.
const pendingConns = 64

func newSubListener(addr net.Addr, muxDone <-chan struct{}) *subListener {
	return &subListener{
		addr:    addr,
		conns:   make(chan net.Conn, pendingConns),
		closed:  make(chan struct{}),
		muxDone: muxDone,
	}
}

// Accept waits for the next connection routed to this listener.
func (s *subListener) Accept() (net.Conn, error) {
	if s.isClosed() {
		return nil, net.ErrClosed
	}
	select {
	case c := <-s.conns:
		return c, nil
	case <-s.closed:
		return nil, net.ErrClosed
	case <-s.muxDone:
		return nil, net.ErrClosed
	}
}

// Close stops this listener only; the Mux and the other listener keep running.
func (s *subListener) Close() error {
	s.once.Do(func() { close(s.closed) })
	s.drain()
	return nil
}

// Addr returns the address of the Mux's listener.
func (s *subListener) Addr() net.Addr { return s.addr }

// deliver queues c for Accept, waiting while the queue is full; it closes c if the listener or the Mux closes first.
func (s *subListener) deliver(c net.Conn) {
	select {
	case s.conns <- c:
	case <-s.closed:
		c.Close()
		return
	case <-s.muxDone:
		c.Close()
		return
	}
	if s.isClosed() {
		// Close may have drained the queue just before c was queued.
		s.drain()
	}
}

func (s *subListener) isClosed() bool {
	select {
	case <-s.closed:
		return true
	case <-s.muxDone:
		return true
	default:
		return false
	}
}

// drain closes every queued connection without waiting.
func (s *subListener) drain() {
	for {
		select {
		case c := <-s.conns:
			c.Close()
		default:
			return
		}
	}
}

var _ net.Listener = (*subListener)(nil)
