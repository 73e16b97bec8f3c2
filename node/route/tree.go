package route

import (
	"fmt"
	"slices"

	"portico/raftstore/state"
)

// tree is the operation trie of one API version: one node per template segment, methods at the leaves.
type tree[V any] struct {
	api  *state.API
	root *node[V]
}

type node[V any] struct {
	lits  map[string]*node[V] // literal children by decoded segment
	param *node[V]            // the {param} child, shared by every parameter name at this position
	ops   []leaf[V]           // operations ending here
	allow []string            // sorted methods of ops, plus HEAD when GET is there
}

// leaf is one operation at the node where its template ends.
type leaf[V any] struct {
	method  string
	op      int
	value   V
	tmpl    Template
	nparams int
}

// buildTree parses every operation's template and inserts it.
func buildTree[V any](api *state.API, value func(*state.API, int) (V, error)) (*tree[V], error) {
	tr := &tree[V]{api: api, root: &node[V]{}}
	seen := map[string]int{}
	for i, op := range api.Operations {
		tmpl, err := ParseTemplate(op.Path)
		if err != nil {
			return nil, fmt.Errorf("operation %d: %w", i, err)
		}
		if op.Method == "" {
			return nil, fmt.Errorf("operation %d: empty method", i)
		}
		key := op.Method + " " + tmpl.Key()
		if j, dup := seen[key]; dup {
			return nil, fmt.Errorf("operation %d (%s %s) duplicates operation %d", i, op.Method, op.Path, j)
		}
		seen[key] = i
		l := leaf[V]{method: op.Method, op: i, tmpl: tmpl, nparams: len(tmpl.Params())}
		if value != nil {
			if l.value, err = value(api, i); err != nil {
				return nil, fmt.Errorf("operation %d (%s %s): %w", i, op.Method, op.Path, err)
			}
		}
		tr.root.insert(tmpl.segs, l)
	}
	tr.root.finish()
	return tr, nil
}

// insert adds l under the path of segs.
func (n *node[V]) insert(segs []tseg, l leaf[V]) {
	for _, s := range segs {
		n = n.child(s)
	}
	n.ops = append(n.ops, l)
}

// child returns (creating it) the child for one template segment.
func (n *node[V]) child(s tseg) *node[V] {
	if s.param != "" {
		if n.param == nil {
			n.param = &node[V]{}
		}
		return n.param
	}
	if n.lits == nil {
		n.lits = map[string]*node[V]{}
	}
	c := n.lits[s.lit]
	if c == nil {
		c = &node[V]{}
		n.lits[s.lit] = c
	}
	return c
}

// finish computes the Allow list of every node.
func (n *node[V]) finish() {
	for _, l := range n.ops {
		n.allow = append(n.allow, l.method)
	}
	if slices.Contains(n.allow, "GET") && !slices.Contains(n.allow, "HEAD") {
		n.allow = append(n.allow, "HEAD")
	}
	slices.Sort(n.allow)
	for _, c := range n.lits {
		c.finish()
	}
	if n.param != nil {
		n.param.finish()
	}
}

// find returns the first operation matching rest and method (any method when anyMethod is set), trying literal
// children before the param child. Each node is visited at most once, so the search is linear in the size of the
// trie. matched reports whether any node matched the path (for 405).
func (n *node[V]) find(rest []string, method string, anyMethod bool) (l *leaf[V], matched bool) {
	if len(rest) == 0 {
		if len(n.ops) == 0 {
			return nil, false
		}
		if anyMethod {
			return &n.ops[0], true
		}
		return n.leafFor(method), true
	}
	seg := rest[0]
	if c := n.lits[seg]; c != nil {
		if l, m := c.find(rest[1:], method, anyMethod); l != nil {
			return l, true
		} else if m {
			matched = true
		}
	}
	if n.param != nil && seg != "" {
		l, m := n.param.find(rest[1:], method, anyMethod)
		return l, matched || m
	}
	return nil, matched
}

// leafFor returns the operation for method at this node; HEAD falls back to GET.
func (n *node[V]) leafFor(method string) *leaf[V] {
	for i := range n.ops {
		if n.ops[i].method == method {
			return &n.ops[i]
		}
	}
	if method == "HEAD" {
		return n.leafFor("GET")
	}
	return nil
}

// allowed collects the methods of every node matching rest.
func (n *node[V]) allowed(rest []string, out []string) []string {
	if len(rest) == 0 {
		return append(out, n.allow...)
	}
	if c := n.lits[rest[0]]; c != nil {
		out = c.allowed(rest[1:], out)
	}
	if n.param != nil && rest[0] != "" {
		out = n.param.allowed(rest[1:], out)
	}
	return out
}
