package admin

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"portico/node/httperr"
	"portico/node/peer"
	"portico/raftstore"
	"portico/raftstore/state"
)

// peerCall is one request a member received through fakePeers, as it was sent.
type peerCall struct {
	id, method, target string // target is the path and query
	header             http.Header
	body               string
}

// peerReply answers one request sent to a member.
type peerReply func(req *http.Request) (*http.Response, error)

// fakePeers stands in for the inter-node link: each member answers with its scripted replies in order, the last one
// repeating. A member without replies is unreachable. Every request is recorded.
type fakePeers struct {
	mu      sync.Mutex
	replies map[string][]peerReply
	calls   []peerCall
}

func newFakePeers(replies map[string][]peerReply) *fakePeers {
	return &fakePeers{replies: replies}
}

func (p *fakePeers) Do(id string, req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, fmt.Errorf("fake peer %s: reading the request body: %w", id, err)
		}
		body = b
		req.Body = io.NopCloser(strings.NewReader(string(body)))
	}
	p.mu.Lock()
	n := len(p.callsTo(id))
	p.calls = append(p.calls, peerCall{id: id, method: req.Method, target: req.URL.RequestURI(),
		header: req.Header.Clone(), body: string(body)})
	replies := p.replies[id]
	p.mu.Unlock()
	if len(replies) == 0 {
		return nil, fmt.Errorf("%w: dialing %s: no such member", peer.ErrUnreachable, id)
	}
	return replies[min(n, len(replies)-1)](req)
}

// callsTo returns the requests member id received; p.mu is held by the caller.
func (p *fakePeers) callsTo(id string) []peerCall {
	var out []peerCall
	for _, c := range p.calls {
		if c.id == id {
			out = append(out, c)
		}
	}
	return out
}

// received returns the requests member id received so far.
func (p *fakePeers) received(id string) []peerCall {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.callsTo(id)
}

// all returns every request sent so far.
func (p *fakePeers) all() []peerCall {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.calls)
}

// wroteHeaders tells the request's client trace, if any, that its headers were written, as a transport does.
func wroteHeaders(req *http.Request) {
	if tr := httptrace.ContextClientTrace(req.Context()); tr != nil && tr.WroteHeaders != nil {
		tr.WroteHeaders()
	}
}

// handledBy is a member that serves the request with h, after writing the request like a transport.
func handledBy(h http.Handler) peerReply {
	return func(req *http.Request) (*http.Response, error) {
		wroteHeaders(req)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Result(), nil
	}
}

// answer is a member that answers status with a JSON wire error holding msg (or, for 2xx, body as it is).
func answer(status int, msg string) peerReply {
	return handledBy(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if status >= 400 {
			httperr.Write(w, r.Header.Get("X-Request-Id"), httperr.New(status, msg))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, msg)
	}))
}

// answerJSON is a member that answers 200 with v.
func answerJSON(v any) peerReply {
	return handledBy(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = writeJSON(w, http.StatusOK, v)
	}))
}

// unreachable is a member that cannot be connected to: nothing is sent.
func unreachable(req *http.Request) (*http.Response, error) {
	return nil, fmt.Errorf("calling member: %w: dialing 127.0.0.1:1: connection refused", peer.ErrUnreachable)
}

// dialRefused is a plain dial error from the transport, without the link's sentinel: nothing is sent.
func dialRefused(req *http.Request) (*http.Response, error) {
	return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
}

// brokenAfterHeaders is a connection that fails after the request's headers were written: it may have arrived.
func brokenAfterHeaders(req *http.Request) (*http.Response, error) {
	wroteHeaders(req)
	return nil, fmt.Errorf("reading the response: %w", io.ErrUnexpectedEOF)
}

// unreachableAfterHeaders writes the headers on a pooled connection that turns out dead, then fails to redial: the
// error says unreachable, but the first write may have arrived.
func unreachableAfterHeaders(req *http.Request) (*http.Response, error) {
	wroteHeaders(req)
	return unreachable(req)
}

