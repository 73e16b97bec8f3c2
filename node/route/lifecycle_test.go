package route

import (
	"errors"
	"testing"

	"portico/node/urlpath"
	"portico/raftstore/state"
)

// TestLatestByLifecycle: /ctx/vN routes to the latest Published minor of N; without one, the latest Deprecated, then
// Pre-released; a Blocked or Retired version only when no served version exists (the gateway then answers per its
// state); a Created version never.
func TestLatestByLifecycle(t *testing.T) {
	type ver struct{ version, lifecycle string }
	cases := []struct {
		name     string
		versions []ver
		want     string // version /x/v1 routes to; "" = ErrNoAPI
	}{
		{"latest published", []ver{{"1.0", state.Published}, {"1.1", state.Published}}, "1.1"},
		{"published beats a newer deprecated", []ver{{"1.0", state.Published}, {"1.1", state.Deprecated}}, "1.0"},
		{"published beats a newer pre-released", []ver{{"1.0", state.Published}, {"1.1", state.PreReleased}}, "1.0"},
		{"published beats a newer created", []ver{{"1.0", state.Published}, {"1.1", state.Created}}, "1.0"},
		{"published beats a newer blocked", []ver{{"1.0", state.Published}, {"1.1", state.Blocked}}, "1.0"},
		{"published beats a newer retired", []ver{{"1.0", state.Published}, {"1.1", state.Retired}}, "1.0"},
		{"deprecated before pre-released", []ver{{"1.0", state.Deprecated}, {"1.1", state.PreReleased}}, "1.0"},
		{"latest deprecated", []ver{{"1.0", state.Deprecated}, {"1.2", state.Deprecated}, {"1.1", state.Deprecated}},
			"1.2"},
		{"pre-released before blocked", []ver{{"1.0", state.PreReleased}, {"1.1", state.Blocked}}, "1.0"},
		{"latest pre-released", []ver{{"1.0", state.PreReleased}, {"1.3", state.PreReleased}}, "1.3"},
		{"deprecated before blocked and retired", []ver{{"1.0", state.Deprecated}, {"1.1", state.Blocked},
			{"1.2", state.Retired}}, "1.0"},
		{"blocked only", []ver{{"1.0", state.Blocked}}, "1.0"},
		{"retired only", []ver{{"1.0", state.Retired}}, "1.0"},
		{"blocked before retired", []ver{{"1.0", state.Blocked}, {"1.1", state.Retired}}, "1.0"},
		{"created only", []ver{{"1.0", state.Created}}, ""},
		{"created never, even beside retired", []ver{{"1.0", state.Retired}, {"1.1", state.Created}}, "1.0"},
		{"unknown lifecycle never", []ver{{"1.0", "Bogus"}}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var apis []*state.API
			for _, v := range c.versions {
				apis = append(apis, newAPI("x", v.version, "/x", v.lifecycle, "GET /hello"))
			}
			tbl, err := Build(apis, opValue)
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			p, _ := urlpath.Normalize("/x/v1/hello")
			m, err := tbl.Match("GET", p)
			if c.want == "" {
				if !errors.Is(err, ErrNoAPI) {
					t.Fatalf("got %v (match %q), want ErrNoAPI", err, m.Value)
				}
				return
			}
			if err != nil {
				t.Fatalf("Match: got %v, want version %s", err, c.want)
			}
			if m.API.Version != c.want {
				t.Fatalf("got version %s (%s), want %s", m.API.Version, m.API.Lifecycle, c.want)
			}
		})
	}
}

func TestMatchPath(t *testing.T) {
	tbl := buildFixture(t)
	cases := []struct {
		name, path string
		want       string // opValue of the operation; "" = an error
		err        error
	}{
		{"GET operation", "/greet/v1.0/hello", "greet@1.0 GET /hello", nil},
		{"POST-only template", "/greet/v1.0/items", "greet@1.0 POST /items", nil},
		{"literal beats param", "/greet/v1.0/items/special", "greet@1.0 GET /items/special", nil},
		{"param, first declared method", "/greet/v1.0/items/7", "greet@1.0 GET /items/{id}", nil},
		{"backtrack from literal to param", "/greet/v1.0/a/b/c", "greet@1.0 GET /a/{x}/c", nil},
		{"major URL", "/greet/v1/hello", "greet@1.1 GET /hello", nil},
		{"no operation", "/greet/v1.0/nothing", "", ErrNoOperation},
		{"no API", "/nope/v1/hello", "", ErrNoAPI},
		{"created only major", "/greet/v4/hello", "", ErrNoAPI},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := urlpath.Normalize(c.path)
			if err != nil {
				t.Fatal(err)
			}
			m, err := tbl.MatchPath(p)
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("got %v (match %q), want %v", err, m.Value, c.err)
				}
				return
			}
			if err != nil || m.Value != c.want {
				t.Fatalf("got %q %v, want %q", m.Value, err, c.want)
			}
		})
	}
}

func TestMatchPathAllocations(t *testing.T) {
	tbl := buildFixture(t)
	p, _ := urlpath.Normalize("/greet/v1/hello")
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := tbl.MatchPath(p); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("allocations per MatchPath: got %v, want 0", allocs)
	}
}
