// Package client is the operator CLI's side of the admin HTTP API: one method per call, each sending the admin token
// and, on writes, a fresh Idempotency-Key, and turning the JSON wire error of a refused call into an *Error whose
// text is the server's message.
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

// maxResponse bounds the response body read from the server.
const maxResponse = 16 << 20

// Config configures a Client.
type Config struct {
	Server     string        // base URL of any node's admin API, e.g. http://127.0.0.1:9080
	Token      string        // admin bearer token
	Timeout    time.Duration // per call; 0 = DefaultTimeout
	UserAgent  string        // "" = portico-cli
	HTTPClient *http.Client  // nil = a new client with Timeout
}

// Client calls the admin API.
type Client struct {
	base  *url.URL
	token string
	ua    string
	http  *http.Client
	limit time.Duration
}

// New checks the server URL and builds a client.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(cfg.Server, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server %q: want an http:// or https:// URL", cfg.Server)
	}
	c := &Client{base: u, token: cfg.Token, ua: cfg.UserAgent, http: cfg.HTTPClient, limit: cfg.Timeout}
	if c.limit == 0 {
		c.limit = DefaultTimeout
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: c.limit}
	}
	if c.ua == "" {
		c.ua = "portico-cli"
	}
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

// call is one request to path (escaped, under the server URL): body (with its media type) is sent if non-nil, a JSON answer is decoded into out if non-nil.
type call struct {
	method, path string
	query        url.Values
	ctype        string
	body         []byte
	out          any
}

// do sends the call and decodes its answer or its wire error.
func (c *Client) do(ctx context.Context, cl call) error {
	req, err := c.newRequest(ctx, cl)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return c.transportError(cl.method, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return c.transportError(cl.method, err)
	}
	if resp.StatusCode >= 300 {
		return wireError(resp, data)
	}
	if cl.out == nil {
		return nil
	}
	if err := json.Unmarshal(data, cl.out); err != nil {
		return fmt.Errorf("reading the answer to %s %s: %w", cl.method, cl.path, err)
	}
	return nil
}

func (c *Client) newRequest(ctx context.Context, cl call) (*http.Request, error) {
	target := c.base.String() + cl.path // cl.path is escaped already
	if len(cl.query) > 0 {
		target += "?" + cl.query.Encode()
	}
	var body io.Reader
	if cl.body != nil {
		body = bytes.NewReader(cl.body)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, target, body)
	if err != nil {
		return nil, fmt.Errorf("building %s %s: %w", cl.method, cl.path, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.ua)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if cl.body != nil {
		req.Header.Set("Content-Type", cl.ctype)
	}
	if cl.method != http.MethodGet {
		req.Header.Set("Idempotency-Key", newIdempotencyKey())
	}
	return req, nil
}

// transportError explains a call that got no answer. A write that timed out may or may not have been applied.
func (c *Client) transportError(method string, err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		err = ue.Err
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
		if method != http.MethodGet {
			return fmt.Errorf("no answer from %s within %s: the change may or may not have been applied", c.base,
				c.limit)
		}
		return fmt.Errorf("no answer from %s within %s", c.base, c.limit)
	}
	return fmt.Errorf("cannot reach the admin API at %s: %w", c.base, err)
}

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
