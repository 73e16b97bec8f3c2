package peer_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"portico/node/peer"
)

// mode is one way of running the link: mutual TLS or explicit insecure mode.
type mode struct {
	name   string
	secure bool
}

var modes = []mode{{"mtls", true}, {"insecure", false}}

func (md mode) tls(t *testing.T, c cluster, id string) *peer.TLS {
	if !md.secure {
		return nil
	}
	return c.tls(t, id)
}

func TestRaftAppendEntriesRoundTrip(t *testing.T) {
	for _, md := range modes {
		t.Run(md.name, func(t *testing.T) {
			c := newCluster(t)
			a := listen(t, peer.Config{TLS: md.tls(t, c, "n1")})
			b := listen(t, peer.Config{TLS: md.tls(t, c, "n2")})
			ta := newTransport(t, a)
			tb := newTransport(t, b)
			if got, want := ta.LocalAddr(), raft.ServerAddress(a.Addr().String()); got != want {
				t.Errorf("LocalAddr: got %s, want %s", got, want)
			}
			go answerAppendEntries(ta.Consumer())

			for i := range 3 { // reuses the pooled connection after the first call
				args := &raft.AppendEntriesRequest{
					RPCHeader:         raft.RPCHeader{ProtocolVersion: raft.ProtocolVersionMax, ID: []byte("n2")},
					Term:              uint64(7 + i),
					Entries:           []*raft.Log{{Index: uint64(i + 1), Term: 7, Type: raft.LogCommand, Data: []byte("cmd")}},
					LeaderCommitIndex: 4,
				}
				var resp raft.AppendEntriesResponse
				if err := tb.AppendEntries("n1", ta.LocalAddr(), args, &resp); err != nil {
					t.Fatalf("AppendEntries: %v", err)
				}
				if !resp.Success || resp.Term != args.Term || resp.LastLog != uint64(i+1) {
					t.Errorf("response: got %+v, want success with term %d and last log %d", resp, args.Term, i+1)
				}
			}
		})
	}
}

func newTransport(t *testing.T, m *peer.Mux) *raft.NetworkTransport {
	t.Helper()
	tr := raft.NewNetworkTransport(m.RaftLayer(), 2, 5*time.Second, io.Discard)
	t.Cleanup(func() { tr.Close() })
	return tr
}

// answerAppendEntries echoes the term and last entry index of each AppendEntries request until ch closes.
func answerAppendEntries(ch <-chan raft.RPC) {
	for rpc := range ch {
		req, ok := rpc.Command.(*raft.AppendEntriesRequest)
		if !ok {
			rpc.Respond(nil, fmt.Errorf("unexpected command %T", rpc.Command))
			continue
		}
		var last uint64
		if n := len(req.Entries); n > 0 && string(req.Entries[n-1].Data) == "cmd" {
			last = req.Entries[n-1].Index
		}
		rpc.Respond(&raft.AppendEntriesResponse{Term: req.Term, LastLog: last, Success: true}, nil)
	}
}

func TestHTTPRoundTrip(t *testing.T) {
	for _, md := range modes {
		t.Run(md.name, func(t *testing.T) {
			c := newCluster(t)
			a := listen(t, peer.Config{TLS: md.tls(t, c, "n1")})
			serveWhoAmI(t, a)
			client := peer.NewClient(md.tls(t, c, "n2"), nil)
			want := "plain"
			if md.secure {
				want = "n2"
			}
			for range 2 {
				if got := get(t, client, "http://"+a.Addr().String()+"/whoami"); got != want {
					t.Errorf("got %q, want %q", got, want)
				}
			}
		})
	}
}

func TestHTTPClientAddrFor(t *testing.T) {
	c := newCluster(t)
	a := listen(t, peer.Config{TLS: c.tls(t, "n1")})
	serveWhoAmI(t, a)
	var (
		mu     sync.Mutex
		dialed []string
	)
	client := peer.NewClient(c.tls(t, "n3"), func(addr string) string {
		mu.Lock()
		defer mu.Unlock()
		dialed = append(dialed, addr)
		return a.Addr().String()
	})
	if got := get(t, client, "http://n1.invalid:9090/whoami"); got != "n3" {
		t.Errorf("got %q, want n3", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(dialed) != 1 || dialed[0] != "n1.invalid:9090" {
		t.Errorf("addrFor calls: got %v, want [n1.invalid:9090]", dialed)
	}
}

// serveWhoAmI serves, on m's HTTP listener, the CommonName of the client certificate or "plain" without TLS.
func serveWhoAmI(t *testing.T, m *peer.Mux) {
	t.Helper()
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
				io.WriteString(w, "plain")
				return
			}
			io.WriteString(w, r.TLS.PeerCertificates[0].Subject.CommonName)
		}),
		ReadHeaderTimeout: waitFor,
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(m.HTTPListener()) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			t.Errorf("Serve: got %v, want http.ErrServerClosed or net.ErrClosed", err)
		}
	})
}