// brokenUnknown fails without a trace of what was sent and without being a dial error.
func brokenUnknown(req *http.Request) (*http.Response, error) {
	return nil, fmt.Errorf("round trip: %w", io.EOF)
}

// hangs is a member that never answers: it returns when the request's context ends.
func hangs(req *http.Request) (*http.Response, error) {
	wroteHeaders(req)
	<-req.Context().Done()
	return nil, req.Context().Err()
}

// then runs do before reply, as a change of the cluster while a request is on its way.
func then(do func(), reply peerReply) peerReply {
	return func(req *http.Request) (*http.Response, error) {
		do()
		return reply(req)
	}
}

// newMemberStore is a fake store holding the test admin token, knowing leader, leading or not.
func newMemberStore(leader string, leading bool) *fakeStore {
	store := newFakeStore(map[string]*state.AdminToken{"tok1": ptr(testAdminToken())}, nil)
	store.setLeader(leader, leading)
	return store
}

// newMember is the admin API of node id over store; peers may be nil (a single node).
func newMember(t *testing.T, id string, store *fakeStore, peers Peers, served func() uint64) *Admin {
	t.Helper()
	adm, err := New(Config{
		Store: store, NodeID: id, Peers: peers, Served: served,
		Policies: func(name string) bool { return builtins[name] },
		Now:      func() time.Time { return time.UnixMilli(1_700_000_000_000) },
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return adm
}

// generatedKey is the form of an Idempotency-Key a forwarding node adds.
var generatedKey = regexp.MustCompile(`^idem-[0-9a-f]{32}$`)

// checkForwarded requires every forwarded attempt to carry the caller's token, the same Idempotency-Key (want, or a
// generated one when want is empty), the forwarding node's ID and the whole body; it returns the key.
func checkForwarded(t *testing.T, calls []peerCall, wantKey, wantBody string) string {
	t.Helper()
	if len(calls) == 0 {
		t.Fatalf("forwarded attempts: got none, want at least one")
	}
	key := calls[0].header.Get("Idempotency-Key")
	if wantKey != "" && key != wantKey || wantKey == "" && !generatedKey.MatchString(key) {
		t.Errorf("Idempotency-Key: got %q, want %q (or a generated idem-<hex> when empty)", key, wantKey)
	}
	for i, c := range calls {
		if got := c.header.Get("Idempotency-Key"); got != key {
			t.Errorf("attempt %d: Idempotency-Key: got %q, want %q as on the first attempt", i, got, key)
		}
		if got := c.header.Get("Authorization"); got != "Bearer "+testToken {
			t.Errorf("attempt %d: Authorization: got %q, want the caller's bearer token", i, got)
		}
		if got := c.header.Get(ForwardedHeader); got != "n1" {
			t.Errorf("attempt %d: %s: got %q, want n1", i, ForwardedHeader, got)
		}
		if c.body != wantBody {
			t.Errorf("attempt %d: body: got %q, want %q", i, c.body, wantBody)
		}
	}
	return key
}

// TestForwardCopiesLeaderAnswer checks that a follower sends a write to the leader with the caller's credentials and
// copies the leader's answer.
func TestForwardCopiesLeaderAnswer(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, key string
	}{
		{"caller's key kept", "caller-key-1"},
		{"key added when none", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			leaderSaw := make(chan *http.Request, 1)
			leader := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				leaderSaw <- r
				w.Header().Set("Content-Type", "text/plain")
				w.Header().Set("X-Leader-Only", "yes")
				w.Header().Set("Keep-Alive", "timeout=5")
				w.WriteHeader(http.StatusAccepted)
				_, _ = io.WriteString(w, "accepted by the leader")
			})
			peers := newFakePeers(map[string][]peerReply{"n2": {handledBy(leader)}})
			adm := newMember(t, "n1", newMemberStore("n2", false), peers, nil)
			body := `{"name":"fwd","description":"from a follower"}`
			rec := serve(adm, request{method: "POST", path: "/v1/apps?x=1", ctype: "application/json", body: body,
				header: map[string]string{"Idempotency-Key": c.key, "X-Request-Id": "rid-forward-1"}})
			if rec.Code != http.StatusAccepted || rec.Body.String() != "accepted by the leader" {
				t.Fatalf("answer: got %d %q, want 202 %q", rec.Code, rec.Body, "accepted by the leader")
			}
			if rec.Header().Get("X-Leader-Only") != "yes" || rec.Header().Get("Content-Type") != "text/plain" {
				t.Errorf("headers: got %v, want the leader's X-Leader-Only and Content-Type", rec.Header())
			}
			if got := rec.Header().Get("Keep-Alive"); got != "" {
				t.Errorf("Keep-Alive: got %q, want the hop-by-hop header dropped", got)
			}
			calls := peers.received("n2")
			if len(calls) != 1 {
				t.Fatalf("attempts: got %d, want 1", len(calls))
			}
			checkForwarded(t, calls, c.key, body)
			if calls[0].method != "POST" || calls[0].target != "/v1/apps?x=1" {
				t.Errorf("forwarded request: got %s %s, want POST /v1/apps?x=1", calls[0].method, calls[0].target)
			}
			if got := calls[0].header.Get("X-Request-Id"); got != "rid-forward-1" {
				t.Errorf("forwarded X-Request-Id: got %q, want the caller's rid-forward-1", got)
			}
			if got := calls[0].header.Get("Content-Type"); got != "application/json" {
				t.Errorf("forwarded Content-Type: got %q, want application/json", got)
			}
			if r := <-leaderSaw; r.Host != "" || r.URL.Host != "" {
				t.Errorf("forwarded URL: got host %q / %q, want a path-only URL", r.Host, r.URL.Host)
			}
		})
	}
}

