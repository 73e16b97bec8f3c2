package state

import (
	"slices"
	"testing"
)

func TestAllowedTransition(t *testing.T) {
	// The table as PRODUCT.md states it.
	allowed := map[[2]string]bool{
		{Created, PreReleased}: true, {Created, Published}: true, {PreReleased, Published}: true,
		{PreReleased, Created}: true, {Published, Blocked}: true, {Published, Deprecated}: true,
		{Blocked, Published}: true, {Blocked, Deprecated}: true, {Deprecated, Retired}: true, {Blocked, Retired}: true,
	}
	for _, from := range append(Lifecycles, "Beta") {
		for _, to := range append(Lifecycles, "Beta") {
			t.Run(from+">"+to, func(t *testing.T) {
				if got, want := AllowedTransition(from, to), allowed[[2]string{from, to}]; got != want {
					t.Errorf("got %v, want %v", got, want)
				}
			})
		}
	}
}

func TestAllowedFrom(t *testing.T) {
	tests := []struct {
		from string
		want []string
	}{
		{Created, []string{PreReleased, Published}},
		{Published, []string{Blocked, Deprecated}},
		{Blocked, []string{Published, Deprecated, Retired}},
		{Retired, nil},
		{"Beta", nil},
	}
	for _, tt := range tests {
		t.Run(tt.from, func(t *testing.T) {
			got := AllowedFrom(tt.from)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if len(got) > 0 {
				got[0] = "changed"
				if AllowedFrom(tt.from)[0] == "changed" {
					t.Errorf("got the table changed through the returned slice, want a copy")
				}
			}
		})
	}
}

func TestPlan(t *testing.T) {
	st := Empty()
	st.Plans["Tin"] = &Plan{Name: "Tin", RPM: 10}
	tests := []struct {
		name    string
		wantRPM int64
		wantOK  bool
	}{
		{"Gold", 5000, true},
		{"Unlimited", 0, true},
		{"50KPerMin", 50000, true},
		{"Tin", 10, true},
		{"gold", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := st.Plan(tt.name)
			if ok != tt.wantOK || p.RPM != tt.wantRPM || (ok && p.Name != tt.name) {
				t.Errorf("got %+v %v, want rpm %d %v", p, ok, tt.wantRPM, tt.wantOK)
			}
		})
	}
	if got := st.PlanNames(); len(got) != len(BuiltinPlans)+1 || got[0] != "Bronze" || got[len(got)-1] != "Tin" {
		t.Errorf("got %v, want the built-in plans then Tin", got)
	}
}

func TestClientByID(t *testing.T) {
	prod := &ClientCredential{ClientID: "cl_1", Env: Production}
	st := Empty()
	st.Apps["a1"] = &Application{ID: "a1", Credentials: map[string]*ClientCredential{Production: prod}}
	st.ClientIndex["cl_1"] = "a1"
	st.ClientIndex["cl_stale"] = "a1"
	st.ClientIndex["cl_gone"] = "a9"
	tests := []struct {
		id     string
		wantOK bool
	}{{"cl_1", true}, {"cl_stale", false}, {"cl_gone", false}, {"cl_2", false}}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			app, cred, ok := st.ClientByID(tt.id)
			if ok != tt.wantOK || (ok && (app.ID != "a1" || cred != prod)) {
				t.Errorf("got %v %v %v, want %v", app, cred, ok, tt.wantOK)
			}
		})
	}
}

func TestCurrentSigningKey(t *testing.T) {
	st := Empty()
	if _, ok := st.CurrentSigningKey(); ok {
		t.Errorf("got a current key in an empty state, want none")
	}
	st.SigningKeys["old"] = &SigningKey{KID: "old", RetiredAt: 5}
	if _, ok := st.CurrentSigningKey(); ok {
		t.Errorf("got a current key with only a retired one, want none")
	}
	st.SigningKeys["new"] = &SigningKey{KID: "new"}
	if k, ok := st.CurrentSigningKey(); !ok || k.KID != "new" {
		t.Errorf("got %+v %v, want new", k, ok)
	}
}

func TestValidUserName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"alice", true}, {"a.b-c_d9", true}, {"0", true}, {string(make([]byte, 0)), false},
		{"Alice", false}, {"-a", false}, {"a b", false}, {"a/b", false},
		{"a" + string(slices.Repeat([]byte("b"), 63)), true}, {"a" + string(slices.Repeat([]byte("b"), 64)), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ValidUserName(tt.name); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAllowsGrant(t *testing.T) {
	c := &ClientCredential{GrantTypes: []string{GrantClientCredentials}}
	if !c.AllowsGrant(GrantClientCredentials) || c.AllowsGrant(GrantPassword) {
		t.Errorf("got AllowsGrant wrong for %v", c.GrantTypes)
	}
}
