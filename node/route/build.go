package route

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"portico/raftstore/state"
)

// latestRank orders the lifecycles a major-version URL may route to, best first. Created (and anything unknown) is
// never routed by major.
var latestRank = map[string]int{
	state.Published:   1,
	state.Deprecated:  2,
	state.PreReleased: 3,
	state.Blocked:     4,
	state.Retired:     5,
}

// Build makes a table from apis. value is called once per operation to compute the gateway's value for it (nil means
// the zero V). Build fails with a *BuildError on an invalid context or template, two operations with the same method
// and equivalent template in one API version, the same API version twice, or two API names claiming one context.
// APIs are processed in name, major, minor order, so the error is the same whatever the order of apis.
func Build[V any](apis []*state.API, value func(api *state.API, op int) (V, error)) (*Table[V], error) {
	sorted := slices.Clone(apis)
	if slices.Contains(sorted, nil) {
		return nil, errors.New("building routes: nil api")
	}
	slices.SortFunc(sorted, compareAPIs)
	t := &Table[V]{contexts: map[string]*apiContext[V]{}}
	for _, api := range sorted {
		if err := t.add(api, value); err != nil {
			return nil, &BuildError{API: api.ID(), Err: err}
		}
	}
	for _, c := range t.contexts {
		c.pickLatest()
	}
	return t, nil
}

func compareAPIs(a, b *state.API) int {
	return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Major, b.Major), cmp.Compare(a.Minor, b.Minor),
		cmp.Compare(a.Version, b.Version))
}

// add inserts one API version.
func (t *Table[V]) add(api *state.API, value func(*state.API, int) (V, error)) error {
	depth, err := checkContext(api.Context)
	if err != nil {
		return err
	}
	if api.Version != fmt.Sprintf("%d.%d", api.Major, api.Minor) {
		return fmt.Errorf("version %q does not match major %d and minor %d", api.Version, api.Major, api.Minor)
	}
	key := api.Context[1:]
	c := t.contexts[key]
	if c == nil {
		c = &apiContext[V]{name: api.Name, exact: map[version]*tree[V]{}, latest: map[int]*tree[V]{}}
		t.contexts[key] = c
		t.maxDepth = max(t.maxDepth, depth)
	}
	if c.name != api.Name {
		return fmt.Errorf("context %s is already claimed by api %q", api.Context, c.name)
	}
	v := version{api.Major, api.Minor}
	if c.exact[v] != nil {
		return fmt.Errorf("api version %s appears twice", api.ID())
	}
	tr, err := buildTree(api, value)
	if err != nil {
		return err
	}
	c.exact[v] = tr
	return nil
}

// checkContext validates a context and returns its number of segments.
func checkContext(ctx string) (int, error) {
	if len(ctx) < 2 || ctx[0] != '/' {
		return 0, fmt.Errorf("context %q: must be /segment[/segment...]", ctx)
	}
	segs := strings.Split(ctx[1:], "/")
	if len(segs) > MaxContextSegments {
		return 0, fmt.Errorf("context %q: more than %d segments", ctx, MaxContextSegments)
	}
	for _, seg := range segs {
		if seg == "" || seg == "." || seg == ".." {
			return 0, fmt.Errorf("context %q: empty or dot segment", ctx)
		}
		for i := 0; i < len(seg); i++ {
			if !isContextChar(seg[i]) {
				return 0, fmt.Errorf("context %q: character %q not allowed", ctx, seg[i])
			}
		}
	}
	return len(segs), nil
}

// CheckContext reports whether ctx is a valid API context: "/seg[/seg...]" of [A-Za-z0-9._~-], not "/" alone, no
// trailing slash, no dot segment, at most MaxContextSegments segments.
func CheckContext(ctx string) error {
	_, err := checkContext(ctx)
	return err
}

func isContextChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// pickLatest chooses, per major, the version a major-version URL routes to.
func (c *apiContext[V]) pickLatest() {
	best := map[int]*tree[V]{}
	for v, tr := range c.exact {
		r, ok := latestRank[tr.api.Lifecycle]
		if !ok {
			continue
		}
		cur := best[v.major]
		if cur == nil || better(r, v.minor, latestRank[cur.api.Lifecycle], cur.api.Minor) {
			best[v.major] = tr
		}
	}
	c.latest = best
}

// better reports whether a version of rank r and minor m is preferred over one of rank r2 and minor m2.
func better(r, m, r2, m2 int) bool {
	if r != r2 {
		return r < r2
	}
	return m > m2
}