// TestForwardToLeaderPeerHandler runs a forwarded write through the leader's PeerHandler: the leader authorises it,
// applies it once with the forwarded Idempotency-Key, and the follower copies the created object.
func TestForwardToLeaderPeerHandler(t *testing.T) {
	t.Parallel()
	leaderStore := newMemberStore("n2", true)
	leader := newMember(t, "n2", leaderStore, newFakePeers(nil), nil)
	peers := newFakePeers(map[string][]peerReply{"n2": {handledBy(leader.PeerHandler())}})
	follower := newMember(t, "n1", newMemberStore("n2", false), peers, nil)
	body := `{"name":"shop","description":"made on n2"}`
	rec := serve(follower, request{method: "POST", path: "/v1/apps", ctype: "application/json", body: body})
	got := decodeObject(t, rec, http.StatusCreated)
	if got["name"] != "shop" || got["description"] != "made on n2" {
		t.Errorf("created app: got %v, want name shop, description made on n2", got)
	}
	key := checkForwarded(t, peers.received("n2"), "", body)
	cmds, keys := leaderStore.applies()
	if len(cmds) != 1 || len(keys) != 1 || keys[0] != key {
		t.Fatalf("leader applies: got %v with keys %v, want one with key %q", cmds, keys, key)
	}
	if app, ok := cmds[0].(raftstore.CreateApp); !ok || app.App.Name != "shop" {
		t.Errorf("leader applied: got %#v, want CreateApp of shop", cmds[0])
	}

	// The leader checks the caller's token again: a forwarded write without one is refused there.
	rec = serve(follower, request{method: "POST", path: "/v1/apps", ctype: "application/json", body: body,
		header: map[string]string{"Authorization": ""}})
	wantError(t, rec, http.StatusUnauthorized, "unauthorized", "admin token")
	if leaderStore.calls() != 1 {
		t.Errorf("leader applies after an unauthorised write: got %d, want still 1", leaderStore.calls())
	}
}

