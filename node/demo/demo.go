// Package demo is the small backend that `portico dev` starts beside a single-node cluster so that the demo API has
// something real to proxy to. It answers JSON describing the request it received (method, path, query and the
// forwarding headers set by the gateway), which makes the gateway's behaviour visible from a terminal.
package demo

import (
	"encoding/json"
	"net/http"
	"time"
)

// Reply is the JSON body the demo backend returns.
type Reply struct {
	Message   string    `json:"message"`
	Method    string    `json:"method"`
	Path      string    `json:"path"`
	Query     string    `json:"query,omitempty"`
	RequestID string    `json:"requestId,omitempty"`
	Forwarded []string  `json:"forwardedFor,omitempty"`
	APIKey    bool      `json:"apiKeyReceived"`
	Time      time.Time `json:"time"`
}

// Handler returns the demo backend's handler; name appears in the message.
func Handler(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rep := Reply{
			Message:   "hello from " + name,
			Method:    r.Method,
			Path:      r.URL.EscapedPath(),
			Query:     r.URL.RawQuery,
			RequestID: r.Header.Get("X-Request-Id"),
			Forwarded: r.Header.Values("X-Forwarded-For"),
			APIKey:    r.Header.Get("Api-Key") != "",
			Time:      time.Now().UTC(),
		}
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	})
}
