package plugins

import (
	"net/http"
	"net/http/httptest"
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
	out := x.writable()
	out.Header.Set("X-New", "v")
	if x.Request() != out || in.Header.Get("X-New") != "" {
		t.Error("Request after an edit: got the inbound request or an edited inbound, want the private copy")
	}
	if x.Responded() {
		t.Error("Responded: got true, want false before any guest response")
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