// TestForwardRetries checks the bounded retries of a forwarded write and how a failure is told to the caller.
func TestForwardRetries(t *testing.T) {
	t.Parallel()
	const unavailable, busy = "not the leader (leader: n3); nothing was applied", "leader busy: outcome unknown"
	ok := answer(http.StatusCreated, `{"id":"a1"}`)
	cases := []struct {
		name     string
		replies  []peerReply
		status   int
		attempts int
		msg      string // in the body of the answer
	}{
		{"delivered then broken, then served", []peerReply{brokenAfterHeaders, ok}, 201, 2, `"a1"`},
		{"unreachable, then served", []peerReply{unreachable, ok}, 201, 2, `"a1"`},
		{"unreachable on every attempt", []peerReply{unreachable}, 503, 4,
			"the leader is unreachable from this node; nothing was applied"},
		{"dial refused on every attempt", []peerReply{dialRefused}, 503, 4, "nothing was applied"},
		{"delivered once, then unreachable", []peerReply{unreachable, brokenAfterHeaders, unreachable}, 503, 4,
			"the outcome of the write is unknown"},
		{"headers written, then unreachable", []peerReply{unreachableAfterHeaders, unreachable}, 503, 4,
			"the outcome of the write is unknown"},
		{"broken without knowing what was sent", []peerReply{brokenUnknown}, 503, 4,
			"the outcome of the write is unknown"},
		{"leader 503 then served", []peerReply{answer(503, unavailable), ok}, 201, 2, `"a1"`},
		{"leader 503 unapplied, then unreachable", []peerReply{answer(503, unavailable), unreachable}, 503, 4,
			"the leader is unreachable from this node; nothing was applied"},
		{"leader 503 of unknown outcome, then unreachable", []peerReply{answer(503, "leader busy"), unreachable},
			503, 4, "the outcome of the write is unknown"},
		{"leader 503 on every attempt: the last is copied", []peerReply{answer(503, busy)}, 503, 4, busy},
		{"leader 400 not retried", []peerReply{answer(400, "name: required"), ok}, 400, 1, "name: required"},
		{"leader 409 not retried", []peerReply{answer(409, "app taken"), ok}, 409, 1, "app taken"},
		{"leader 500 not retried", []peerReply{answer(500, "internal error"), ok}, 500, 1, "internal error"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			peers := newFakePeers(map[string][]peerReply{"n2": c.replies})
			store := newMemberStore("n2", false)
			adm := newMember(t, "n1", store, peers, nil)
			body := `{"name":"retried"}`
			rec := serve(adm, request{method: "POST", path: "/v1/apps", ctype: "application/json", body: body})
			if rec.Code != c.status || !strings.Contains(rec.Body.String(), c.msg) {
				t.Errorf("answer: got %d %s, want %d containing %q", rec.Code, rec.Body, c.status, c.msg)
			}
			wantRetry := ""
			if c.status == http.StatusServiceUnavailable && c.msg != busy {
				wantRetry = "1" // the follower's own 503; the leader's copied one has none
			}
			if got := rec.Header().Get("Retry-After"); got != wantRetry {
				t.Errorf("Retry-After: got %q, want %q", got, wantRetry)
			}
			calls := peers.received("n2")
			if len(calls) != c.attempts {
				t.Errorf("attempts: got %d, want %d", len(calls), c.attempts)
			}
			checkForwarded(t, calls, "", body)
			if store.calls() != 0 {
				t.Errorf("local applies on the follower: got %d, want 0", store.calls())
			}
		})
	}
}

// TestForwardFollowsNewLeader checks that a retry goes to the leader of the moment.
func TestForwardFollowsNewLeader(t *testing.T) {
	t.Parallel()
	store := newMemberStore("n2", false)
	moved := func() { store.setLeader("n3", false) }
	peers := newFakePeers(map[string][]peerReply{
		"n2": {then(moved, answer(503, "not the leader (leader: n3); nothing was applied"))},
		"n3": {answer(201, `{"id":"a1"}`)},
	})
	adm := newMember(t, "n1", store, peers, nil)
	body := `{"name":"moved"}`
	rec := serve(adm, request{method: "POST", path: "/v1/apps", ctype: "application/json", body: body})
	if rec.Code != http.StatusCreated {
		t.Fatalf("status: got %d, want 201 (body %s)", rec.Code, rec.Body)
	}
	calls := peers.all()
	if len(calls) != 2 || calls[0].id != "n2" || calls[1].id != "n3" {
		t.Fatalf("attempts: got %v, want n2 then n3", calls)
	}
	checkForwarded(t, calls, "", body)
}

