package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"portico/raftstore"
	"portico/raftstore/state"
)

// noToken removes the default Authorization header: the inter-node link authenticates members by certificate.
var noToken = map[string]string{"Authorization": ""}

func TestPeerReadIndex(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		leading bool
		readErr error
		status  int
		msg     string
	}{
		{"leader", true, nil, 200, ""},
		{"follower", false, fmt.Errorf("read index: %w", raftstore.ErrNotLeader), 503, "not the leader (leader: n2)"},
		{"leader without quorum", true, errors.New("heartbeat failed"), 503, "no quorum"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			store := newMemberStore("n2", c.leading)
			store.readIdx, store.readErr = 42, c.readErr
			adm := newMember(t, "n1", store, newFakePeers(nil), nil)
			rec := serve(adm.PeerHandler(), request{method: "GET", path: "/internal/v1/read-index", header: noToken})
			if c.status != http.StatusOK {
				wantError(t, rec, c.status, "unavailable", c.msg)
				return
			}
			got := decodeObject(t, rec, http.StatusOK)
			if got["index"] != float64(42) {
				t.Errorf("index: got %v, want 42", got["index"])
			}
		})
	}
}

// servedAfter is a Served func that reports from until it has been asked polls times, then to.
func servedAfter(from, to uint64, polls int64) (served func() uint64, asked *atomic.Int64) {
	asked = &atomic.Int64{}
	return func() uint64 {
		if asked.Add(1) > polls {
			return to
		}
		return from
	}, asked
}

func TestPeerServed(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		from, to   uint64
		polls      int64
		query      string
		ok         bool
		served     uint64
		minTook    time.Duration
		badRequest string
	}{
		{name: "served already", from: 12, to: 12, query: "index=10&timeoutMs=20000", ok: true, served: 12},
		{name: "served while waiting", from: 3, to: 10, polls: 5, query: "index=10&timeoutMs=20000", ok: true,
			served: 10},
		{name: "not served in time", from: 3, to: 3, query: "index=10&timeoutMs=50", ok: false, served: 3,
			minTook: 50 * time.Millisecond},
		{name: "bad index", from: 3, to: 3, query: "index=ten", badRequest: "index"},
		{name: "negative timeout", from: 3, to: 3, query: "index=1&timeoutMs=-1", badRequest: "timeoutMs"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			served, asked := servedAfter(c.from, c.to, c.polls)
			adm := newMember(t, "n3", newMemberStore("n1", false), newFakePeers(nil), served)
			start := time.Now()
			rec := serve(adm.PeerHandler(), request{method: "GET", path: "/internal/v1/served?" + c.query,
				header: noToken})
			took := time.Since(start)
			if c.badRequest != "" {
				wantError(t, rec, http.StatusBadRequest, "invalid_request", c.badRequest)
				return
			}
			got := decodeObject(t, rec, http.StatusOK)
			if got["id"] != "n3" || got["ok"] != c.ok || got["servedIndex"] != float64(c.served) {
				t.Errorf("answer: got %v, want id n3, ok %v, servedIndex %d", got, c.ok, c.served)
			}
			if asked.Load() <= c.polls {
				t.Errorf("Served calls: got %d, want more than %d (the wait polls it)", asked.Load(), c.polls)
			}
			// ok says a served index was answered before its timeout; an index never served is answered once its
			// timeout passes, not before, and not as late as the default 5 s wait: the bound (100x the 50 ms
			// timeout) is against a wait that ignores timeoutMs, not a speed target.
			if took < c.minTook || (!c.ok && took >= 5*time.Second) {
				t.Errorf("answered after %s, want at least %s (and under 5 s without being served)", took, c.minTook)
			}
		})
	}
}

// TestPeerServedLongTimeout asks for a timeout beyond the cap: the wait is capped at maxServedWait, not cut short.
func TestPeerServedLongTimeout(t *testing.T) {
	t.Parallel()
	served, _ := servedAfter(3, 10, 5)
	adm := newMember(t, "n3", newMemberStore("n1", false), newFakePeers(nil), served)
	rec := serve(adm.PeerHandler(), request{method: "GET",
		path: "/internal/v1/served?index=10&timeoutMs=10000000000000", header: noToken})
	got := decodeObject(t, rec, http.StatusOK)
	if got["ok"] != true || got["servedIndex"] != float64(10) {
		t.Errorf("answer: got %v, want ok true, servedIndex 10 (the wait capped at %s)", got, maxServedWait)
	}
}

