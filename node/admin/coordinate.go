package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"portico/node/httperr"
	"portico/node/peer"
	"portico/raftstore"
)

// Bounds of the cluster steps of a request.
const (
	leaderWait = 3 * time.Second // how long a request waits for a leader to be known
	readWait   = 5 * time.Second // how long a linearizable read waits for the leader's confirmation and the local apply
)

// ForwardedHeader names the member that forwarded a write; the leader trusts it only on the inter-node link.
const ForwardedHeader = "X-Portico-Forwarded-By"

// ClientAddrHeader carries the client's address (host:port) of a forwarded write, for counting failed sign-ins by
// client; it is trusted only on the inter-node link, like ForwardedHeader.
const ClientAddrHeader = "X-Portico-Client-Addr"

// localReads are the GET endpoints answered from this node's own view without asking the leader: they describe the
// node or the cluster's health and must work when there is no leader.
var localReads = map[string]bool{"/v1/status": true, "/v1/cluster": true}

type forwardedKey struct{}

// isForwarded reports whether r came from another member over the inter-node link.
func isForwarded(r *http.Request) bool {
	f, _ := r.Context().Value(forwardedKey{}).(bool)
	return f
}

// clientAddr is the address of the client that sent r: the socket peer, or for a write a member forwarded, the
// address that member saw.
func clientAddr(r *http.Request) string {
	if addr := r.Header.Get(ClientAddrHeader); addr != "" && isForwarded(r) {
		return addr
	}
	return r.RemoteAddr
}

// coordinate does the cluster's part of a /v1 request before it is served: a write on a follower is forwarded to the
// leader once (handled is then true), and a read is made linearizable unless it asks for ?stale=true.
func (a *Admin) coordinate(w http.ResponseWriter, r *http.Request) (handled bool, err error) {
	if !strings.HasPrefix(r.URL.Path, "/v1/") {
		return false, nil
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if localReads[r.URL.Path] || r.URL.Query().Get("stale") == "true" {
			return false, nil
		}
		return false, a.linearize(r.Context())
	}
	if !a.store.IsLeader() && a.peers != nil {
		if isForwarded(r) {
			return false, a.notLeader("this node is not the leader and does not forward a forwarded write")
		}
		if handled, err := a.forward(w, r); handled || err != nil {
			return handled, err
		}
	}
	// The leader serves the write: its token check and validation must see every write committed before it (a
	// leader just elected, or restarted, may not have applied them yet).
	return false, a.linearize(r.Context())
}

// waitLeader waits, bounded, until a leader is known and returns its ID.
func (a *Admin) waitLeader(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, leaderWait)
	defer cancel()
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		if id := a.store.LeaderID(); id != "" {
			return id, nil
		}
		select {
		case <-ctx.Done():
			e := httperr.New(http.StatusServiceUnavailable, fmt.Sprintf("no leader: the cluster has had no leader "+
				"for %s (a quorum of nodes is unreachable); nothing was applied", leaderWait))
			e.Header = http.Header{"Retry-After": {"1"}}
			return "", e
		case <-t.C:
		}
	}
}

// notLeader is the 503 of a request that reached a member that cannot serve it.
func (a *Admin) notLeader(why string) error {
	e := httperr.New(http.StatusServiceUnavailable, why+"; "+a.notLeaderMessage()+"; nothing was applied")
	e.Header = http.Header{"Retry-After": {"1"}}
	return e
}

// linearize makes the state this node reads at least as new as every write acknowledged before the read started:
// the leader confirms its commit index (ReadIndex) and this node waits until it has applied that index.
func (a *Admin) linearize(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readWait)
	defer cancel()
	idx, err := a.readIndex(ctx)
	if err != nil {
		return err
	}
	if err := a.store.WaitApplied(ctx, idx); err != nil {
		return httperr.Wrap(http.StatusServiceUnavailable, fmt.Sprintf("this node has not caught up with the "+
			"leader's commit index %d in time; retry, or read this node's copy with ?stale=true", idx), err)
	}
	return nil
}

