package client

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"
)

// reply is one scripted answer.
type reply struct {
	status int
	body   string
}

// seenRequest is what the scripted server received.
type seenRequest struct {
	method, path, query, key, body string
}

// scripted answers the n-th request with replies[n] (the last one once they run out) and records every request.
type scripted struct {
	mu      sync.Mutex
	replies []reply
	seen    []seenRequest
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	n := len(s.seen)
	s.seen = append(s.seen, seenRequest{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Idempotency-Key"),
		string(body)})
	rep := s.replies[min(n, len(s.replies)-1)]
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rep.status)
	_, _ = io.WriteString(w, rep.body)
}

func (s *scripted) requests() []seenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seenRequest(nil), s.seen...)
}

// newScripted serves replies and returns a client of it with short retry pauses.
func newScripted(t *testing.T, cfg Config, replies ...reply) (*Client, *scripted) {
	t.Helper()
	s := &scripted{replies: replies}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	cfg.Server = srv.URL
	if cfg.RetryDelay == 0 {
		cfg.RetryDelay = time.Millisecond
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, s
}

const (
	unknownOutcome = `{"error":"unavailable","message":"the outcome of the write is unknown (the cluster did not ` +
		`confirm it in time or leadership changed): it is safe to retry with the same Idempotency-Key"}`
	noLeader   = `{"error":"unavailable","message":"no leader: election in progress"}`
	noQuorum   = `{"error":"unavailable","message":"no quorum: 1 of 3 voters reachable"}`
	shutdown   = `{"error":"unavailable","message":"the node is shutting down: nothing was applied"}`
	badRequest = `{"error":"invalid_request","message":"name: required"}`
	created    = `{"id":"a1","name":"web"}`
)

func TestWriteRetries(t *testing.T) {
	cases := []struct {
		name     string
		replies  []reply
		attempts int
		wantErr  string // "" = success
	}{
		{"unknown outcome then success", []reply{{503, unknownOutcome}, {200, created}}, 2, ""},
		{"no leader twice then success", []reply{{503, noLeader}, {503, noLeader}, {200, created}}, 3, ""},
		{"no quorum then success", []reply{{503, noQuorum}, {200, created}}, 2, ""},
		{"unknown outcome every time", []reply{{503, unknownOutcome}}, 3, "(gave up after 3 attempts)"},
		{"refused", []reply{{400, badRequest}, {200, created}}, 1, "name: required"},
		{"conflict", []reply{{409, `{"error":"conflict","message":"application web exists"}`}}, 1, "exists"},
		{"unavailable for another reason", []reply{{503, shutdown}, {200, created}}, 1, "shutting down"},
		{"not JSON", []reply{{503, "<html>"}, {200, created}}, 1, "without an error message"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, s := newScripted(t, Config{}, tc.replies...)
			app, err := c.CreateApp(context.Background(), "web", "")
			if tc.wantErr == "" && (err != nil || app.ID != "a1") {
				t.Errorf("CreateApp: got %+v, %v, want a1", app, err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("CreateApp error: got %v, want it to contain %q", err, tc.wantErr)
			}
			reqs := s.requests()
			if len(reqs) != tc.attempts {
				t.Fatalf("attempts: got %d, want %d", len(reqs), tc.attempts)
			}
			for i, r := range reqs {
				if r.key == "" || r.key != reqs[0].key || r.body != reqs[0].body || r.path != "/v1/apps" {
					t.Errorf("attempt %d: got %+v, want the first request again %+v", i+1, r, reqs[0])
				}
			}
		})
	}
}

func TestRetryKeepsTheWireError(t *testing.T) {
	c, _ := newScripted(t, Config{}, reply{503, noLeader})
	_, err := c.DeleteKey(context.Background(), "k1")
	var e *Error
	if !errors.As(err, &e) || e.Status != 503 || e.Code != "unavailable" {
		t.Errorf("error: got %#v, want the 503 wire error", err)
	}
}

func TestRetryPauses(t *testing.T) {
	c, _ := newScripted(t, Config{RetryDelay: 40 * time.Millisecond}, reply{503, unknownOutcome})
	start := time.Now()
	_, _ = c.CreateApp(context.Background(), "web", "")
	if got := time.Since(start); got < 120*time.Millisecond {
		t.Errorf("3 attempts took %s, want at least 40ms + 80ms of pauses", got)
	}
}

func TestRetryStopsWhenCancelled(t *testing.T) {
	// The first attempt must be answered before the context ends (2 s, room for a stall on a loaded machine); the
	// minute's pause before a second attempt cannot fit in it.
	c, s := newScripted(t, Config{RetryDelay: time.Minute}, reply{503, unknownOutcome})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := c.CreateApp(ctx, "web", "")
	if err == nil || len(s.requests()) != 1 {
		t.Errorf("got %v after %d attempts, want an error after 1", err, len(s.requests()))
	}
}

func TestReadsAreNotRetried(t *testing.T) {
	c, s := newScripted(t, Config{}, reply{503, noLeader}, reply{200, `[]`})
	if _, err := c.ListApps(context.Background()); err == nil || !strings.Contains(err.Error(), "no leader") {
		t.Errorf("ListApps: got %v, want the no leader error", err)
	}
	if n := len(s.requests()); n != 1 {
		t.Errorf("attempts: got %d, want 1", n)
	}
}

func TestStreamRetries(t *testing.T) {
	cases := []struct {
		name     string
		stream   io.Reader
		attempts int
	}{
		{"seekable stream is sent again from its start", strings.NewReader("backup"), 2},
		{"stream that cannot be rewound is sent once", iotest.HalfReader(strings.NewReader("backup")), 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, s := newScripted(t, Config{}, reply{503, unknownOutcome}, reply{200, `{"restored":true,"index":7}`})
			res, err := c.RestoreSnapshot(context.Background(), tc.stream)
			reqs := s.requests()
			if len(reqs) != tc.attempts {
				t.Fatalf("attempts: got %d, want %d", len(reqs), tc.attempts)
			}
			for i, r := range reqs {
				if r.body != "backup" || r.key != reqs[0].key {
					t.Errorf("attempt %d: got body %q key %q, want backup and %q", i+1, r.body, r.key, reqs[0].key)
				}
			}
			if tc.attempts == 2 && (err != nil || res.Index != 7 || !res.Restored) {
				t.Errorf("RestoreSnapshot: got %+v, %v, want restored at 7", res, err)
			}
			if tc.attempts == 1 && err == nil {
				t.Errorf("RestoreSnapshot: got no error, want the unknown outcome")
			}
		})
	}
}

