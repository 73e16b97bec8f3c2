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
