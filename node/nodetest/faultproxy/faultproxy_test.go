package faultproxy_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"portico/node/nodetest/faultproxy"
)

// waitFor bounds every wait for something that should happen; quiet bounds checks that nothing arrives.
const (
	waitFor = 10 * time.Second
	quiet   = time.Second
)

// echoServer echoes every connection back and counts the bytes it received.
type echoServer struct {
	ln       net.Listener
	received atomic.Int64
	accepted atomic.Int64
	mu       sync.Mutex
	conns    []net.Conn
	wg       sync.WaitGroup
}

func newEchoServer(t *testing.T) *echoServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &echoServer{ln: ln}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(s.close)
	return s
}

func (s *echoServer) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.accepted.Add(1)
		s.mu.Lock()
		s.conns = append(s.conns, c)
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			io.Copy(c, &countingReader{r: c, n: &s.received})
			c.(*net.TCPConn).CloseWrite()
		}()
	}
}

func (s *echoServer) close() {
	s.ln.Close()
	s.mu.Lock()
	for _, c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func newProxy(t *testing.T, target string) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.New(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func dial(t *testing.T, p *faultproxy.Proxy) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", p.Addr(), waitFor)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// roundTrip writes msg and expects it echoed back within the wait bound.
func roundTrip(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	if err := echoOnce(c, msg); err != nil {
		t.Fatal(err)
	}
}

func echoOnce(c net.Conn, msg string) error {
	if _, err := io.WriteString(c, msg); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	c.SetReadDeadline(time.Now().Add(waitFor))
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		return fmt.Errorf("read echo of %q: %w", msg, err)
	}
	if string(got) != msg {
		return fmt.Errorf("echo: got %q, want %q", got, msg)
	}
	return nil
}

// expectSilence writes msg and expects nothing back for the quiet period, with the connection still open.
func expectSilence(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	if _, err := io.WriteString(c, msg); err != nil {
		t.Fatalf("write: %v", err)
	}
	c.SetReadDeadline(time.Now().Add(quiet))
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read: got %q, %v; want a timeout on an open connection", buf[:n], err)
	}
}

// expectClosed expects c to be closed by the proxy within the wait bound.
func expectClosed(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(waitFor))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection still open after %v", waitFor)
	}
}

func TestForwarding(t *testing.T) {
	echo := newEchoServer(t)
	p := newProxy(t, echo.ln.Addr().String())
	const conns = 4
	errs := make(chan error, conns)
	for i := range conns {
		c := dial(t, p)
		go func() {
			var err error
			for j := 0; j < 3 && err == nil; j++ {
				err = echoOnce(c, strings.Repeat(string(rune('a'+i)), j+1)+"\n")
			}
			errs <- err
		}()
	}
	for range conns {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got := echo.accepted.Load(); got != conns {
		t.Errorf("target accepted %d connections, want %d", got, conns)
	}
}

func TestForwardingLargePayloadWithHalfClose(t *testing.T) {
	echo := newEchoServer(t)
	p := newProxy(t, echo.ln.Addr().String())
	c := dial(t, p)
	payload := make([]byte, 1<<20)
	rand.Read(payload)
	errc := make(chan error, 1)
	go func() {
		_, err := c.Write(payload)
		if err == nil {
			err = c.(*net.TCPConn).CloseWrite()
		}
		errc <- err
	}()
	c.SetReadDeadline(time.Now().Add(waitFor))
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("write: %v", err)
	}
	if !bytes.Equal(got, payload) {
		t.Errorf("got %d bytes back, want the %d bytes sent, in order", len(got), len(payload))
	}
}

func TestBlackholeAndHeal(t *testing.T) {
	echo := newEchoServer(t)
	p := newProxy(t, echo.ln.Addr().String())
	old := dial(t, p)
	roundTrip(t, old, "before\n")

	p.Blackhole()
	received := echo.received.Load()
	expectSilence(t, old, "lost\n")
	fresh := dial(t, p)
	expectSilence(t, fresh, "lost too\n")
	if got := echo.received.Load(); got != received {
		t.Errorf("target received %d bytes, want %d (nothing while blackholed)", got, received)
	}

	p.Heal()
	roundTrip(t, old, "after\n")
	roundTrip(t, fresh, "after too\n")
}

