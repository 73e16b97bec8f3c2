package route

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"portico/node/urlpath"
	"portico/raftstore/state"
)

// newAPI builds an API version with operations written "METHOD /template".
func newAPI(name, version, context, lifecycle string, ops ...string) *state.API {
	major, minor, _ := strings.Cut(version, ".")
	a := &state.API{Name: name, Version: version, Context: context, Lifecycle: lifecycle}
	a.Major, _ = strconv.Atoi(major)
	a.Minor, _ = strconv.Atoi(minor)
	for _, op := range ops {
		m, p, _ := strings.Cut(op, " ")
		a.Operations = append(a.Operations, state.Operation{Method: m, Path: p})
	}
	return a
}

// opValue identifies an operation: "name@version METHOD /template".
func opValue(api *state.API, op int) (string, error) {
	o := api.Operations[op]
	return api.ID() + " " + o.Method + " " + o.Path, nil
}

func fixtureAPIs() []*state.API {
	return []*state.API{
		newAPI("greet", "1.0", "/greet", state.Published,
			"GET /", "GET /hello", "GET /items/{id}", "GET /items/special", "POST /items", "DELETE /items/{itemId}",
			"GET /a/{x}/c", "GET /a/b/d", "PUT /files/{dir}/{name}", "GET /head-only", "HEAD /head-only",
			"GET /mixed/special", "POST /mixed/{id}", "OPTIONS /opts"),
		newAPI("greet", "1.1", "/greet", state.Published, "GET /hello"),
		newAPI("greet", "1.2", "/greet", state.Created, "GET /hello"),
		newAPI("greet", "2.0", "/greet", state.Deprecated, "GET /hello"),
		newAPI("greet", "2.1", "/greet", state.Blocked, "GET /hello"),
		newAPI("greet", "2.2", "/greet", state.Retired, "GET /hello"),
		newAPI("greet", "3.0", "/greet", state.PreReleased, "GET /hello"),
		newAPI("greet", "3.1", "/greet", state.Blocked, "GET /hello"),
		newAPI("greet", "3.2", "/greet", state.Created, "GET /hello"),
		newAPI("greet", "4.0", "/greet", state.Created, "GET /hello"),
		newAPI("greet", "5.0", "/greet", state.Published, "GET /hello"),
		newAPI("greet", "5.3", "/greet", state.Published, "GET /hello"),
		newAPI("greet", "5.4", "/greet", state.Deprecated, "GET /hello"),
		newAPI("greet", "6.0", "/greet", state.Retired, "GET /hello"),
		newAPI("greet", "10.0", "/greet", state.Published, "GET /hello"),
		newAPI("shop", "1.0", "/shop", state.Published, "GET /orders/{id}", "GET /v1/x"),
		newAPI("shop-orders", "1.0", "/shop/orders", state.Published, "GET /list", "GET /{id}"),
		newAPI("deep", "1.0", "/a/b/c/d", state.Published, "GET /x"),
	}
}

func buildFixture(t testing.TB) *Table[string] {
	t.Helper()
	tbl, err := Build(fixtureAPIs(), opValue)
	if err != nil {
		t.Fatalf("Build: got error %v, want nil", err)
	}
	return tbl
}