func TestStaleReads(t *testing.T) {
	cases := []struct {
		name  string
		stale bool
		call  func(c *Client) error
		query string
	}{
		{"linearizable list", false, func(c *Client) error { _, err := c.ListApps(context.Background()); return err },
			""},
		{"stale list", true, func(c *Client) error { _, err := c.ListApps(context.Background()); return err },
			"stale=true"},
		{"stale list with a query", true, func(c *Client) error {
			_, err := c.ListKeys(context.Background(), "web")
			return err
		}, "app=web&stale=true"},
		{"stale status", true, func(c *Client) error { _, err := c.ClusterStatus(context.Background()); return err },
			"stale=true"},
		{"writes are never stale", true, func(c *Client) error {
			_, err := c.DeleteApp(context.Background(), "web")
			return err
		}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, s := newScripted(t, Config{Stale: tc.stale}, reply{200, `[]`})
			_ = tc.call(c)
			if r := s.requests(); len(r) != 1 || r[0].query != tc.query {
				t.Errorf("requests: got %+v, want one with query %q", r, tc.query)
			}
		})
	}
}

func TestRetryAfterBrokenConnection(t *testing.T) {
	var (
		mu   sync.Mutex
		keys []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		mu.Lock()
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		first := len(keys) == 1
		mu.Unlock()
		if first { // the request arrived, the answer never does
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				_ = conn.Close()
			}
			return
		}
		_, _ = io.WriteString(w, created)
	}))
	defer srv.Close()
	c, err := New(Config{Server: srv.URL, RetryDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateApp(context.Background(), "web", ""); err != nil {
		t.Fatalf("CreateApp: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(keys) != 2 || keys[0] == "" || keys[0] != keys[1] {
		t.Errorf("Idempotency-Keys: got %q, want the same key twice", keys)
	}
}
