package peer_test

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"portico/node/certs"
	"portico/node/peer"
)

// waitFor is the bound on every wait in these tests.
const waitFor = 10 * time.Second

// cluster is a certificate directory with nodes n1, n2 and n3 signed by one CA.
type cluster struct{ dir string }

func newCluster(t *testing.T) cluster {
	t.Helper()
	dir := t.TempDir()
	if err := certs.Init(dir, []string{"n1", "n2", "n3"}, nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	return cluster{dir: dir}
}

func (c cluster) files(id string) peer.TLSFiles {
	ca, cert, key := certs.Files(c.dir, id)
	return peer.TLSFiles{CA: ca, Cert: cert, Key: key}
}

func (c cluster) tls(t *testing.T, id string) *peer.TLS {
	t.Helper()
	tl, err := peer.LoadTLS(c.files(id))
	if err != nil {
		t.Fatal(err)
	}
	return tl
}

// rawClientConfig is a TLS client configuration built by hand, for clients that peer would not build.
func (c cluster) rawClientConfig(t *testing.T, id string) *tls.Config {
	t.Helper()
	cfg := &tls.Config{MinVersion: tls.VersionTLS13, InsecureSkipVerify: true}
	if id != "" {
		_, cert, key := certs.Files(c.dir, id)
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg
}

func listen(t *testing.T, cfg peer.Config) *peer.Mux {
	t.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	m, err := peer.Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// acceptor collects the connections a listener yields.
type acceptor struct {
	conns chan net.Conn
	errs  chan error
}

func accept(t *testing.T, ln net.Listener) *acceptor {
	t.Helper()
	a := &acceptor{conns: make(chan net.Conn, 16), errs: make(chan error, 1)}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				a.errs <- err
				return
			}
			a.conns <- c
		}
	}()
	return a
}

// next returns the next accepted connection, failing the test after the wait bound.
func (a *acceptor) next(t *testing.T) net.Conn {
	t.Helper()
	select {
	case c := <-a.conns:
		t.Cleanup(func() { c.Close() })
		return c
	case err := <-a.errs:
		t.Fatalf("accept: %v", err)
	case <-time.After(waitFor):
		t.Fatal("no connection accepted")
	}
	return nil
}

// none fails the test if a connection has been accepted.
func (a *acceptor) none(t *testing.T, name string) {
	t.Helper()
	select {
	case c := <-a.conns:
		c.Close()
		t.Errorf("%s listener: got a connection from %v, want none", name, c.RemoteAddr())
	default:
	}
}

// waitErr returns the error Accept returned, failing the test after the wait bound.
func (a *acceptor) waitErr(t *testing.T) error {
	t.Helper()
	select {
	case err := <-a.errs:
		return err
	case <-time.After(waitFor):
		t.Fatal("Accept did not return")
	}
	return nil
}

// readLine reads up to and including '\n' before the wait bound.
func readLine(t *testing.T, c net.Conn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(waitFor))
	var buf bytes.Buffer
	b := make([]byte, 1)
	for buf.Len() < 1024 {
		if _, err := c.Read(b); err != nil {
			t.Fatalf("reading line: %v (got %q so far)", err, buf.String())
		}
		buf.WriteByte(b[0])
		if b[0] == '\n' {
			break
		}
	}
	return buf.String()
}

// closedByPeer reports whether c is closed by the other side within the wait bound (a read returns an error other
// than a timeout, after discarding any bytes that arrive).
func closedByPeer(c net.Conn) error {
	c.SetReadDeadline(time.Now().Add(waitFor))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return err
	}
	return nil
}

// logBuffer is a concurrency-safe log sink.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// waitLog polls until the log contains every one of want.
func (b *logBuffer) waitLog(t *testing.T, want ...string) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for time.Now().Before(deadline) {
		if containsAll(b.String(), want) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Errorf("log: got %q, want it to contain %q", b.String(), want)
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
