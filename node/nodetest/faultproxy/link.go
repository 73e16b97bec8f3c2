package faultproxy

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// queuedChunks bounds the chunks in flight in one direction; a full queue stops reading (backpressure).
const queuedChunks = 64

// chunkSize is the most one read takes from a side.
const chunkSize = 32 << 10

// link is one proxied connection: the client side, the upstream side and two directions of forwarding.
type link struct {
	p        *Proxy
	client   net.Conn
	upstream net.Conn
	done     chan struct{}
	once     sync.Once
	finished atomic.Int32 // directions that have ended
}

// chunk is bytes read from one side, to be written to the other no earlier than at.
type chunk struct {
	data []byte
	at   time.Time
}

func newLink(p *Proxy, client, upstream net.Conn) *link {
	return &link{p: p, client: client, upstream: upstream, done: make(chan struct{})}
}

// close closes both sides and ends both directions.
func (l *link) close() {
	l.once.Do(func() {
		close(l.done)
		l.client.Close()
		l.upstream.Close()
		l.p.unregister(l)
	})
}

// pipe forwards src to dst: a reader stamps each chunk with its due time, this goroutine writes it when due. A clean
// EOF is passed on as a half close; any error closes the link. The link closes once both directions have ended.
func (l *link) pipe(src, dst net.Conn) {
	defer l.p.wg.Done()
	q := make(chan chunk, queuedChunks)
	eof := make(chan bool, 1)
	l.p.wg.Add(1)
	go l.read(src, q, eof)
	if !l.write(dst, q) {
		l.close()
		return
	}
	if <-eof {
		closeWrite(dst)
	} else {
		l.close()
	}
	if l.finished.Add(1) == 2 {
		l.close()
	}
}

// read queues chunks from src until it fails, then closes q and reports whether it ended with a clean EOF.
func (l *link) read(src net.Conn, q chan<- chunk, eof chan<- bool) {
	defer l.p.wg.Done()
	defer close(q)
	for {
		buf := make([]byte, chunkSize)
		n, err := src.Read(buf)
		if n > 0 && l.p.current() == forwarding {
			c := chunk{data: buf[:n], at: time.Now().Add(time.Duration(l.p.delay.Load()))}
			select {
			case q <- c:
			case <-l.done:
				eof <- false
				return
			}
		}
		if err != nil {
			eof <- errors.Is(err, io.EOF)
			return
		}
	}
}

// write writes queued chunks to dst when due, dropping those that come due while blackholed. It reports false if
// the link closed or a write failed.
func (l *link) write(dst net.Conn, q <-chan chunk) bool {
	for c := range q {
		if !l.wait(c.at) {
			return false
		}
		if l.p.current() != forwarding {
			continue
		}
		if _, err := dst.Write(c.data); err != nil {
			return false
		}
	}
	return true
}

// wait sleeps until at, or reports false if the link closes first.
func (l *link) wait(at time.Time) bool {
	d := time.Until(at)
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-l.done:
		return false
	}
}

func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
}
