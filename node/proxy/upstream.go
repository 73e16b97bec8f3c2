package proxy

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultTimeout is how long an upstream may take to send its response headers when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Config describes one upstream: the endpoints of an API version in one environment.
type Config struct {
	Name       string              // for logs, for example "greet@1.0 production"
	Endpoints  []string            // backend base URLs (http or https), used round-robin
	Timeout    time.Duration       // after the request is written, until the response headers; 0 = DefaultTimeout
	Transports *Transports         // where the upstream takes its transport; nil = a process-wide set
	BufferPool httputil.BufferPool // nil = a process-wide BufferPool
	Logger     *slog.Logger        // nil = discard
}

// Hook is the gateway's response phase for one request.
type Hook interface {
	// Response runs once the upstream's response headers have arrived, before anything is sent to the client; it may
	// edit resp. A non-nil error replaces the response with that error (an *httperr.Error keeps its status).
	Response(resp *http.Response) error
	// Failed runs when no upstream response arrived (transport error, timeout, client gone), before the error
	// response is written. Exactly one of Response and Failed runs per request that reaches the upstream.
	Failed(err error)
}

// Outbound is what the gateway decided about one request.
type Outbound struct {
	Path      string   // normalised escaped path appended to the endpoint's base path; starts with "/"
	RequestID string   // sent upstream as X-Request-Id and set on the response
	Drop      []string // header names removed from the outbound request (the credential header)
	Hook      Hook     // response phase; nil = none
	Edits     Edits    // policies' request header edits, applied to the outbound copy; nil = none
}

// Edits are request header edits made before proxying and applied to the reverse proxy's own copy of the headers,
// so that the request is not copied twice.
type Edits interface {
	ApplyHeaderEdits(h http.Header)
}

// Upstream forwards requests to the endpoints of one API version in one environment.
type Upstream struct {
	name    string
	targets []target
	next    atomic.Uint64
	timeout time.Duration // the transport's ResponseHeaderTimeout
	rp      *httputil.ReverseProxy
	log     *slog.Logger
}

// target is one endpoint's parsed base URL; path is escaped, without a trailing slash.
type target struct{ scheme, host, path string }

var (
	sharedTransports = sync.OnceValue(NewTransports)
	sharedBufferPool = sync.OnceValue(NewBufferPool)
)

// New builds an upstream. Endpoints must be absolute http or https URLs without user info, query or fragment.
func New(cfg Config) (*Upstream, error) {
	if len(cfg.Endpoints) == 0 {
		return nil, fmt.Errorf("building upstream %q: no endpoints", cfg.Name)
	}
	u := &Upstream{name: cfg.Name, timeout: cfg.Timeout, log: cfg.Logger}
	for _, e := range cfg.Endpoints {
		t, err := parseTarget(e)
		if err != nil {
			return nil, fmt.Errorf("building upstream %q: %w", cfg.Name, err)
		}
		u.targets = append(u.targets, t)
	}
	if u.timeout <= 0 {
		u.timeout = DefaultTimeout
	}
	if u.log == nil {
		u.log = slog.New(slog.DiscardHandler)
	}
	u.rp = &httputil.ReverseProxy{
		Rewrite:        u.rewrite,
		ModifyResponse: u.modifyResponse,
		ErrorHandler:   u.handleError,
		BufferPool:     cfg.BufferPool,
		ErrorLog:       slog.NewLogLogger(u.log.Handler(), slog.LevelDebug),
	}
	if cfg.Transports == nil {
		cfg.Transports = sharedTransports()
	}
	u.rp.Transport = cfg.Transports.For(u.timeout)
	if u.rp.BufferPool == nil {
		u.rp.BufferPool = sharedBufferPool()
	}
	return u, nil
}

func parseTarget(raw string) (target, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return target{}, fmt.Errorf("endpoint %q: %w", raw, err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return target{}, fmt.Errorf("endpoint %q: scheme must be http or https", raw)
	case u.Host == "" || u.Opaque != "":
		return target{}, fmt.Errorf("endpoint %q: no host", raw)
	case u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return target{}, fmt.Errorf("endpoint %q: user info, query and fragment are not allowed", raw)
	}
	return target{scheme: u.Scheme, host: u.Host, path: strings.TrimRight(u.EscapedPath(), "/")}, nil
}

// pick returns the next endpoint, round-robin.
func (u *Upstream) pick() *target {
	if len(u.targets) == 1 {
		return &u.targets[0]
	}
	n := u.next.Add(1) - 1
	return &u.targets[n%uint64(len(u.targets))]
}