func TestPeerStatus(t *testing.T) {
	t.Parallel()
	adm := newMember(t, "n3", newMemberStore("n1", false), newFakePeers(nil), func() uint64 { return 6 })
	var got memberStatus
	decodeBody(t, serve(adm.PeerHandler(), request{method: "GET", path: "/internal/v1/status", header: noToken}),
		http.StatusOK, &got)
	want := memberStatus{ID: "n3", State: "follower", Leader: "n1", Term: 2, AppliedIndex: 7, ServedIndex: 6}
	if got != want {
		t.Errorf("status: got %+v, want %+v", got, want)
	}
}

// validNode is a join or register body that passes validation.
const validNode = `{"id":"n4","raftAddr":"127.0.0.1:7004","adminUrl":"http://127.0.0.1:8004",` +
	`"gatewayUrl":"https://127.0.0.1:9004"}`

// nodeBody is a join or register body.
func nodeBody(id, raftAddr, adminURL, gatewayURL string) string {
	b, _ := json.Marshal(state.Node{ID: id, RaftAddr: raftAddr, AdminURL: adminURL, GatewayURL: gatewayURL})
	return string(b)
}

// wantRegistered requires the one command applied to be the registration of n4 stamped with the test clock.
func wantRegistered(t *testing.T, store *fakeStore) {
	t.Helper()
	cmds, _ := store.applies()
	want := state.Node{ID: "n4", RaftAddr: "127.0.0.1:7004", AdminURL: "http://127.0.0.1:8004",
		GatewayURL: "https://127.0.0.1:9004", UpdatedAt: 1_700_000_000_000}
	if len(cmds) != 1 {
		t.Fatalf("applied: got %v, want one RegisterNode", cmds)
	}
	if reg, ok := cmds[0].(raftstore.RegisterNode); !ok || reg.Node != want {
		t.Errorf("applied: got %#v, want RegisterNode of %+v", cmds[0], want)
	}
}

func TestPeerRegister(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		leading bool
		body    string
		status  int
		msg     string
	}{
		{"on the leader", true, validNode, 200, ""},
		{"on a follower", false, validNode, 503, "not the leader (leader: n2)"},
		{"bad raft address", true, nodeBody("n4", "127.0.0.1", "http://h:1", "http://h:2"), 400, "raftAddr"},
		{"bad id", true, nodeBody("N4", "h:1", "http://h:1", "http://h:2"), 400, `id: "N4"`},
		{"malformed body", true, `{"id":`, 400, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			store := newMemberStore("n2", c.leading)
			adm := newMember(t, "n2", store, newFakePeers(nil), nil)
			rec := serve(adm.PeerHandler(), request{method: "POST", path: "/internal/v1/register",
				ctype: "application/json", body: c.body, header: noToken})
			if c.status != http.StatusOK {
				wantError(t, rec, c.status, httpCode(c.status), c.msg)
				if store.calls() != 0 {
					t.Errorf("applied: got %d commands, want none", store.calls())
				}
				return
			}
			got := decodeObject(t, rec, http.StatusOK)
			if got["id"] != "n4" || got["registered"] != true {
				t.Errorf("answer: got %v, want id n4, registered true", got)
			}
			wantRegistered(t, store)
		})
	}
}

// httpCode is the wire error code of the statuses these tests expect.
func httpCode(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "invalid_request"
	case http.StatusNotFound:
		return "not_found"
	}
	return "unavailable"
}

