package plugins

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"portico/plugins/abi"
)

func TestExchange(t *testing.T) {
	in := httptest.NewRequest(http.MethodGet, "http://example.com/", nil)
	x := NewExchange(in, nil)
	if x.Request() != in {
		t.Error("Request before any edit: got a copy, want the inbound request")
	}
	x.SetProperty(abi.PropAPIName, "pets")
	wantStr(t, "property", x.Property(abi.PropAPIName), "pets")
	wantStr(t, "unset property", x.Property(abi.PropAuthApp), "")
	x.editRequestHeader(opSet, "X-New", "v")
	if r, edited := x.Outbound(); r != in || !edited {
		t.Errorf("Outbound after a header edit: got %p edited %v, want the inbound request with edits pending", r, edited)
	}
	h := in.Header.Clone()
	x.ApplyHeaderEdits(h)
	wantStr(t, "applied edit", h.Get("X-New"), "v")
	if out := x.Request(); out == in || out.Header.Get("X-New") != "v" || in.Header.Get("X-New") != "" {
		t.Error("Request after an edit: got the inbound request or an edited inbound, want a private copy with the edit")
	}
	if x.Responded() {
		t.Error("Responded: got true, want false before any guest response")
	}
}

// TestRequestHeaderEdits checks that reads see the guest's edits replayed in order over the inbound headers, and
// that the outbound headers get the same result.
func TestRequestHeaderEdits(t *testing.T) {
	type edit struct {
		op       headerOp
		key, val string
	}
	tests := []struct {
		name  string
		edits []edit
		want  []string // values of X-A afterwards
	}{
		{"none", nil, []string{"in"}},
		{"set", []edit{{opSet, "X-A", "s"}}, []string{"s"}},
		{"add", []edit{{opAdd, "X-A", "b"}}, []string{"in", "b"}},
		{"remove", []edit{{opRemove, "X-A", ""}}, nil},
		{"remove then add", []edit{{opRemove, "X-A", ""}, {opAdd, "X-A", "c"}}, []string{"c"}},
		{"other header", []edit{{opSet, "X-B", "x"}}, []string{"in"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := httptest.NewRequest(http.MethodGet, "/", nil)
			in.Header.Set("X-A", "in")
			x := NewExchange(in, nil)
			for _, e := range tt.edits {
				x.editRequestHeader(e.op, e.key, e.val)
			}
			var scratch []byte
			got := x.requestHeaderValues([]byte("x-a"), &scratch)
			if !slices.Equal(got, tt.want) {
				t.Errorf("read: got %q, want %q", got, tt.want)
			}
			h := in.Header.Clone()
			x.ApplyHeaderEdits(h)
			if !slices.Equal(h.Values("X-A"), tt.want) {
				t.Errorf("outbound: got %q, want %q", h.Values("X-A"), tt.want)
			}
			if in.Header.Get("X-A") != "in" {
				t.Errorf("inbound header changed: got %q, want in", in.Header.Get("X-A"))
			}
		})
	}
}

func TestWriteResponseDefaults(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		header     http.Header
		body       string
		wantStatus int
		wantLength string
	}{
		{"empty 200", 0, nil, "", 200, "0"},
		{"status and body", 403, http.Header{"Content-Type": {"application/json"}}, `{"error":"x"}`, 403, "13"},
		{"guest content-length is corrected", 200, http.Header{"Content-Length": {"99"}}, "abc", 200, "3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := NewExchange(httptest.NewRequest(http.MethodGet, "/", nil), nil)
			x.status, x.header, x.body = tt.status, tt.header, []byte(tt.body)
			w := httptest.NewRecorder()
			x.WriteResponse(w)
			wantI32(t, "status", int32(w.Code), int32(tt.wantStatus))
			wantStr(t, "content-length", w.Header().Get("Content-Length"), tt.wantLength)
			wantStr(t, "body", w.Body.String(), tt.body)
		})
	}
}

// mapSource is a PropertySource backed by a map.
type mapSource map[string]string

func (m mapSource) Property(key string) (string, bool) {
	v, ok := m[key]
	return v, ok
}

var _ PropertySource = mapSource(nil)

// TestIdentityProperties checks that an identity answers each auth.* property from its own field, that an unset
// identity leaves them to the property source, and that SetProperty wins over the identity.
func TestIdentityProperties(t *testing.T) {
	apiKey := Identity{App: "app-1", Env: "sandbox", Key: "0123456789abcdef", Subscription: "sub-1", Plan: "Gold"}
	bearer := Identity{App: "app-2", Env: "production", Subscription: "sub-2", Plan: "Bronze", Sub: "alice",
		Scope: "items:read items:write", ClientID: "client-2", TokenID: "jti-2", Issuer: "https://portico.example"}
	keys := []string{abi.PropAuthApp, abi.PropAuthEnv, abi.PropAuthKeyID, abi.PropAuthSubscription, abi.PropAuthPlan,
		abi.PropAuthSubject, abi.PropAuthScope, abi.PropAuthClient, abi.PropAuthToken, abi.PropAuthIssuer}
	tests := []struct {
		name  string
		who   *Identity
		set   map[string]string // SetProperty calls after SetIdentity
		base  mapSource
		want  []string // values of keys, in order
		other string   // value of api.name
	}{
		{name: "no identity", base: mapSource{abi.PropAPIName: "greet"},
			want: []string{"", "", "", "", "", "", "", "", "", ""}, other: "greet"},
		{name: "no identity falls back to the source", base: mapSource{abi.PropAuthApp: "from-source"},
			want: []string{"from-source", "", "", "", "", "", "", "", "", ""}},
		{name: "api key", who: &apiKey, base: mapSource{abi.PropAPIName: "greet"},
			want: []string{"app-1", "sandbox", "0123456789abcdef", "sub-1", "Gold", "", "", "", "", ""}, other: "greet"},
		{name: "bearer token", who: &bearer,
			want: []string{"app-2", "production", "", "sub-2", "Bronze", "alice", "items:read items:write",
				"client-2", "jti-2", "https://portico.example"}},
		{name: "identity shadows the source", who: &bearer, base: mapSource{abi.PropAuthSubject: "from-source"},
			want: []string{"app-2", "production", "", "sub-2", "Bronze", "alice", "items:read items:write",
				"client-2", "jti-2", "https://portico.example"}},
		{name: "SetProperty wins over the identity", who: &bearer,
			set: map[string]string{abi.PropAuthScope: "narrowed", abi.PropAuthEnv: "sandbox"},
			want: []string{"app-2", "sandbox", "", "sub-2", "Bronze", "alice", "narrowed",
				"client-2", "jti-2", "https://portico.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := NewExchange(httptest.NewRequest(http.MethodGet, "/", nil), nil)
			if tt.base != nil {
				x.SetPropertySource(tt.base)
			}
			if tt.who != nil {
				x.SetIdentity(*tt.who)
			}
			for k, v := range tt.set {
				x.SetProperty(k, v)
			}
			for i, k := range keys {
				wantStr(t, k, x.Property(k), tt.want[i])
			}
			wantStr(t, abi.PropAPIName, x.Property(abi.PropAPIName), tt.other)
		})
	}
}
