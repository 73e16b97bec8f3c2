package httperr

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestWrite(t *testing.T) {
	cases := []struct {
		name       string
		err        error
		wantStatus int
		wantCode   string
		wantMsg    string
	}{
		{"typed", New(http.StatusNotFound, "no such API"), 404, "not_found", "no such API"},
		{"wrapped typed", errors.Join(errors.New("x"), New(http.StatusBadGateway, "upstream down")), 502, "bad_gateway", "upstream down"},
		{"plain error hides its text", errors.New("secret detail"), 500, "internal", "internal error"},
		{"unknown status", &Error{Status: 418, Code: Code(418), Message: "teapot"}, 418, "error", "teapot"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			Write(rec, "rid-1", c.err)
			if rec.Code != c.wantStatus {
				t.Fatalf("status: got %d, want %d", rec.Code, c.wantStatus)
			}
			var b body
			if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
				t.Fatalf("body %q: %v", rec.Body.String(), err)
			}
			if b.Error != c.wantCode || b.Message != c.wantMsg || b.RequestID != "rid-1" {
				t.Fatalf("body: got %+v, want code %q message %q requestId rid-1", b, c.wantCode, c.wantMsg)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Fatalf("content-type: got %q, want application/json", ct)
			}
		})
	}
}

func TestWriteExtraHeaders(t *testing.T) {
	e := New(http.StatusMethodNotAllowed, "method not allowed")
	e.Header = http.Header{"Allow": {"GET, HEAD"}}
	rec := httptest.NewRecorder()
	Write(rec, "", e)
	if got := rec.Header().Get("Allow"); got != "GET, HEAD" {
		t.Fatalf("Allow: got %q, want %q", got, "GET, HEAD")
	}
}
