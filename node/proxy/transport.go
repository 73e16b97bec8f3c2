// Package proxy is the last step of the gateway's request path: it forwards a routed, policy-checked request to one of
// an API version's backend endpoints with httputil.ReverseProxy (Rewrite, never Director), streams the response back,
// runs the gateway's response-phase hook, and turns upstream failures into wire errors (502, 504).
package proxy

import (
	"net"
	"net/http"
	"net/http/httputil"
	"sync"
	"time"
)

// NewTransport returns an HTTP/1.1 transport tuned for a gateway: a large idle pool per backend (Go's default of 2 idle
// connections per host halves throughput under concurrency), bounded dials with keep-alive, and no proxy taken from
// the environment.
func NewTransport() *http.Transport {
	return &http.Transport{
		Proxy: nil,
		DialContext: (&net.Dialer{
			Timeout:   5 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
		ForceAttemptHTTP2:     false,
	}
}

// Transports hands out one tuned transport per response-header timeout. A gateway keeps one set for its lifetime and
// every upstream of every table takes its transport from it, so idle backend connections survive table swaps and the
// header timeout costs nothing per request (no timer, no derived context).
type Transports struct {
	mu sync.Mutex
	m  map[time.Duration]*http.Transport
}

// NewTransports returns an empty set.
func NewTransports() *Transports {
	return &Transports{m: make(map[time.Duration]*http.Transport)}
}

// For returns the transport whose ResponseHeaderTimeout is timeout, creating it on first use.
func (s *Transports) For(timeout time.Duration) *http.Transport {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.m[timeout]
	if !ok {
		t = NewTransport()
		t.ResponseHeaderTimeout = timeout
		s.m[timeout] = t
	}
	return t
}

// CloseIdle closes the idle connections of every transport of the set.
func (s *Transports) CloseIdle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.m {
		t.CloseIdleConnections()
	}
}

// BufferPool lends httputil.ReverseProxy its 32 KiB copy buffers instead of allocating one per response. It pools
// array pointers, so that neither Get nor Put allocates.
type BufferPool struct{ p sync.Pool }

const bufferSize = 32 * 1024

// NewBufferPool returns an empty pool.
func NewBufferPool() *BufferPool {
	return &BufferPool{p: sync.Pool{New: func() any { return new([bufferSize]byte) }}}
}

// Get returns a buffer of 32 KiB.
func (b *BufferPool) Get() []byte { return b.p.Get().(*[bufferSize]byte)[:] }

// Put returns a buffer to the pool; buffers of another capacity are dropped.
func (b *BufferPool) Put(v []byte) {
	if cap(v) != bufferSize {
		return
	}
	b.p.Put((*[bufferSize]byte)(v[:bufferSize]))
}

var _ httputil.BufferPool = (*BufferPool)(nil)