func get(t *testing.T, client *http.Client, url string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: got status %d, want 200", url, resp.StatusCode)
	}
	return string(body)
}

// TestTagRouting checks each tag reaches its own listener with the bytes that follow it intact.
func TestTagRouting(t *testing.T) {
	for _, md := range modes {
		t.Run(md.name, func(t *testing.T) {
			c := newCluster(t)
			m := listen(t, peer.Config{TLS: md.tls(t, c, "n1")})
			raftConns, httpConns := accept(t, m.RaftLayer()), accept(t, m.HTTPListener())
			for _, tag := range []byte{'R', 'H', 'R'} {
				conn := dialTagged(t, m, c, md, tag)
				fmt.Fprintf(conn, "hello %c\n", tag)
				var got net.Conn
				if tag == 'R' {
					got = raftConns.next(t)
				} else {
					got = httpConns.next(t)
				}
				if line := readLine(t, got); line != fmt.Sprintf("hello %c\n", tag) {
					t.Errorf("got %q, want %q", line, fmt.Sprintf("hello %c\n", tag))
				}
				io.WriteString(got, "back\n")
				if line := readLine(t, conn); line != "back\n" {
					t.Errorf("reply: got %q, want %q", line, "back\n")
				}
			}
			raftConns.none(t, "raft")
			httpConns.none(t, "http")
		})
	}
}

// dialTagged opens a connection to m as node n2 and writes tag, by hand.
func dialTagged(t *testing.T, m *peer.Mux, c cluster, md mode, tag byte) net.Conn {
	t.Helper()
	var conn net.Conn
	var err error
	if md.secure {
		conn, err = tls.DialWithDialer(&net.Dialer{Timeout: waitFor}, "tcp", m.Addr().String(), c.rawClientConfig(t, "n2"))
	} else {
		conn, err = net.DialTimeout("tcp", m.Addr().String(), waitFor)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := conn.Write([]byte{tag}); err != nil {
		t.Fatal(err)
	}
	return conn
}

func TestRefusedConnections(t *testing.T) {
	c := newCluster(t)
	other := newCluster(t)
	tests := []struct {
		name   string
		dial   func(t *testing.T, addr string) (net.Conn, error)
		reason string
	}{
		{
			name:   "no client certificate",
			dial:   tlsDialer(c.rawClientConfig(t, "")),
			reason: "certificate",
		},
		{
			name:   "certificate from another CA",
			dial:   tlsDialer(other.rawClientConfig(t, "n2")),
			reason: "certificate",
		},
		{
			name:   "plain TCP",
			dial:   func(t *testing.T, addr string) (net.Conn, error) { return net.DialTimeout("tcp", addr, waitFor) },
			reason: "handshake",
		},
		{
			name: "unknown tag",
			dial: func(t *testing.T, addr string) (net.Conn, error) {
				conn, err := tlsDialer(c.rawClientConfig(t, "n2"))(t, addr)
				if err == nil {
					_, err = conn.Write([]byte{'X'})
				}
				return conn, err
			},
			reason: "unknown tag 0x58",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs logBuffer
			m := listen(t, peer.Config{TLS: c.tls(t, "n1"), Logger: logs.logger()})
			raftConns, httpConns := accept(t, m.RaftLayer()), accept(t, m.HTTPListener())
			for _, tag := range []byte{'R', 'H'} {
				conn, err := tt.dial(t, m.Addr().String())
				if err != nil {
					t.Fatalf("dial: %v", err)
				}
				local := conn.LocalAddr().String()
				conn.Write([]byte{tag})
				conn.Write([]byte("AppendEntries from nowhere\n"))
				if err := closedByPeer(conn); err != nil {
					t.Fatalf("connection not closed by the mux: %v", err)
				}
				conn.Close()
				logs.waitLog(t, "refused peer connection", "remote="+local, tt.reason)
			}
			// Routing of the refused connections has finished; the first connection each listener yields must be a
			// valid one dialed now.
			checkFirstIsValid(t, m, c, raftConns, 'R')
			checkFirstIsValid(t, m, c, httpConns, 'H')
		})
	}
}