// readIndex asks the leader (this node or another) for a confirmed commit index.
func (a *Admin) readIndex(ctx context.Context) (uint64, error) {
	if a.store.IsLeader() || a.peers == nil {
		idx, err := a.store.ReadIndex(ctx)
		if err == nil {
			return idx, nil
		}
		if !errors.Is(err, raftstore.ErrNotLeader) || a.peers == nil {
			return 0, a.noQuorum(err)
		}
	}
	leader, err := a.waitLeader(ctx)
	if err != nil {
		return 0, err
	}
	if leader == a.nodeID {
		idx, err := a.store.ReadIndex(ctx)
		if err != nil {
			return 0, a.noQuorum(err)
		}
		return idx, nil
	}
	var out struct {
		Index uint64 `json:"index"`
	}
	if err := a.peerJSON(ctx, leader, "/internal/v1/read-index", &out); err != nil {
		return 0, a.noQuorum(err)
	}
	return out.Index, nil
}

func (a *Admin) noQuorum(err error) error {
	e := httperr.Wrap(http.StatusServiceUnavailable, "no quorum: the leader could not confirm it still leads; "+
		"retry, or read this node's copy with ?stale=true", err)
	e.Header = http.Header{"Retry-After": {"1"}}
	return e
}

// peerJSON GETs path from member id and decodes its JSON answer.
func (a *Admin) peerJSON(ctx context.Context, id, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, path, nil)
	if err != nil {
		return fmt.Errorf("building request to %s: %w", id, err)
	}
	resp, err := a.peers.Do(id, req)
	if err != nil {
		return fmt.Errorf("calling %s %s: %w", id, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("reading %s %s: %w", id, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		var we struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(body, &we)
		return fmt.Errorf("%s %s: %s: %s", id, path, resp.Status, we.Message)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("decoding %s %s: %w", id, path, err)
	}
	return nil
}

// Bounds of forwarding a write.
const (
	forwardWait      = 6 * time.Second // all attempts of one forwarded write
	forwardAttempts  = 4
	forwardPause     = 150 * time.Millisecond
	maxForwardBuffer = 32 << 20 // bodies up to this size are kept for a retry; larger ones are sent once
)

// forward sends a write to the leader and copies the leader's answer; the caller's token travels with it and the
// leader authorises it again. The write carries an Idempotency-Key (this node adds one if the caller sent none), so
// when an attempt fails on the way or the leader answers 503 (leadership changing), it is sent again, to the
// leader of the moment, without risk of applying twice. handled is false if this node became the leader meanwhile:
// the caller then serves the write itself.
func (a *Admin) forward(w http.ResponseWriter, r *http.Request) (handled bool, err error) {
	key, err := idempotencyKey(r)
	if err != nil {
		return true, err
	}
	r.Header.Set("Idempotency-Key", key)
	body, err := bufferBody(r)
	if err != nil {
		return true, err
	}
	ctx, cancel := context.WithTimeout(r.Context(), forwardWait)
	defer cancel()
	var (
		last      error
		delivered bool // some attempt may have reached a leader
	)
	for attempt := 0; attempt < forwardAttempts; attempt++ {
		if attempt > 0 && !pause(ctx, forwardPause) {
			break
		}
		leader, err := a.waitLeader(ctx)
		if err != nil {
			if !delivered {
				return true, err
			}
			break
		}
		if leader == a.nodeID {
			r.Body = body.reader()
			return false, nil
		}
		var wrote atomic.Bool
		trace := &httptrace.ClientTrace{WroteHeaders: func() { wrote.Store(true) }}
		resp, err := a.peers.Do(leader, forwardRequest(httptrace.WithClientTrace(ctx, trace), r, body, a.nodeID))
		if err != nil {
			// The transport may have sent the request on a pooled connection and then failed to redial: only a
			// request whose headers were never written is known not to have arrived.
			delivered = delivered || wrote.Load() || !notDelivered(err)
			last = fmt.Errorf("forwarding to %s: %w", leader, err)
			if body.once {
				break
			}
			continue
		}
		if resp.StatusCode == http.StatusServiceUnavailable && !body.once && attempt+1 < forwardAttempts {
			msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			delivered = delivered || !bytes.Contains(msg, []byte("nothing was applied"))
			last = fmt.Errorf("leader %s answered 503: %s", leader, msg)
			continue
		}
		defer resp.Body.Close()
		a.awaitForwarded(ctx, resp)
		copyHeader(w.Header(), resp.Header)
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
		return true, nil
	}
	return true, forwardFailure(last, delivered)
}

// IndexHeader carries, on the leader's answer to a forwarded write, the state index that holds the write.
const IndexHeader = "X-Portico-Index"

// awaitForwarded waits, bounded, until this node serves the index the leader's successful answer names, so that a
// client that wrote through this node reads its write here at once (its gateway included).
func (a *Admin) awaitForwarded(ctx context.Context, resp *http.Response) {
	if resp.StatusCode >= http.StatusMultipleChoices {
		return
	}
	idx, err := strconv.ParseUint(resp.Header.Get(IndexHeader), 10, 64)
	if err != nil {
		return
	}
	if !a.waitServed(ctx, idx, servedWait) {
		a.log.Warn("answering a forwarded write before this node serves it", "index", idx, "served", a.served())
	}
}

// servedWait bounds how long a forwarded write's answer waits for this node to serve it.
const servedWait = 5 * time.Second

// forwardBody is a write's body kept for retries, or the body itself when it is too large to keep (once).
type forwardBody struct {
	data []byte
	rest io.Reader
	once bool
}

// reader gives the body again from its start (a body sent once is given as it is).
func (b *forwardBody) reader() io.ReadCloser {
	if b.once {
		return io.NopCloser(b.rest)
	}
	return io.NopCloser(bytes.NewReader(b.data))
}

func bufferBody(r *http.Request) (*forwardBody, error) {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxForwardBuffer+1))
	if err != nil {
		return nil, httperr.Wrap(http.StatusBadRequest, "reading the request body failed", err)
	}
	if len(data) <= maxForwardBuffer {
		return &forwardBody{data: data}, nil
	}
	return &forwardBody{rest: io.MultiReader(bytes.NewReader(data), r.Body), once: true}, nil
}