func TestJoin(t *testing.T) {
	t.Parallel()
	fields := []string{"id", "raftAddr", "adminUrl", "gatewayUrl"}
	const raft, admin, gateway = "127.0.0.1:7004", "http://127.0.0.1:8004", "https://127.0.0.1:9004"
	cases := []struct {
		name    string
		body    string
		joinErr error
		status  int
		bad     []string // the fields the message names
		msg     string
	}{
		{name: "valid", body: validNode, status: 200},
		{name: "upper-case id", body: nodeBody("N4", raft, admin, gateway), status: 400, bad: []string{"id"}},
		{name: "empty id", body: nodeBody("", raft, admin, gateway), status: 400, bad: []string{"id"}},
		{name: "id too long", body: nodeBody(strings.Repeat("n", 64), raft, admin, gateway), status: 400,
			bad: []string{"id"}},
		{name: "raft address without port", body: nodeBody("n4", "127.0.0.1", admin, gateway), status: 400,
			bad: []string{"raftAddr"}},
		{name: "admin URL without scheme", body: nodeBody("n4", raft, "127.0.0.1:8004", gateway), status: 400,
			bad: []string{"adminUrl"}},
		{name: "admin URL with a path", body: nodeBody("n4", raft, "http://127.0.0.1:8004/admin", gateway),
			status: 400, bad: []string{"adminUrl"}},
		{name: "gateway URL not http", body: nodeBody("n4", raft, admin, "ftp://127.0.0.1:9004"), status: 400,
			bad: []string{"gatewayUrl"}},
		{name: "gateway URL without host", body: nodeBody("n4", raft, admin, "http://"), status: 400,
			bad: []string{"gatewayUrl"}},
		{name: "everything wrong", body: nodeBody("-", "x", "", "ftp://x"), status: 400, bad: fields},
		{name: "unknown field", body: `{"id":"n4","nickname":"four"}`, status: 400, msg: "nickname"},
		{name: "join refused: not the leader", body: validNode,
			joinErr: fmt.Errorf("joining: %w", raftstore.ErrNotLeader), status: 503, msg: "not the leader"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			store := newMemberStore("n1", true)
			store.err = c.joinErr
			adm := newMember(t, "n1", store, newFakePeers(nil), nil)
			rec := serve(adm, request{method: "POST", path: "/v1/cluster/join", ctype: "application/json",
				body: c.body})
			switch {
			case c.status == http.StatusOK:
				got := decodeObject(t, rec, http.StatusOK)
				if got["id"] != "n4" || got["joined"] != true {
					t.Errorf("answer: got %v, want id n4, joined true", got)
				}
				wantRegistered(t, store)
				want := []string{"Join n4 127.0.0.1:7004", "Apply node.register"}
				if got := membershipCalls(store); !slices.Equal(got, want) {
					t.Errorf("store calls: got %q, want %q", got, want)
				}
				return
			case c.status == http.StatusServiceUnavailable:
				wantError(t, rec, c.status, "unavailable", c.msg)
				if store.calls() != 0 {
					t.Errorf("applied: got %d commands, want none", store.calls())
				}
				return
			}
			wantError(t, rec, http.StatusBadRequest, "invalid_request", c.msg)
			msg := errorMessage(t, rec.Body.Bytes())
			for _, f := range fields {
				named := strings.Contains(msg, f+": ")
				if want := slices.Contains(c.bad, f); named != want {
					t.Errorf("message %q: names %s: got %v, want %v", msg, f, named, want)
				}
			}
			if got := membershipCalls(store); len(got) != 0 {
				t.Errorf("store calls: got %q, want none", got)
			}
		})
	}
}

// membershipCalls are the store's recorded Join, Remove and Apply calls, in order.
func membershipCalls(store *fakeStore) []string {
	var out []string
	for _, c := range store.calledLog() {
		if strings.HasPrefix(c, "Join ") || strings.HasPrefix(c, "Remove ") || strings.HasPrefix(c, "Apply ") {
			out = append(out, c)
		}
	}
	return out
}