func tlsDialer(cfg *tls.Config) func(t *testing.T, addr string) (net.Conn, error) {
	return func(t *testing.T, addr string) (net.Conn, error) {
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: waitFor}, "tcp", addr, cfg)
		if err == nil {
			t.Cleanup(func() { conn.Close() })
		}
		return conn, err
	}
}

func checkFirstIsValid(t *testing.T, m *peer.Mux, c cluster, a *acceptor, tag byte) {
	t.Helper()
	conn := dialTagged(t, m, c, mode{secure: true}, tag)
	io.WriteString(conn, "valid\n")
	if got := readLine(t, a.next(t)); got != "valid\n" {
		t.Errorf("first accepted %c connection: got %q, want %q", tag, got, "valid\n")
	}
}

func TestClientRefusesServerOfAnotherCA(t *testing.T) {
	c := newCluster(t)
	other := newCluster(t)
	rogue := listen(t, peer.Config{TLS: other.tls(t, "n1")})
	rogueRaft := accept(t, rogue.RaftLayer())
	m := listen(t, peer.Config{TLS: c.tls(t, "n2")})

	_, err := m.RaftLayer().Dial(raft.ServerAddress(rogue.Addr().String()), waitFor)
	if err == nil || !strings.Contains(err.Error(), "verifying peer certificate") {
		t.Errorf("raft Dial: got error %v, want a certificate verification error", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+rogue.Addr().String()+"/", nil)
	if resp, err := peer.NewClient(c.tls(t, "n2"), nil).Do(req); err == nil {
		resp.Body.Close()
		t.Error("HTTP client: got a response from a server of another CA, want an error")
	}
	rogueRaft.none(t, "rogue raft")
}

func TestSlowClientDoesNotBlockOthers(t *testing.T) {
	c := newCluster(t)
	// The silent connections below stay open for the whole test: get must be answered within its own bound
	// (waitFor), far below this handshake timeout, which would free a mux that waits for them.
	m := listen(t, peer.Config{TLS: c.tls(t, "n1"), HandshakeTimeout: 6 * waitFor})
	serveWhoAmI(t, m)
	for range 3 { // silent connections: no TLS ClientHello
		conn, err := net.DialTimeout("tcp", m.Addr().String(), waitFor)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
	}
	// A connection that completes the handshake but never writes its tag.
	tlsDialer(c.rawClientConfig(t, "n2"))(t, m.Addr().String())

	if got := get(t, peer.NewClient(c.tls(t, "n2"), nil), "http://"+m.Addr().String()+"/"); got != "n2" {
		t.Errorf("got %q, want n2", got)
	}
}

func TestHandshakeTimeoutClosesSilentConnections(t *testing.T) {
	c := newCluster(t)
	var logs logBuffer
	// The "no tag" dialer's own TLS handshake must finish within the timeout: 2 s leave room for a stall on a loaded
	// machine, and closedByPeer waits 5x that.
	const timeout = 2 * time.Second
	m := listen(t, peer.Config{TLS: c.tls(t, "n1"), Logger: logs.logger(), HandshakeTimeout: timeout})
	raftConns := accept(t, m.RaftLayer())
	tests := []struct {
		name string
		dial func(t *testing.T, addr string) (net.Conn, error)
	}{
		{"no client hello", func(t *testing.T, addr string) (net.Conn, error) { return net.DialTimeout("tcp", addr, waitFor) }},
		{"no tag", tlsDialer(c.rawClientConfig(t, "n2"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			conn, err := tt.dial(t, m.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if err := closedByPeer(conn); err != nil {
				t.Fatalf("silent connection not closed: %v", err)
			}
			if elapsed := time.Since(start); elapsed < timeout {
				t.Errorf("closed after %v, want at least %v", elapsed, timeout)
			}
			logs.waitLog(t, "remote="+conn.LocalAddr().String())
		})
	}
	raftConns.none(t, "raft")
}

func TestCloseUnblocksAccept(t *testing.T) {
	c := newCluster(t)
	// Close must return within waitFor, far below this handshake timeout of the silent connection below.
	m := listen(t, peer.Config{TLS: c.tls(t, "n1"), HandshakeTimeout: 6 * waitFor})
	raftConns, httpConns := accept(t, m.RaftLayer()), accept(t, m.HTTPListener())

	silent, err := net.DialTimeout("tcp", m.Addr().String(), waitFor)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()

	closed := make(chan error, 1)
	go func() { closed <- m.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(waitFor):
		t.Fatalf("Close still running after %v: it waits for the connection in handshake", waitFor)
	}
	for name, a := range map[string]*acceptor{"raft": raftConns, "http": httpConns} {
		if err := a.waitErr(t); !errors.Is(err, net.ErrClosed) {
			t.Errorf("%s Accept: got %v, want net.ErrClosed", name, err)
		}
	}
	if err := closedByPeer(silent); err != nil {
		t.Errorf("connection in handshake not closed: %v", err)
	}
	if _, err := m.RaftLayer().Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept after Close: got %v, want net.ErrClosed", err)
	}
	if _, err := net.DialTimeout("tcp", m.Addr().String(), waitFor); err == nil {
		t.Error("dial after Close: got a connection, want refused")
	}
	if err := m.Close(); err != nil {
		t.Errorf("second Close: got %v, want nil", err)
	}
}

func TestCloseClosesQueuedConnections(t *testing.T) {
	c := newCluster(t)
	m := listen(t, peer.Config{TLS: c.tls(t, "n1")})
	conn, err := m.RaftLayer().Dial(raft.ServerAddress(m.Addr().String()), waitFor)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Nobody accepts: once routed, the connection waits in the raft queue. An HTTP round trip first gives the mux
	// time to route it; if Close comes earlier, the connection must be closed all the same.
	serveWhoAmI(t, m)
	get(t, peer.NewClient(c.tls(t, "n2"), nil), "http://"+m.Addr().String()+"/")
	m.Close()
	if err := closedByPeer(conn); err != nil {
		t.Errorf("queued connection not closed: %v", err)
	}
}

func TestSubListenerCloseLeavesOtherRunning(t *testing.T) {
	c := newCluster(t)
	m := listen(t, peer.Config{TLS: c.tls(t, "n1")})
	layer := m.RaftLayer()
	raftConns := accept(t, layer)
	serveWhoAmI(t, m)
	if err := layer.Close(); err != nil {
		t.Fatal(err)
	}
	if err := raftConns.waitErr(t); !errors.Is(err, net.ErrClosed) {
		t.Errorf("raft Accept: got %v, want net.ErrClosed", err)
	}
	conn, err := layer.Dial(raft.ServerAddress(m.Addr().String()), waitFor)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := closedByPeer(conn); err != nil {
		t.Errorf("raft connection after raft layer Close: %v, want closed", err)
	}
	if got := get(t, peer.NewClient(c.tls(t, "n2"), nil), "http://"+m.Addr().String()+"/"); got != "n2" {
		t.Errorf("HTTP after raft layer Close: got %q, want n2", got)
	}
}

func TestListenError(t *testing.T) {
	if _, err := peer.Listen(peer.Config{Addr: "127.0.0.1:notaport"}); err == nil {
		t.Fatal("got no error, want one for a bad address")
	}
}

func TestTooManyHandshakesRefused(t *testing.T) {
	c := newCluster(t)
	var logs logBuffer
	m := listen(t, peer.Config{TLS: c.tls(t, "n1"), Logger: logs.logger(), HandshakeTimeout: 2 * waitFor})
	const limit = 256 // maxHandshakes
	silent := make([]net.Conn, 0, limit)
	for range limit {
		conn, err := net.DialTimeout("tcp", m.Addr().String(), waitFor)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		silent = append(silent, conn)
	}
	extra, err := net.DialTimeout("tcp", m.Addr().String(), waitFor)
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	if err := closedByPeer(extra); err != nil {
		t.Fatalf("connection over the limit not closed: %v", err)
	}
	logs.waitLog(t, "remote="+extra.LocalAddr().String(), "too many connections in handshake")

	for _, conn := range silent {
		conn.Close()
	}
	// The slots free up as the mux sees the silent connections close.
	serveWhoAmI(t, m)
	client := peer.NewClient(c.tls(t, "n2"), nil)
	deadline := time.Now().Add(waitFor)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+m.Addr().String()+"/", nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			cancel()
			return
		}
		cancel()
		if time.Now().After(deadline) {
			t.Fatalf("request after the silent connections closed: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