// TestForwardFailureMessages checks the follower's own 503s: what they tell of the write, with the wire error form.
func TestForwardFailureMessages(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, msg, not string
		replies        []peerReply
	}{
		{"never sent", "nothing was applied", "unknown", []peerReply{unreachable}},
		{"maybe sent", "safe to retry with the same Idempotency-Key", "nothing was applied",
			[]peerReply{brokenAfterHeaders}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			peers := newFakePeers(map[string][]peerReply{"n2": c.replies})
			adm := newMember(t, "n1", newMemberStore("n2", false), peers, nil)
			rec := serve(adm, request{method: "DELETE", path: "/v1/apps/a1"})
			wantError(t, rec, http.StatusServiceUnavailable, "unavailable", c.msg)
			if strings.Contains(rec.Body.String(), c.not) {
				t.Errorf("message: got %s, want no %q", rec.Body, c.not)
			}
		})
	}
}

// TestForwardNoLeader checks that a write on a follower that knows no leader fails within the leader wait, unsent.
func TestForwardNoLeader(t *testing.T) {
	t.Parallel()
	peers := newFakePeers(map[string][]peerReply{"n2": {answer(201, `{}`)}})
	adm := newMember(t, "n1", newMemberStore("", false), peers, nil)
	start := time.Now()
	rec := serve(adm, request{method: "POST", path: "/v1/apps", ctype: "application/json", body: `{"name":"x"}`})
	took := time.Since(start)
	wantError(t, rec, http.StatusServiceUnavailable, "unavailable", "no leader")
	if !strings.Contains(rec.Body.String(), "nothing was applied") {
		t.Errorf("message: got %s, want it to say nothing was applied", rec.Body)
	}
	if rec.Header().Get("Retry-After") != "1" {
		t.Errorf("Retry-After: got %q, want 1", rec.Header().Get("Retry-After"))
	}
	// After the leader wait, not before; the upper bound (5x) only says the write does not hang, it is no speed
	// target.
	if took < leaderWait || took > 5*leaderWait {
		t.Errorf("answered after %s, want after the leader wait of %s and before 5x that", took, leaderWait)
	}
	if n := len(peers.all()); n != 0 {
		t.Errorf("peer calls: got %d, want 0", n)
	}
}

// TestForwardBecomesLeader checks that a follower that becomes the leader between attempts serves the write itself,
// with its whole body and the same Idempotency-Key.
func TestForwardBecomesLeader(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		fails peerReply
	}{
		{"after an unreachable attempt", unreachable},
		{"after an attempt that may have arrived", brokenAfterHeaders},
		{"after the old leader's 503", answer(503, "not the leader (leader: n1); nothing was applied")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			store := newMemberStore("n2", false)
			promote := func() { store.setLeader("n1", true) }
			peers := newFakePeers(map[string][]peerReply{"n2": {then(promote, c.fails), answer(201, `{}`)}})
			adm := newMember(t, "n1", store, peers, nil)
			body := `{"name":"late","description":"served where it arrived"}`
			rec := serve(adm, request{method: "POST", path: "/v1/apps", ctype: "application/json", body: body})
			got := decodeObject(t, rec, http.StatusCreated)
			if got["name"] != "late" || got["description"] != "served where it arrived" {
				t.Errorf("created app: got %v, want the request's name and description", got)
			}
			calls := peers.received("n2")
			if len(calls) != 1 {
				t.Errorf("attempts at n2: got %d, want 1", len(calls))
			}
			key := checkForwarded(t, calls, "", body)
			cmds, keys := store.applies()
			if len(cmds) != 1 || keys[0] != key {
				t.Fatalf("local applies: got %v with keys %v, want one with the forwarded key %q", cmds, keys, key)
			}
			if app, ok := cmds[0].(raftstore.CreateApp); !ok || app.App.Name != "late" {
				t.Errorf("applied: got %#v, want CreateApp of late", cmds[0])
			}
		})
	}
}