// errorMessage is the message of a JSON wire error.
func errorMessage(t *testing.T, body []byte) string {
	t.Helper()
	var e struct {
		Message string `json:"message"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("decoding %s: %v", body, err)
	}
	return e.Message
}

func TestRemoveNode(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, id   string
		membersErr error
		removeErr  error
		status     int
		msg        string
		wantLog    []string
	}{
		{name: "registered member", id: "n2", status: 200, wantLog: []string{"Apply node.deregister", "Remove n2"}},
		{name: "unregistered member", id: "n3", status: 200, wantLog: []string{"Remove n3"}},
		{name: "not a member", id: "n9", status: 404, msg: `node "n9" is not a member`},
		{name: "configuration unreadable", id: "n2", membersErr: errors.New("raft shut down"), status: 503,
			msg: "reading the raft configuration failed"},
		{name: "not the leader", id: "n3", removeErr: raftstore.ErrNotLeader, status: 503, msg: "not the leader",
			wantLog: []string{"Remove n3"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			store := newMemberStore("n1", true)
			store.members = []raftstore.Member{{ID: "n1", Voter: true}, {ID: "n2", Voter: true}, {ID: "n3"}}
			store.membersErr, store.err = c.membersErr, c.removeErr
			store.st.Nodes["n2"] = &state.Node{ID: "n2", RaftAddr: "127.0.0.1:7002"}
			adm := newMember(t, "n1", store, newFakePeers(nil), nil)
			rec := serve(adm, request{method: "DELETE", path: "/v1/cluster/nodes/" + c.id})
			if c.status == http.StatusOK {
				if got := decodeObject(t, rec, http.StatusOK); got["removed"] != c.id {
					t.Errorf("answer: got %v, want removed %s", got, c.id)
				}
			} else {
				wantError(t, rec, c.status, httpCode(c.status), c.msg)
			}
			if got := membershipCalls(store); !slices.Equal(got, c.wantLog) {
				t.Errorf("store calls: got %q, want %q", got, c.wantLog)
			}
		})
	}
}

func TestClusterStatus(t *testing.T) {
	t.Parallel()
	store := newMemberStore("n1", true)
	store.members = []raftstore.Member{
		{ID: "n1", RaftAddr: "127.0.0.1:7001", Voter: true},
		{ID: "n2", RaftAddr: "127.0.0.1:7002", Voter: true},
		{ID: "n3", RaftAddr: "127.0.0.1:7003", Voter: true},
		{ID: "n4", RaftAddr: "127.0.0.1:7004"},
		{ID: "n5", RaftAddr: "127.0.0.1:7005", Voter: true},
	}
	store.st.Nodes["n1"] = &state.Node{ID: "n1", AdminURL: "http://127.0.0.1:8001", GatewayURL: "http://127.0.0.1:9001"}
	store.st.Nodes["n2"] = &state.Node{ID: "n2", AdminURL: "https://a2.example:8002", GatewayURL: "http://g2:9002"}
	peers := newFakePeers(map[string][]peerReply{
		"n2": {answerJSON(memberStatus{ID: "n2", State: "follower", Leader: "n1", Term: 2, AppliedIndex: 40,
			ServedIndex: 39})},
		"n4": {answerJSON(memberStatus{ID: "n4", State: "follower", AppliedIndex: 3, ServedIndex: 3})},
		"n5": {hangs},
	})
	adm := newMember(t, "n1", store, peers, func() uint64 { return 41 })
	// The answering fakes must report within the status wait: 5 s instead of the node's 1 s leave room for a stall
	// of this parallel test on a loaded machine.
	adm.statusWait = 5 * time.Second
	start := time.Now()
	var got clusterView
	decodeBody(t, serve(adm, request{method: "GET", path: "/v1/cluster"}), http.StatusOK, &got)
	// Not before the status wait: the silent member is waited for; the upper bound (5x) only says it is not waited
	// for beyond it, it is no speed target.
	if took := time.Since(start); took < adm.statusWait || took > 5*adm.statusWait {
		t.Errorf("answered after %s, want after the status wait of %s for the silent member", took, adm.statusWait)
	}
	want := clusterView{Leader: "n1", Term: 2, Index: 7, Nodes: []memberView{
		{ID: "n1", State: "leader", Voter: true, AppliedIndex: 7, ServedIndex: 41, AdminAddr: "127.0.0.1:8001",
			RaftAddr: "127.0.0.1:7001", GatewayAddr: "127.0.0.1:9001", Healthy: true},
		{ID: "n2", State: "follower", Voter: true, AppliedIndex: 40, ServedIndex: 39, AdminAddr: "a2.example:8002",
			RaftAddr: "127.0.0.1:7002", GatewayAddr: "g2:9002", Healthy: true},
		{ID: "n3", State: "unreachable", Voter: true, RaftAddr: "127.0.0.1:7003", Error: "peer unreachable"},
		{ID: "n4", State: "follower", AppliedIndex: 3, ServedIndex: 3, RaftAddr: "127.0.0.1:7004",
			Error: "no leader known"},
		{ID: "n5", State: "unreachable", Voter: true, RaftAddr: "127.0.0.1:7005", Error: "deadline exceeded"},
	}}
	if got.Leader != want.Leader || got.Term != want.Term || got.Index != want.Index || len(got.Nodes) != len(want.Nodes) {
		t.Fatalf("cluster: got %+v, want %+v", got, want)
	}
	for i, w := range want.Nodes {
		g := got.Nodes[i]
		if !strings.Contains(g.Error, w.Error) || (w.Error == "") != (g.Error == "") {
			t.Errorf("node %s error: got %q, want it to contain %q", w.ID, g.Error, w.Error)
		}
		g.Error, w.Error = "", ""
		if g != w {
			t.Errorf("node %d: got %+v, want %+v", i, g, w)
		}
	}
	for _, pc := range peers.all() {
		if pc.method != "GET" || pc.target != "/internal/v1/status" {
			t.Errorf("peer call: got %s %s, want GET /internal/v1/status", pc.method, pc.target)
		}
	}
	if got := store.calledLog(); len(got) != 0 {
		t.Errorf("store calls: got %q, want none (cluster status is answered locally)", got)
	}
}

func TestClusterStatusWithoutConfiguration(t *testing.T) {
	t.Parallel()
	store := newMemberStore("", false)
	store.membersErr = errors.New("raft shut down")
	adm := newMember(t, "n1", store, newFakePeers(nil), nil)
	wantError(t, serve(adm, request{method: "GET", path: "/v1/cluster"}), http.StatusServiceUnavailable,
		"unavailable", "reading the raft configuration failed")
}