func TestMatch(t *testing.T) {
	tbl := buildFixture(t)
	cases := []struct {
		name, method, path string
		want               string // opValue of the matched operation
		upstream           string
		params             map[string]string
	}{
		{"major routes to latest published minor", "GET", "/greet/v1/hello", "greet@1.1 GET /hello", "/hello", nil},
		{"exact version", "GET", "/greet/v1.0/hello", "greet@1.0 GET /hello", "/hello", nil},
		{"exact version of a created API", "GET", "/greet/v1.2/hello", "greet@1.2 GET /hello", "/hello", nil},
		{"deprecated preferred over blocked and retired", "GET", "/greet/v2/hello", "greet@2.0 GET /hello", "/hello", nil},
		{"pre-released preferred over blocked, created skipped", "GET", "/greet/v3/hello", "greet@3.0 GET /hello", "/hello", nil},
		{"published preferred over a higher deprecated", "GET", "/greet/v5/hello", "greet@5.3 GET /hello", "/hello", nil},
		{"retired is the last resort", "GET", "/greet/v6/hello", "greet@6.0 GET /hello", "/hello", nil},
		{"two-digit major", "GET", "/greet/v10/hello", "greet@10.0 GET /hello", "/hello", nil},
		{"root operation without slash", "GET", "/greet/v1.0", "greet@1.0 GET /", "/", nil},
		{"root operation with slash", "GET", "/greet/v1.0/", "greet@1.0 GET /", "/", nil},
		{"param decoded", "GET", "/greet/v1.0/items/caf%C3%A9", "greet@1.0 GET /items/{id}", "/items/caf%C3%A9",
			map[string]string{"id": "café"}},
		{"literal beats param", "GET", "/greet/v1.0/items/special", "greet@1.0 GET /items/special", "/items/special", nil},
		{"other method on the param node", "DELETE", "/greet/v1.0/items/7", "greet@1.0 DELETE /items/{itemId}",
			"/items/7", map[string]string{"itemId": "7"}},
		{"backtrack from literal to param", "GET", "/greet/v1.0/a/b/c", "greet@1.0 GET /a/{x}/c", "/a/b/c",
			map[string]string{"x": "b"}},
		{"method found on param after literal lacks it", "POST", "/greet/v1.0/mixed/special",
			"greet@1.0 POST /mixed/{id}", "/mixed/special", map[string]string{"id": "special"}},
		{"two params", "PUT", "/greet/v1.0/files/a/b%20c", "greet@1.0 PUT /files/{dir}/{name}", "/files/a/b%20c",
			map[string]string{"dir": "a", "name": "b c"}},
		{"HEAD falls back to GET", "HEAD", "/greet/v1.0/hello", "greet@1.0 GET /hello", "/hello", nil},
		{"HEAD operation preferred", "HEAD", "/greet/v1.0/head-only", "greet@1.0 HEAD /head-only", "/head-only", nil},
		{"declared OPTIONS", "OPTIONS", "/greet/v1.0/opts", "greet@1.0 OPTIONS /opts", "/opts", nil},
		{"dot segments normalised first", "GET", "/greet/v1.0/x/../hello", "greet@1.0 GET /hello", "/hello", nil},
		{"shorter context", "GET", "/shop/v1/orders/9", "shop@1.0 GET /orders/{id}", "/orders/9",
			map[string]string{"id": "9"}},
		{"longest context wins", "GET", "/shop/orders/v1/list", "shop-orders@1.0 GET /list", "/list", nil},
		{"longest context with param", "GET", "/shop/orders/v1/5", "shop-orders@1.0 GET /{id}", "/5",
			map[string]string{"id": "5"}},
		{"version-like segment in rest", "GET", "/shop/v1/v1/x", "shop@1.0 GET /v1/x", "/v1/x", nil},
		{"four-segment context", "GET", "/a/b/c/d/v1/x", "deep@1.0 GET /x", "/x", nil},
		{"query-like literal kept escaped upstream", "GET", "/shop/v1/orders/a%3Fb", "shop@1.0 GET /orders/{id}",
			"/orders/a%3Fb", map[string]string{"id": "a?b"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := mustMatch(t, tbl, c.method, c.path)
			if m.Value != c.want {
				t.Errorf("Value: got %q, want %q", m.Value, c.want)
			}
			if got := m.API.Operations[m.Op]; m.API.ID()+" "+got.Method+" "+got.Path != c.want {
				t.Errorf("API/Op: got %s %s %s, want %q", m.API.ID(), got.Method, got.Path, c.want)
			}
			if m.Upstream != c.upstream {
				t.Errorf("Upstream: got %q, want %q", m.Upstream, c.upstream)
			}
			if !reflect.DeepEqual(m.Params, c.params) {
				t.Errorf("Params: got %v, want %v", m.Params, c.params)
			}
		})
	}
}

func mustMatch(t *testing.T, tbl *Table[string], method, path string) Match[string] {
	t.Helper()
	p, err := urlpath.Normalize(path)
	if err != nil {
		t.Fatalf("Normalize(%q): %v", path, err)
	}
	m, err := tbl.Match(method, p)
	if err != nil {
		t.Fatalf("Match(%s %s): got error %v, want a match", method, path, err)
	}
	return m
}

