package demo

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestHandlerDescribesRequest(t *testing.T) {
	cases := []struct {
		name, target, key string
		wantPath, wantQ   string
		wantKey           bool
	}{
		{"plain", "/hello", "", "/hello", "", false},
		{"query and key", "/hello?x=1", "secret", "/hello", "x=1", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, c.target, nil)
			if c.key != "" {
				r.Header.Set("api-key", c.key)
			}
			rec := httptest.NewRecorder()
			Handler("demo").ServeHTTP(rec, r)
			var rep Reply
			if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
				t.Fatalf("decoding %q: %v", rec.Body.String(), err)
			}
			if rep.Path != c.wantPath || rep.Query != c.wantQ || rep.APIKey != c.wantKey {
				t.Fatalf("got %+v, want path %q query %q apiKey %v", rep, c.wantPath, c.wantQ, c.wantKey)
			}
		})
	}
}
