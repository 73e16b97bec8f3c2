package route

import (
	"slices"

	"portico/node/urlpath"
)

// Match resolves a normalised path and method:
//
//	/{context}/v{major}/rest...         → the highest minor of that major that is Published; else the highest of
//	                                      Deprecated, Pre-released, Blocked, Retired (in that preference); Created
//	                                      versions are never routed by major (ErrNoAPI)
//	/{context}/v{major}.{minor}/rest... → exactly that version, whatever its lifecycle (the gateway applies the gate)
//
// The longest context present in the table wins; the segment after it must then name a version of that API, with no
// fallback to a shorter context. Operations are matched on rest ("/" if empty) by method and template; literal
// segments beat {param} segments, and HEAD matches a GET operation if no HEAD operation exists. Match allocates
// nothing except the Params map of a template with parameters.
func (t *Table[V]) Match(method string, p urlpath.Path) (Match[V], error) {
	return t.match(method, false, p)
}

// MatchPath resolves p like Match, whatever the method: the operation is one whose template matches the rest (a
// literal beats a {param}; of the operations declared on one template, the first). It answers the question a CORS
// preflight asks, which names another method than its own. It fails with ErrNoAPI or ErrNoOperation, never with a
// *MethodNotAllowedError, and allocates like Match.
func (t *Table[V]) MatchPath(p urlpath.Path) (Match[V], error) {
	return t.match("", true, p)
}

// match is Match, or MatchPath when anyMethod is set.
func (t *Table[V]) match(method string, anyMethod bool, p urlpath.Path) (Match[V], error) {
	tr, k, upstream := t.lookup(p)
	if tr == nil {
		return Match[V]{}, ErrNoAPI
	}
	rest := p.Segments[k+1:]
	if len(rest) == 1 && rest[0] == "" {
		rest = nil
	}
	l, matched := tr.root.find(rest, method, anyMethod)
	if l == nil {
		if matched {
			return Match[V]{}, tr.root.notAllowed(rest)
		}
		return Match[V]{}, ErrNoOperation
	}
	return Match[V]{API: tr.api, Op: l.op, Value: l.value, Upstream: upstream, Params: l.params(rest)}, nil
}

// lookup finds the API version of p: its tree, the number k of context segments, and the upstream path (the escaped
// rest after the version segment).
func (t *Table[V]) lookup(p urlpath.Path) (tr *tree[V], k int, upstream string) {
	// ends[i] is the offset in Escaped where segment i ends.
	var ends [MaxContextSegments + 2]int
	n := segmentEnds(p.Escaped, ends[:min(t.maxDepth+2, len(ends))])
	n = min(n, len(p.Segments))
	for k = min(t.maxDepth, n-1); k >= 1; k-- {
		c := t.contexts[p.Escaped[1:ends[k-1]]]
		if c == nil {
			continue
		}
		tr = c.version(p.Segments[k])
		if tr == nil {
			return nil, 0, ""
		}
		upstream = "/"
		if ends[k]+1 < len(p.Escaped) {
			upstream = p.Escaped[ends[k]:]
		}
		return tr, k, upstream
	}
	return nil, 0, ""
}

// segmentEnds fills ends with the offsets where the first segments of esc end and returns how many it filled.
func segmentEnds(esc string, ends []int) int {
	n := 0
	for i := 1; i <= len(esc) && n < len(ends); i++ {
		if i == len(esc) || esc[i] == '/' {
			ends[n] = i
			n++
		}
	}
	return n
}

// version resolves a version segment: "v{major}" or "v{major}.{minor}".
func (c *apiContext[V]) version(seg string) *tree[V] {
	if len(seg) < 2 || seg[0] != 'v' {
		return nil
	}
	major, rest, ok := number(seg[1:])
	if !ok {
		return nil
	}
	if rest == "" {
		return c.latest[major]
	}
	if rest[0] != '.' {
		return nil
	}
	minor, rest, ok := number(rest[1:])
	if !ok || rest != "" {
		return nil
	}
	return c.exact[version{major, minor}]
}

// number parses a leading decimal without leading zeros (at most 9 digits) and returns it with the remainder.
func number(s string) (int, string, bool) {
	i, v := 0, 0
	for i < len(s) && i < 10 && '0' <= s[i] && s[i] <= '9' {
		v = v*10 + int(s[i]-'0')
		i++
	}
	if i == 0 || i > 9 || i > 1 && s[0] == '0' {
		return 0, "", false
	}
	return v, s[i:], true
}

// notAllowed builds the 405 error for rest.
func (n *node[V]) notAllowed(rest []string) error {
	allow := n.allowed(rest, nil)
	slices.Sort(allow)
	return &MethodNotAllowedError{Allow: slices.Compact(allow)}
}

// params maps the leaf's template parameters to the matched segments; nil if it has none.
func (l *leaf[V]) params(rest []string) map[string]string {
	if l.nparams == 0 {
		return nil
	}
	m := make(map[string]string, l.nparams)
	for i, s := range l.tmpl.segs {
		if s.param != "" && i < len(rest) {
			m[s.param] = rest[i]
		}
	}
	return m
}
