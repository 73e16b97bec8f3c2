package peer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/hashicorp/raft"
)

// dialTimeout bounds dial plus handshake for forwarded HTTP calls.
const dialTimeout = 5 * time.Second

// ErrUnreachable wraps every failure to connect to a peer (dial, TLS handshake, tag): nothing was sent to it.
var ErrUnreachable = errors.New("peer unreachable")

// dial connects to addr, runs the TLS handshake as a client when t is not nil, and writes tag. The context bounds the
// whole sequence; the returned connection has no deadline.
func dial(ctx context.Context, t *TLS, addr string, tag byte) (net.Conn, error) {
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%w: dialing %s: %w", ErrUnreachable, addr, err)
	}
	conn, err := clientHandshake(ctx, raw, t, tag)
	if err != nil {
		raw.Close()
		return nil, fmt.Errorf("%w: connecting to %s: %w", ErrUnreachable, addr, err)
	}
	return conn, nil
}

func clientHandshake(ctx context.Context, raw net.Conn, t *TLS, tag byte) (net.Conn, error) {
	if deadline, ok := ctx.Deadline(); ok {
		if err := raw.SetDeadline(deadline); err != nil {
			return nil, err
		}
	}
	conn := raw
	if t != nil {
		tc := tls.Client(raw, t.client)
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, fmt.Errorf("tls handshake: %w", err)
		}
		conn = tc
	}
	if _, err := conn.Write([]byte{tag}); err != nil {
		return nil, fmt.Errorf("writing tag: %w", err)
	}
	if err := raw.SetDeadline(time.Time{}); err != nil {
		return nil, err
	}
	return conn, nil
}

// raftLayer is the raft.StreamLayer of a Mux: Accept, Close and Addr come from the 'R' sub-listener.
type raftLayer struct {
	*subListener
	tls *TLS
}

// Dial opens a raft stream to a peer's raft address.
func (l *raftLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return dial(ctx, l.tls, string(address), tagRaft)
}

var _ raft.StreamLayer = (*raftLayer)(nil)

// NewClient returns an HTTP client for forwarded admin calls. URLs are "http://HOST:PORT/..." where HOST:PORT is a
// peer's raft address: the transport dials it with mutual TLS (when t is not nil) and writes the 'H' tag, so the
// request runs over mTLS although the URL scheme is http. Dial plus handshake is bounded by 5 s; there is no overall
// timeout (callers pass a context). addrFor, if not nil, maps each dialed host:port to another, for fault-injection
// proxies. Redirects are returned to the caller, not followed.
func NewClient(t *TLS, addrFor func(addr string) string) *http.Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			if addrFor != nil {
				addr = addrFor(addr)
			}
			ctx, cancel := context.WithTimeout(ctx, dialTimeout)
			defer cancel()
			return dial(ctx, t, addr, tagHTTP)
		},
		MaxIdleConnsPerHost: 8,
		IdleConnTimeout:     90 * time.Second,
	}
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