func TestBlackholeDiscardsUpstreamBytes(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	p := newProxy(t, ln.Addr().String())
	c := dial(t, p)
	up, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()

	p.Blackhole()
	io.WriteString(up, "from upstream\n")
	c.SetReadDeadline(time.Now().Add(quiet))
	buf := make([]byte, 64)
	if n, err := c.Read(buf); n != 0 || err == nil {
		t.Errorf("client read: got %q, %v; want a timeout", buf[:n], err)
	}
	p.Heal()
	io.WriteString(up, "healed\n")
	c.SetReadDeadline(time.Now().Add(waitFor))
	got := make([]byte, len("healed\n"))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "healed\n" {
		t.Errorf("client read: got %q, %v; want %q", got, err, "healed\n")
	}
}

func TestCutAndHeal(t *testing.T) {
	echo := newEchoServer(t)
	p := newProxy(t, echo.ln.Addr().String())
	old := dial(t, p)
	roundTrip(t, old, "before\n")

	p.Cut()
	expectClosed(t, old)
	expectClosed(t, dial(t, p))
	if got := echo.accepted.Load(); got != 1 {
		t.Errorf("target accepted %d connections, want 1 (none while cut)", got)
	}

	p.Heal()
	roundTrip(t, dial(t, p), "after\n")
}

func TestDelay(t *testing.T) {
	const delay = 500 * time.Millisecond
	echo := newEchoServer(t)
	p := newProxy(t, echo.ln.Addr().String())
	c := dial(t, p)
	roundTrip(t, c, "warm\n")

	p.SetDelay(delay)
	start := time.Now()
	roundTrip(t, c, "slow\n")
	if elapsed := time.Since(start); elapsed < 2*delay {
		t.Errorf("round trip with delay took %v, want at least %v", elapsed, 2*delay)
	}

	// Several chunks in flight are shifted by the delay, not delayed one after another. The writes are paced (not a
	// wait for anything) so that the proxy reads each as its own chunk. Shifted, they all arrive after about
	// 16 paces and 2 delays (1.8 s); one after another they would take at least 16 delays (8 s): the bound leaves
	// more than 6 s to a stall on a loaded machine.
	start = time.Now()
	const sent = "0123456789abcdef"
	pace := time.NewTicker(delay / 10)
	defer pace.Stop()
	for i := range len(sent) {
		if _, err := io.WriteString(c, sent[i:i+1]); err != nil {
			t.Fatal(err)
		}
		<-pace.C
	}
	c.SetReadDeadline(time.Now().Add(waitFor))
	got := make([]byte, len(sent))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != sent {
		t.Fatalf("got %q, %v; want %q", got, err, sent)
	}
	if elapsed, serial := time.Since(start), time.Duration(len(sent))*delay; elapsed < 2*delay || elapsed >= serial {
		t.Errorf("pipelined chunks took %v, want between %v and %v (one delay after another)", elapsed, 2*delay,
			serial)
	}

	// Whatever the delay was, SetDelay(0) removes it: with a delay of a minute left in place, the round trip would
	// not be answered within its read deadline (waitFor).
	p.SetDelay(time.Minute)
	p.SetDelay(0)
	roundTrip(t, c, "fast\n")
}

func TestClose(t *testing.T) {
	echo := newEchoServer(t)
	p, err := faultproxy.New(echo.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, p)
	roundTrip(t, c, "hello\n")
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	expectClosed(t, c)
	if c, err := net.DialTimeout("tcp", p.Addr(), waitFor); err == nil {
		c.Close()
		t.Error("dial after Close: got a connection, want refused")
	}
}

func TestTargetDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	target := ln.Addr().String()
	ln.Close()
	p := newProxy(t, target)
	expectClosed(t, dial(t, p))
}
