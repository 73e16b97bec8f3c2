package admin

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"portico/raftstore"
)

// deployIndex is the index of the state holding a deploy in these tests.
const deployIndex = 10

// receiptWant is what a member's receipt must say.
type receiptWant struct {
	ok     bool
	served uint64
	err    string // in the receipt's error; empty = no error
}

func TestPropagation(t *testing.T) {
	t.Parallel()
	servingPeer := func(idx uint64) peerReply {
		adm := newMember(t, "n2", newMemberStore("n1", false), newFakePeers(nil), func() uint64 { return idx })
		return handledBy(adm.PeerHandler())
	}
	notServing := answerJSON(map[string]any{"id": "n3", "servedIndex": 4, "ok": false})
	cases := []struct {
		name     string
		wait     string
		n2, n3   peerReply
		complete bool
		nodes    map[string]receiptWant
	}{
		{name: "all serve", wait: "all", n2: servingPeer(deployIndex), n3: servingPeer(deployIndex + 1),
			complete: true, nodes: map[string]receiptWant{
				"n1": {ok: true, served: deployIndex}, "n2": {ok: true, served: deployIndex},
				"n3": {ok: true, served: deployIndex + 1}}},
		{name: "all: one never serves", wait: "all", n2: servingPeer(deployIndex), n3: notServing,
			nodes: map[string]receiptWant{
				"n1": {ok: true, served: deployIndex}, "n2": {ok: true, served: deployIndex},
				"n3": {served: 4, err: "does not serve index 10"}}},
		{name: "all: one unreachable", wait: "all", n2: servingPeer(deployIndex), n3: unreachable,
			nodes: map[string]receiptWant{
				"n1": {ok: true, served: deployIndex}, "n2": {ok: true, served: deployIndex},
				"n3": {err: "peer unreachable"}}},
		{name: "quorum: a silent member is not waited for", wait: "quorum", n2: servingPeer(deployIndex), n3: hangs,
			complete: true, nodes: map[string]receiptWant{
				"n1": {ok: true, served: deployIndex}, "n2": {ok: true, served: deployIndex},
				"n3": {err: "not waited for: enough members serve it"}}},
		{name: "quorum not reached", wait: "quorum", n2: unreachable, n3: notServing,
			nodes: map[string]receiptWant{
				"n1": {ok: true, served: deployIndex}, "n2": {err: "peer unreachable"},
				"n3": {served: 4, err: "does not serve index 10"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			store := newMemberStore("n1", true)
			store.st.Index = deployIndex
			store.members = []raftstore.Member{{ID: "n1", Voter: true}, {ID: "n2", Voter: true}, {ID: "n3", Voter: true}}
			peers := newFakePeers(map[string][]peerReply{"n2": {c.n2}, "n3": {c.n3}})
			adm := newMember(t, "n1", store, peers, func() uint64 { return deployIndex })
			start := time.Now()
			rec := serve(adm, request{method: "POST", path: "/v1/apis?wait=" + c.wait, ctype: "application/yaml",
				body: fixture(t, "greet.yaml")})
			// Every member answers at once or is not waited for: a deploy that waited for a silent member would take
			// the whole propagation wait. Anything shorter passes: this is no speed target.
			if took := time.Since(start); took >= propagationWait {
				t.Errorf("answered after %s, want before the propagation wait of %s", took, propagationWait)
			}
			var got deployResponse
			decodeBody(t, rec, http.StatusOK, &got)
			if got.Name != "greet" || got.Index != deployIndex || got.Propagation == nil {
				t.Fatalf("deploy: got %+v, want greet at index %d with a propagation report", got, deployIndex)
			}
			p := got.Propagation
			if p.Wait != c.wait || p.Complete != c.complete || len(p.Nodes) != len(c.nodes) {
				t.Errorf("propagation: got wait %s complete %v with %d nodes, want %s, %v, %d", p.Wait, p.Complete,
					len(p.Nodes), c.wait, c.complete, len(c.nodes))
			}
			for _, n := range p.Nodes {
				checkReceipt(t, n, c.nodes[n.ID])
			}
			for _, pc := range peers.all() {
				if pc.target != "/internal/v1/served?index=10&timeoutMs=10000" {
					t.Errorf("peer call to %s: got %s, want /internal/v1/served?index=10&timeoutMs=10000", pc.id,
						pc.target)
				}
			}
		})
	}
}

func checkReceipt(t *testing.T, got nodeLag, want receiptWant) {
	t.Helper()
	if got.OK != want.ok || got.ServedIndex != want.served {
		t.Errorf("node %s: got ok %v served %d, want ok %v served %d", got.ID, got.OK, got.ServedIndex, want.ok,
			want.served)
	}
	if want.err == "" && got.Error != "" || !strings.Contains(got.Error, want.err) {
		t.Errorf("node %s error: got %q, want %q", got.ID, got.Error, want.err)
	}
	if !got.OK && got.LagMs != 0 {
		t.Errorf("node %s lag: got %v ms, want none for a member that does not serve it", got.ID, got.LagMs)
	}
}

func TestPropagationWaitMode(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, query string
		status      int
	}{
		{"absent", "", http.StatusOK},
		{"none", "?wait=none", http.StatusOK},
		{"unknown", "?wait=majority", http.StatusBadRequest},
		{"wrong case", "?wait=ALL", http.StatusBadRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			store := newMemberStore("n1", true)
			store.st.Index = deployIndex
			store.members = []raftstore.Member{{ID: "n1", Voter: true}, {ID: "n2", Voter: true}}
			peers := newFakePeers(map[string][]peerReply{"n2": {hangs}})
			adm := newMember(t, "n1", store, peers, func() uint64 { return 0 })
			rec := serve(adm, request{method: "POST", path: "/v1/apis" + c.query, ctype: "application/yaml",
				body: fixture(t, "greet.yaml")})
			if n := len(peers.all()); n != 0 {
				t.Errorf("peer calls: got %d, want none", n)
			}
			if c.status == http.StatusBadRequest {
				wantError(t, rec, c.status, "invalid_request", "wait: ")
				if store.calls() != 0 {
					t.Errorf("applied: got %d commands, want none", store.calls())
				}
				return
			}
			var got map[string]json.RawMessage
			decodeBody(t, rec, http.StatusOK, &got)
			if _, ok := got["propagation"]; ok || store.calls() != 1 {
				t.Errorf("deploy: got %s after %d applies, want one apply and no propagation report", rec.Body,
					store.calls())
			}
		})
	}
}
