package client

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestGetDoc(t *testing.T) {
	const markdown = "# Guide\n\n{\"not\": \"json\"}\n"
	cases := []struct {
		name    string
		status  int
		body    string
		want    string
		wantErr string
	}{
		{"the Markdown as it is", 200, markdown, markdown, ""},
		{"empty document", 200, "", "", ""},
		{"absent", 404, `{"error":"not_found","message":"document guide not found"}`, "", "document guide not found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var accept, query string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				accept, query = r.Header.Get("Accept"), r.URL.RawQuery
				w.Header().Set("Content-Type", "text/markdown")
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			c, err := New(Config{Server: srv.URL, Stale: true})
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.GetDoc(context.Background(), "greet", "1.0", "guide")
			if tc.wantErr != "" {
				var e *Error
				if !errors.As(err, &e) || e.Message != tc.wantErr {
					t.Errorf("error: got %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || string(got) != tc.want {
				t.Errorf("GetDoc: got %q, %v, want %q", got, err, tc.want)
			}
			if accept != "text/markdown, text/plain, application/json" || query != "stale=true" {
				t.Errorf("request: got Accept %q and query %q, want Markdown accepted and a stale read", accept, query)
			}
		})
	}
}

func TestEmptyAnswers(t *testing.T) {
	cases := []struct {
		name string
		call func(c *Client) error
	}{
		{"delete subscription", func(c *Client) error { return c.DeleteSubscription(context.Background(), "s1") }},
		{"delete document", func(c *Client) error { return c.DeleteDoc(context.Background(), "a", "1.0", "d") }},
		{"delete user", func(c *Client) error { return c.DeleteUser(context.Background(), "alice") }},
		{"block subscription", func(c *Client) error {
			s, err := c.BlockSubscription(context.Background(), "s1")
			if err == nil && *s != (Subscription{}) {
				t.Errorf("got %+v, want an empty subscription", s)
			}
			return err
		}},
	}
	for _, status := range []int{http.StatusOK, http.StatusNoContent} {
		for _, tc := range cases {
			t.Run(http.StatusText(status)+" "+tc.name, func(t *testing.T) {
				if err := tc.call(server(t, status, "", nil)); err != nil {
					t.Errorf("got %v, want no error", err)
				}
			})
		}
	}
}
