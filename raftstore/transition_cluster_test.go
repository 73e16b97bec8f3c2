package raftstore

import (
	"testing"

	"portico/raftstore/state"
)

func testNode(id string, edit func(*state.Node)) *RegisterNode {
	n := state.Node{ID: id, RaftAddr: "127.0.0.1:7001", AdminURL: "http://127.0.0.1:8001",
		GatewayURL: "http://127.0.0.1:9001", UpdatedAt: 1700000000000}
	if edit != nil {
		edit(&n)
	}
	return &RegisterNode{Node: n}
}

func TestNodeRegistry(t *testing.T) {
	h := newFSMHarness(t)
	steps := []struct {
		name      string
		requestID string
		cmd       Command
		want      any
		code      string
		nodes     map[string]string // id → admin URL afterwards
	}{
		{"register", "r1", testNode("n1", nil), RegisterNodeResult{Changed: true}, "",
			map[string]string{"n1": "http://127.0.0.1:8001"}},
		{"same values later", "r2", testNode("n1", func(n *state.Node) { n.UpdatedAt++ }), RegisterNodeResult{}, "",
			map[string]string{"n1": "http://127.0.0.1:8001"}},
		{"retried first registration", "r1", testNode("n1", nil), RegisterNodeResult{Changed: true}, "",
			map[string]string{"n1": "http://127.0.0.1:8001"}},
		{"new admin url", "r3", testNode("n1", func(n *state.Node) { n.AdminURL = "http://127.0.0.1:8002" }),
			RegisterNodeResult{Changed: true}, "", map[string]string{"n1": "http://127.0.0.1:8002"}},
		{"second node", "r4", testNode("n2", nil), RegisterNodeResult{Changed: true}, "",
			map[string]string{"n1": "http://127.0.0.1:8002", "n2": "http://127.0.0.1:8001"}},
		{"no id", "r5", testNode("", nil), nil, CodeInvalid,
			map[string]string{"n1": "http://127.0.0.1:8002", "n2": "http://127.0.0.1:8001"}},
		{"no raft address", "r6", testNode("n3", func(n *state.Node) { n.RaftAddr = "" }), nil, CodeInvalid,
			map[string]string{"n1": "http://127.0.0.1:8002", "n2": "http://127.0.0.1:8001"}},
		{"deregister", "r7", &DeregisterNode{ID: "n1"}, DeleteResult{Deleted: true}, "",
			map[string]string{"n2": "http://127.0.0.1:8001"}},
		{"deregister again", "r8", &DeregisterNode{ID: "n1"}, nil, CodeNotFound,
			map[string]string{"n2": "http://127.0.0.1:8001"}},
		{"retried deregistration", "r7", &DeregisterNode{ID: "n1"}, DeleteResult{Deleted: true}, "",
			map[string]string{"n2": "http://127.0.0.1:8001"}},
	}
	for _, step := range steps { // in order: each step builds on the previous ones
		t.Run(step.name, func(t *testing.T) {
			res, err := h.applyID(step.requestID, step.cmd)
			if applyCode(err) != step.code || res != step.want {
				t.Errorf("got %+v (%v), want %+v code %q", res, err, step.want, step.code)
			}
			nodes := h.f.state().Nodes
			got := map[string]string{}
			for id, n := range nodes {
				got[id] = n.AdminURL
			}
			if len(got) != len(step.nodes) {
				t.Errorf("got nodes %v, want %v", got, step.nodes)
			}
			for id, url := range step.nodes {
				if got[id] != url {
					t.Errorf("got nodes %v, want %v", got, step.nodes)
				}
			}
		})
	}
	if got := h.f.state().Nodes["n2"].UpdatedAt; got != 1700000000000 {
		t.Errorf("got updatedAt %d, want the registration's", got)
	}
}
