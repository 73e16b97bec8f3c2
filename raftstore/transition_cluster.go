package raftstore

import (
	"maps"

	"portico/raftstore/state"
)

// registerNode upserts a cluster member in the node registry. The same values again (UpdatedAt aside) change
// nothing.
func registerNode(next *state.State, c *RegisterNode, rec *state.Request) (any, error) {
	n := c.Node
	if n.ID == "" || n.RaftAddr == "" {
		return nil, invalid("node id and raft address are required")
	}
	rec.Ref = n.ID
	if cur, ok := next.Nodes[n.ID]; ok && sameNode(cur, &n) {
		return RegisterNodeResult{Changed: false}, nil
	}
	next.Nodes = maps.Clone(next.Nodes)
	next.Nodes[n.ID] = &n
	rec.Changed = true
	return RegisterNodeResult{Changed: true}, nil
}

func sameNode(a, b *state.Node) bool {
	x, y := *a, *b
	x.UpdatedAt, y.UpdatedAt = 0, 0
	return x == y
}

// deregisterNode removes a member from the node registry.
func deregisterNode(next *state.State, c *DeregisterNode, _ *state.Request) (any, error) {
	if _, ok := next.Nodes[c.ID]; !ok {
		return nil, notFound("node %q", c.ID)
	}
	next.Nodes = maps.Clone(next.Nodes)
	delete(next.Nodes, c.ID)
	return DeleteResult{Deleted: true}, nil
}

func replayRegisterNode(_ *state.State, _ *RegisterNode, rec state.Request) any {
	return RegisterNodeResult{Changed: rec.Changed}
}