// forwardRequest is one attempt of forwarding r.
func forwardRequest(ctx context.Context, r *http.Request, body *forwardBody, self string) *http.Request {
	out := r.Clone(ctx)
	out.RequestURI, out.Host = "", ""
	out.URL = &url.URL{Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}
	out.Header.Set("X-Request-Id", requestIDFrom(r.Context()))
	out.Header.Set(ForwardedHeader, self)
	out.Header.Set(ClientAddrHeader, clientAddr(r))
	out.Body, out.ContentLength, out.GetBody = body.reader(), int64(len(body.data)), nil
	if body.once {
		out.ContentLength = r.ContentLength
		return out
	}
	out.GetBody = func() (io.ReadCloser, error) { return body.reader(), nil }
	return out
}

// pause waits d unless ctx ends first.
func pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// notDelivered reports whether err shows the request never left this node (no connection to the leader).
func notDelivered(err error) bool {
	if errors.Is(err, peer.ErrUnreachable) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// forwardFailure tells a write that never reached a leader (nothing applied) from one that may have.
func forwardFailure(err error, delivered bool) error {
	msg := "the leader is unreachable from this node; nothing was applied"
	if delivered {
		msg = "forwarding to the leader failed: the outcome of the write is unknown: it is safe to retry with " +
			"the same Idempotency-Key"
	}
	e := httperr.Wrap(http.StatusServiceUnavailable, msg, err)
	e.Header = http.Header{"Retry-After": {"1"}}
	return e
}

// hopHeaders are not copied from the leader's response.
var hopHeaders = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true, "Proxy-Connection": true, "Te": true,
	"Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
}

func copyHeader(dst, src http.Header) {
	for k, vs := range src {
		if hopHeaders[k] {
			continue
		}
		dst[k] = append([]string(nil), vs...)
	}
}

// queryUint reads an unsigned query parameter; absent gives def.
func queryUint(q url.Values, name string, def uint64) (uint64, error) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, httperr.New(http.StatusBadRequest, fmt.Sprintf("%s: %q is not a non-negative integer", name, v))
	}
	return n, nil
}