func TestMatchRefused(t *testing.T) {
	tbl := buildFixture(t)
	cases := []struct {
		name, method, path string
		want               error
		allow              []string
	}{
		{"unknown context", "GET", "/nope/v1/hello", ErrNoAPI, nil},
		{"context only", "GET", "/greet", ErrNoAPI, nil},
		{"context with slash", "GET", "/greet/", ErrNoAPI, nil},
		{"root", "GET", "/", ErrNoAPI, nil},
		{"no version segment", "GET", "/greet/hello", ErrNoAPI, nil},
		{"unknown major", "GET", "/greet/v9/hello", ErrNoAPI, nil},
		{"unknown exact", "GET", "/greet/v1.9/hello", ErrNoAPI, nil},
		{"created only major", "GET", "/greet/v4/hello", ErrNoAPI, nil},
		{"leading zero major", "GET", "/greet/v01/hello", ErrNoAPI, nil},
		{"leading zero minor", "GET", "/greet/v1.00/hello", ErrNoAPI, nil},
		{"version with garbage", "GET", "/greet/v1.0x/hello", ErrNoAPI, nil},
		{"upper-case V", "GET", "/greet/V1/hello", ErrNoAPI, nil},
		{"huge version", "GET", "/greet/v99999999999999999999/hello", ErrNoAPI, nil},
		{"context is case-sensitive", "GET", "/GREET/v1/hello", ErrNoAPI, nil},
		{"longest context, no fallback to shorter", "GET", "/shop/orders/v2/list", ErrNoAPI, nil},
		{"no template", "GET", "/greet/v1.0/nothing", ErrNoOperation, nil},
		{"trailing slash does not match", "GET", "/greet/v1.0/hello/", ErrNoOperation, nil},
		{"param never matches empty", "GET", "/greet/v1.0/items/", ErrNoOperation, nil},
		{"too deep", "GET", "/greet/v1.0/hello/x", ErrNoOperation, nil},
		{"case-sensitive literal", "GET", "/greet/v1.0/HELLO", ErrNoOperation, nil},
		{"405 with HEAD implied", "POST", "/greet/v1.0/hello", nil, []string{"GET", "HEAD"}},
		{"405 collects literal and param nodes", "PATCH", "/greet/v1.0/items/special",
			nil, []string{"DELETE", "GET", "HEAD"}},
		{"405 on POST-only node", "GET", "/greet/v1.0/items", nil, []string{"POST"}},
		{"OPTIONS not implied", "OPTIONS", "/greet/v1.0/hello", nil, []string{"GET", "HEAD"}},
		{"method is case-sensitive", "get", "/greet/v1.0/hello", nil, []string{"GET", "HEAD"}},
		{"405 with explicit HEAD", "PUT", "/greet/v1.0/head-only", nil, []string{"GET", "HEAD"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := urlpath.Normalize(c.path)
			if err != nil {
				t.Fatalf("Normalize(%q): %v", c.path, err)
			}
			m, err := tbl.Match(c.method, p)
			if err == nil {
				t.Fatalf("got match %q, want an error", m.Value)
			}
			if c.allow == nil {
				if !errors.Is(err, c.want) {
					t.Errorf("got error %v, want %v", err, c.want)
				}
				return
			}
			var mna *MethodNotAllowedError
			if !errors.As(err, &mna) {
				t.Fatalf("got error %v, want *MethodNotAllowedError", err)
			}
			if !reflect.DeepEqual(mna.Allow, c.allow) {
				t.Errorf("Allow: got %q, want %q", mna.Allow, c.allow)
			}
		})
	}
}

func TestBuildRefused(t *testing.T) {
	failing := func(api *state.API, op int) (string, error) {
		if api.Operations[op].Path == "/bad" {
			return "", errors.New("no chain")
		}
		return "", nil
	}
	cases := []struct {
		name    string
		apis    []*state.API
		value   func(*state.API, int) (string, error)
		wantAPI string
		want    string
	}{
		{"duplicate operation", []*state.API{newAPI("a", "1.0", "/a", state.Published, "GET /items/{id}", "GET /items/{name}")},
			nil, "a@1.0", "duplicates operation 0"},
		{"duplicate operation via escapes", []*state.API{newAPI("a", "1.0", "/a", state.Published, "GET /~x", "GET /%7Ex")},
			nil, "a@1.0", "duplicates"},
		{"context claimed by two names", []*state.API{
			newAPI("b", "1.0", "/x", state.Published, "GET /"), newAPI("a", "1.0", "/x", state.Published, "GET /")},
			nil, "b@1.0", `already claimed by api "a"`},
		{"same version twice", []*state.API{
			newAPI("a", "1.0", "/a", state.Published, "GET /"), newAPI("a", "1.0", "/a", state.Created, "GET /x")},
			nil, "a@1.0", "twice"},
		{"bad template", []*state.API{newAPI("a", "1.0", "/a", state.Published, "GET /x/")}, nil, "a@1.0", "empty segment"},
		{"empty method", []*state.API{newAPI("a", "1.0", "/a", state.Published, " /x")}, nil, "a@1.0", "empty method"},
		{"root context", []*state.API{newAPI("a", "1.0", "/", state.Published, "GET /")}, nil, "a@1.0", "context"},
		{"trailing slash context", []*state.API{newAPI("a", "1.0", "/a/", state.Published, "GET /")}, nil, "a@1.0", "context"},
		{"dot context", []*state.API{newAPI("a", "1.0", "/a/..", state.Published, "GET /")}, nil, "a@1.0", "dot segment"},
		{"encoded context", []*state.API{newAPI("a", "1.0", "/a%20b", state.Published, "GET /")}, nil, "a@1.0", "not allowed"},
		{"version mismatch", []*state.API{{Name: "a", Version: "1.0", Major: 2, Context: "/a"}}, nil, "a@1.0", "does not match"},
		{"value error", []*state.API{newAPI("a", "1.0", "/a", state.Published, "GET /ok", "GET /bad")},
			failing, "a@1.0", "no chain"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Build(c.apis, c.value)
			var be *BuildError
			if !errors.As(err, &be) {
				t.Fatalf("got error %v, want *BuildError", err)
			}
			if be.API != c.wantAPI || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got API %q error %q, want API %q and error containing %q", be.API, err, c.wantAPI, c.want)
			}
		})
	}
}