// TestForwardedWriteNotForwardedAgain checks that a write that arrived over the inter-node link on a node that is
// not the leader is refused there, not sent on.
func TestForwardedWriteNotForwardedAgain(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		peerLink bool
		status   int
		attempts int
	}{
		{"admin listener forwards", false, http.StatusCreated, 1},
		{"inter-node link does not", true, http.StatusServiceUnavailable, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			peers := newFakePeers(map[string][]peerReply{"n3": {answer(201, `{"id":"a1"}`)}})
			store := newMemberStore("n3", false)
			adm := newMember(t, "n1", store, peers, nil)
			var h http.Handler = adm
			if c.peerLink {
				h = adm.PeerHandler()
			}
			rec := serve(h, request{method: "POST", path: "/v1/apps", ctype: "application/json", body: `{"name":"x"}`,
				header: map[string]string{ForwardedHeader: "n2"}})
			if rec.Code != c.status {
				t.Fatalf("status: got %d, want %d (body %s)", rec.Code, c.status, rec.Body)
			}
			if c.status == http.StatusServiceUnavailable {
				wantError(t, rec, c.status, "unavailable", "does not forward a forwarded write")
				for _, want := range []string{"leader: n3", "nothing was applied"} {
					if !strings.Contains(rec.Body.String(), want) {
						t.Errorf("message: got %s, want it to contain %q", rec.Body, want)
					}
				}
			}
			if n := len(peers.received("n3")); n != c.attempts {
				t.Errorf("attempts: got %d, want %d", n, c.attempts)
			}
			if store.calls() != 0 {
				t.Errorf("local applies: got %d, want 0", store.calls())
			}
		})
	}
}

