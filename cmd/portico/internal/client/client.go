// Package client is the operator CLI's side of the admin HTTP API: one method per call, each sending the admin token
// and, on writes, a fresh Idempotency-Key, and turning the JSON wire error of a refused call into an *Error whose
// text is the server's message. A write whose outcome is unknown is sent again with the same Idempotency-Key, a
// bounded number of times; the cluster applies it at most once.
package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultTimeout bounds every call.
const DefaultTimeout = 30 * time.Second

// SnapshotTimeout bounds one attempt of a snapshot save or restore (when the client's Timeout is shorter): a backup
// streams, and a restore waits until the cluster has installed it.
const SnapshotTimeout = 5 * time.Minute

// maxResponse bounds the response body read from the server.
const maxResponse = 16 << 20

// Config configures a Client.
type Config struct {
	Server     string        // base URL of any node's admin API, e.g. http://127.0.0.1:9080
	Token      string        // admin bearer token
	Timeout    time.Duration // per attempt; 0 = DefaultTimeout
	UserAgent  string        // "" = portico-cli
	HTTPClient *http.Client  // nil = a new client with Timeout
	// Stale makes every read ask for the answering node's local copy (?stale=true) instead of a linearizable read
	// confirmed with the leader.
	Stale bool
	// RetryDelay is the pause before the second attempt of a write; it doubles before each later one. 0 =
	// DefaultRetryDelay.
	RetryDelay time.Duration
}

// Client calls the admin API.
type Client struct {
	base       *url.URL
	token      string
	ua         string
	http       *http.Client
	limit      time.Duration
	slowHTTP   *http.Client // for snapshots: http with a timeout of slowLimit
	slowLimit  time.Duration
	stale      bool
	retryDelay time.Duration
}

// New checks the server URL and builds a client.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(cfg.Server, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server %q: want an http:// or https:// URL", cfg.Server)
	}
	c := &Client{base: u, token: cfg.Token, ua: cfg.UserAgent, http: cfg.HTTPClient, limit: cfg.Timeout,
		stale: cfg.Stale, retryDelay: cfg.RetryDelay}
	if c.limit == 0 {
		c.limit = DefaultTimeout
	}
	if c.retryDelay == 0 {
		c.retryDelay = DefaultRetryDelay
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: c.limit}
	}
	if c.ua == "" {
		c.ua = "portico-cli"
	}
	slow := *c.http
	c.slowHTTP, c.slowLimit = &slow, max(c.limit, SnapshotTimeout)
	c.slowHTTP.Timeout = c.slowLimit
	return c, nil
}

// Error is a call the server refused: its wire error.
type Error struct {
	Status    int
	Code      string
	Message   string
	RequestID string
}

// Error is the server's message.
func (e *Error) Error() string { return e.Message }

// call is one request to path (escaped, under the server URL). The body is body, or else stream (sent as it is read
// and rewound for a retry when it is an io.Seeker), with media type ctype; a JSON answer is decoded into out if
// non-nil.
type call struct {
	method, path string
	query        url.Values
	ctype        string
	body         []byte
	stream       io.Reader
	out          any
	accept       string // "" = application/json
	slow         bool   // a snapshot: bounded by SnapshotTimeout rather than the client's Timeout
	key          string // Idempotency-Key, the same on every attempt of a write
}

// do sends the call, a write up to MaxAttempts times, and decodes its answer or its wire error.
func (c *Client) do(ctx context.Context, cl call) error {
	read := func(resp *http.Response) error { return c.decode(resp, cl) }
	if cl.method == http.MethodGet {
		return c.exchange(ctx, cl, read)
	}
	cl.key = newIdempotencyKey()
	return c.retry(ctx, cl.stream, func() error { return c.exchange(ctx, cl, read) })
}

// exchange sends the call once and hands a successful response to read; a refused call becomes its wire error.
func (c *Client) exchange(ctx context.Context, cl call, read func(*http.Response) error) error {
	req, err := c.newRequest(ctx, cl)
	if err != nil {
		return err
	}
	hc, limit := c.httpFor(cl)
	resp, err := hc.Do(req)
	if err != nil {
		return c.transportError(cl.method, limit, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
		if err != nil {
			return c.transportError(cl.method, limit, err)
		}
		return wireError(resp, data)
	}
	return read(resp)
}

// httpFor is the HTTP client for the call and the time it allows.
func (c *Client) httpFor(cl call) (*http.Client, time.Duration) {
	if cl.slow {
		return c.slowHTTP, c.slowLimit
	}
	return c.http, c.limit
}

// decode reads a successful answer into cl.out.
func (c *Client) decode(resp *http.Response, cl call) error {
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		_, limit := c.httpFor(cl)
		return c.transportError(cl.method, limit, err)
	}
	if cl.out == nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, cl.out); err != nil {
		return fmt.Errorf("reading the answer to %s %s: %w", cl.method, cl.path, err)
	}
	return nil
}

func (c *Client) newRequest(ctx context.Context, cl call) (*http.Request, error) {
	target := c.base.String() + cl.path // cl.path is escaped already
	if q := c.query(cl); len(q) > 0 {
		target += "?" + q.Encode()
	}
	var body io.Reader
	switch {
	case cl.body != nil:
		body = bytes.NewReader(cl.body)
	case cl.stream != nil:
		body = io.NopCloser(cl.stream) // the caller owns the stream: the transport must not close it
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, target, body)
	if err != nil {
		return nil, fmt.Errorf("building %s %s: %w", cl.method, cl.path, err)
	}
	accept := cl.accept
	if accept == "" {
		accept = "application/json"
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", c.ua)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if body != nil {
		req.Header.Set("Content-Type", cl.ctype)
	}
	if cl.key != "" {
		req.Header.Set("Idempotency-Key", cl.key)
	}
	return req, nil
}

// query is the call's query, with stale=true added to a read when the client makes stale reads.
func (c *Client) query(cl call) url.Values {
	if !c.stale || cl.method != http.MethodGet {
		return cl.query
	}
	q := url.Values{}
	for k, v := range cl.query {
		q[k] = v
	}
	q.Set("stale", "true")
	return q
}

// transportError explains a call that got no answer. A write that timed out may or may not have been applied.
func (c *Client) transportError(method string, limit time.Duration, err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		err = ue.Err
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
		if method != http.MethodGet {
			return noAnswer{fmt.Errorf("no answer from %s within %s: the change may or may not have been applied",
				c.base, limit)}
		}
		return noAnswer{fmt.Errorf("no answer from %s within %s", c.base, limit)}
	}
	return noAnswer{fmt.Errorf("cannot reach the admin API at %s: %w", c.base, err)}
}

// noAnswer is a call that got no complete answer: a write may or may not have been applied.
type noAnswer struct{ error }

func (e noAnswer) Unwrap() error { return e.error }

// wireError decodes the server's JSON error, or describes an answer that is not one.
func wireError(resp *http.Response, data []byte) error {
	var body struct {
		Error     string `json:"error"`
		Message   string `json:"message"`
		RequestID string `json:"requestId"`
	}
	if err := json.Unmarshal(data, &body); err != nil || body.Message == "" {
		return &Error{Status: resp.StatusCode, Code: "unknown",
			Message: fmt.Sprintf("the server answered %s without an error message", resp.Status)}
	}
	return &Error{Status: resp.StatusCode, Code: body.Error, Message: body.Message, RequestID: body.RequestID}
}

// newIdempotencyKey returns a random key: a retried write with the same key is applied at most once.
func newIdempotencyKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