func TestBuildSameVersionOtherContexts(t *testing.T) {
	// The same name may hold two contexts (one per version); each context still has a single owner.
	apis := []*state.API{
		newAPI("a", "1.0", "/a", state.Published, "GET /x"),
		newAPI("a", "2.0", "/a2", state.Published, "GET /x"),
	}
	tbl, err := Build(apis, opValue)
	if err != nil {
		t.Fatalf("Build: got %v, want nil", err)
	}
	if m := mustMatch(t, tbl, "GET", "/a2/v2/x"); m.Value != "a@2.0 GET /x" {
		t.Errorf("got %q, want a@2.0 GET /x", m.Value)
	}
}

func TestMatchAllocations(t *testing.T) {
	tbl := buildFixture(t)
	cases := []struct {
		path string
		max  float64
	}{
		{"/greet/v1/hello", 0},
		{"/shop/orders/v1/list", 0},
		{"/greet/v1.0/items/42", 2}, // the Params map only
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			p, _ := urlpath.Normalize(c.path)
			allocs := testing.AllocsPerRun(100, func() {
				if _, err := tbl.Match("GET", p); err != nil {
					t.Fatal(err)
				}
			})
			if allocs > c.max {
				t.Errorf("allocations per Match: got %v, want at most %v", allocs, c.max)
			}
		})
	}
}

func BenchmarkMatch(b *testing.B) {
	tbl := buildFixture(b)
	for _, bc := range []struct{ name, method, path string }{
		{"literal-major", "GET", "/greet/v1/hello"},
		{"literal-exact", "GET", "/greet/v1.0/items/special"},
		{"param", "GET", "/greet/v1.0/items/42"},
		{"long-context", "GET", "/shop/orders/v1/list"},
		{"405", "PATCH", "/greet/v1.0/hello"},
		{"404-api", "GET", "/nope/v1/hello"},
	} {
		p, err := urlpath.Normalize(bc.path)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = tbl.Match(bc.method, p)
			}
		})
	}
}

func FuzzMatch(f *testing.F) {
	tbl, err := Build(fixtureAPIs(), opValue)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		"/greet/v1/hello", "/greet/v1.0/items/1", "/shop/orders/v1/5", "/", "/greet", "/greet/v1.0/", "/a/b/c/d/v1/x",
		"/greet/v1.0/a/b/c", "/shop/v1/v1/x", "/greet/v99999999999/x",
	} {
		f.Add("GET", s)
	}
	f.Fuzz(func(t *testing.T, method, path string) {
		// A hand-made Path whose Segments need not agree with Escaped must not panic either.
		_, _ = tbl.Match(method, urlpath.Path{Escaped: path, Segments: strings.Split(path, "/")})
		p, err := urlpath.Normalize(path)
		if err != nil {
			return
		}
		if pm, err := tbl.MatchPath(p); err == nil {
			if _, err := tbl.Match(pm.API.Operations[pm.Op].Method, p); err != nil {
				t.Fatalf("MatchPath(%q) found %q but Match with its method fails: %v", path, pm.Value, err)
			}
		}
		m, err := tbl.Match(method, p)
		if err != nil {
			return
		}
		if !strings.HasPrefix(m.Upstream, "/") {
			t.Fatalf("Match(%s %q): Upstream %q does not start with /", method, path, m.Upstream)
		}
		if !strings.HasSuffix(p.Escaped, strings.TrimSuffix(m.Upstream, "/")) {
			t.Fatalf("Match(%s %q): Upstream %q is not the tail of %q", method, path, m.Upstream, p.Escaped)
		}
		want := fmt.Sprintf("%s %s %s", m.API.ID(), m.API.Operations[m.Op].Method, m.API.Operations[m.Op].Path)
		if m.Value != want {
			t.Fatalf("Match(%s %q): Value %q, want %q", method, path, m.Value, want)
		}
	})
}