// TestLinearizableReads checks which requests confirm the leader's commit index first, and how: every read but the
// local ones and stale ones, and a write the leader serves (its checks must see every write committed before it).
func TestLinearizableReads(t *testing.T) {
	t.Parallel()
	leaderIndex := func(idx uint64, err error) peerReply {
		store := newMemberStore("n2", true)
		store.readIdx, store.readErr = idx, err
		return handledBy(newMember(t, "n2", store, newFakePeers(nil), nil).PeerHandler())
	}
	cases := []struct {
		name      string
		leading   bool
		leader    string
		noPeers   bool
		readErr   error
		waitErr   error
		n2        peerReply // the leader's inter-node link
		path      string
		body      string // a POST when not empty
		status    int
		msg       string
		wantLog   []string
		wantPeers []string
	}{
		{name: "leader confirms its own index", leading: true, leader: "n1", path: "/v1/apps", status: 200,
			wantLog: []string{"ReadIndex", "WaitApplied 42"}},
		{name: "single node confirms its own index", leading: true, leader: "n1", noPeers: true, path: "/v1/apis",
			status: 200, wantLog: []string{"ReadIndex", "WaitApplied 42"}},
		{name: "follower asks the leader", leader: "n2", n2: leaderIndex(99, nil), path: "/v1/apps", status: 200,
			wantLog: []string{"WaitApplied 99"}, wantPeers: []string{"n2 GET /internal/v1/read-index"}},
		{name: "a backup is a linearizable read", leading: true, leader: "n1", path: "/v1/snapshot", status: 200,
			wantLog: []string{"ReadIndex", "WaitApplied 42"}},
		{name: "leadership lost: the new leader is asked", leading: true, leader: "n2",
			readErr: fmt.Errorf("read index: %w", raftstore.ErrNotLeader), n2: leaderIndex(77, nil),
			path: "/v1/keys", status: 200, wantLog: []string{"ReadIndex", "WaitApplied 77"},
			wantPeers: []string{"n2 GET /internal/v1/read-index"}},
		{name: "stale read on a follower", leader: "n2", n2: leaderIndex(99, nil), path: "/v1/apps?stale=true",
			status: 200},
		{name: "stale read on the leader", leading: true, leader: "n1", path: "/v1/apis?stale=true", status: 200},
		{name: "cluster status is local", leader: "n2", n2: leaderIndex(99, nil), path: "/v1/cluster", status: 200},
		{name: "node status is local", leader: "n2", n2: leaderIndex(99, nil), path: "/v1/status", status: 200},
		{name: "leader without quorum", leading: true, leader: "n1", readErr: errors.New("heartbeat failed"),
			path: "/v1/apps", status: 503, msg: "?stale=true", wantLog: []string{"ReadIndex"}},
		{name: "leader's read index fails", leader: "n2", n2: leaderIndex(0, errors.New("heartbeat failed")),
			path: "/v1/apps", status: 503, msg: "?stale=true", wantPeers: []string{"n2 GET /internal/v1/read-index"}},
		{name: "leader unreachable", leader: "n2", path: "/v1/apps", status: 503, msg: "?stale=true",
			wantPeers: []string{"n2 GET /internal/v1/read-index"}},
		{name: "the leader confirms its index before a write", leading: true, leader: "n1", path: "/v1/apps",
			body: `{"name":"after-read-index"}`, status: 201,
			wantLog: []string{"ReadIndex", "WaitApplied 42", "Apply app.create"}},
		{name: "a write the leader cannot confirm is not applied", leading: true, leader: "n1",
			readErr: errors.New("heartbeat failed"), path: "/v1/apps", body: `{"name":"unconfirmed"}`, status: 503,
			msg: "no quorum", wantLog: []string{"ReadIndex"}},
		{name: "not caught up in time", leading: true, leader: "n1", waitErr: errors.New("context deadline exceeded"),
			path: "/v1/apps", status: 503, msg: "has not caught up with the leader's commit index 42",
			wantLog: []string{"ReadIndex", "WaitApplied 42"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			store := newMemberStore(c.leader, c.leading)
			store.readIdx, store.readErr, store.waitErr = 42, c.readErr, c.waitErr
			store.members = []raftstore.Member{{ID: "n1", RaftAddr: "127.0.0.1:7001", Voter: true}}
			replies := map[string][]peerReply{}
			if c.n2 != nil {
				replies["n2"] = []peerReply{c.n2}
			}
			peers := newFakePeers(replies)
			var p Peers = peers
			if c.noPeers {
				p = nil
			}
			adm := newMember(t, "n1", store, p, nil)
			r := request{method: "GET", path: c.path}
			if c.body != "" {
				r = request{method: "POST", path: c.path, ctype: "application/json", body: c.body}
			}
			rec := serve(adm, r)
			if rec.Code != c.status {
				t.Fatalf("status: got %d, want %d (body %s)", rec.Code, c.status, rec.Body)
			}
			if c.status == http.StatusServiceUnavailable {
				wantError(t, rec, c.status, "unavailable", c.msg)
			}
			if got := store.calledLog(); !slices.Equal(got, c.wantLog) {
				t.Errorf("store calls: got %q, want %q", got, c.wantLog)
			}
			var got []string
			for _, pc := range peers.all() {
				got = append(got, pc.id+" "+pc.method+" "+pc.target)
			}
			if !slices.Equal(got, c.wantPeers) {
				t.Errorf("peer calls: got %q, want %q", got, c.wantPeers)
			}
		})
	}
}

// TestReadAnswersFromState checks that a linearizable read still answers with this node's state once confirmed.
func TestReadAnswersFromState(t *testing.T) {
	t.Parallel()
	store := newMemberStore("n2", false)
	store.st.Apps["a1"] = &state.Application{ID: "a1", Name: "local-copy", CreatedAt: 1}
	peers := newFakePeers(map[string][]peerReply{"n2": {answerJSON(map[string]uint64{"index": 5})}})
	adm := newMember(t, "n1", store, peers, nil)
	list := decodeList(t, serve(adm, request{method: "GET", path: "/v1/apps"}))
	if len(list) != 1 || list[0]["name"] != "local-copy" {
		t.Errorf("apps: got %v, want the one app of this node's state", list)
	}
	if got := store.calledLog(); !slices.Equal(got, []string{"WaitApplied 5"}) {
		t.Errorf("store calls: got %q, want [WaitApplied 5]", got)
	}
}
