package admin

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"

	"portico/node/httperr"
)

// handlerFunc is an endpoint: it writes a success response or returns an error, which handle renders once.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle registers h under a ServeMux pattern, rendering and logging its error.
func (a *Admin) handle(pattern string, h handlerFunc) {
	a.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			a.fail(w, r, err)
		}
	})
}

// fail writes err as a JSON wire error. Server-side failures are logged with their cause; client errors are not.
func (a *Admin) fail(w http.ResponseWriter, r *http.Request, err error) {
	e := httperr.As(err)
	id := requestIDFrom(r.Context())
	switch {
	case e.Status == http.StatusServiceUnavailable:
		a.log.Warn("admin request not served", "method", r.Method, "path", r.URL.Path, "requestId", id, "err", err)
	case e.Status >= http.StatusInternalServerError:
		a.log.Error("admin request failed", "method", r.Method, "path", r.URL.Path, "status", e.Status,
			"requestId", id, "err", err)
	}
	httperr.Write(w, id, e)
}

// fallback answers a request no route matches, turning the mux's own 404 or 405 into a JSON wire error. Anything
// else the mux would answer (a redirect to a cleaned path) is a 404 too.
func (a *Admin) fallback(w http.ResponseWriter, r *http.Request, h http.Handler) {
	rec := &discardWriter{header: http.Header{}}
	h.ServeHTTP(rec, r)
	switch rec.code {
	case http.StatusMethodNotAllowed:
		e := httperr.New(http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed on "+r.URL.Path)
		e.Header = http.Header{"Allow": rec.header.Values("Allow")}
		a.fail(w, r, e)
	default:
		a.fail(w, r, httperr.New(http.StatusNotFound, "no such endpoint: "+r.URL.Path))
	}
}

// writeJSON writes v as the JSON response body with status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return httperr.Wrap(http.StatusInternalServerError, "internal error", err)
	}
	b = append(b, '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(b)
	return nil
}

type ctxKey struct{}

func withRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

func requestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// requestID keeps a well-formed X-Request-Id from the caller (a forwarding node) or makes a new one.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); validToken(id, 64) {
		return id
	}
	return randomHex(8)
}

// validToken reports whether s is 1..max characters of [A-Za-z0-9._-].
func validToken(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

// randomHex returns n crypto-random bytes in lowercase hex. crypto/rand.Read never fails (it panics instead).
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// statusWriter records the status written, for the request log.
type statusWriter struct {
	http.ResponseWriter
	code  int
	index func() uint64 // if set, the answer carries IndexHeader: the state index when it was written
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
		if w.index != nil {
			w.Header().Set(IndexHeader, strconv.FormatUint(w.index(), 10))
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// discardWriter captures the status and headers of the mux's default 404/405 handlers and drops their text body.
type discardWriter struct {
	header http.Header
	code   int
}

func (w *discardWriter) Header() http.Header { return w.header }

func (w *discardWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *discardWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(b), nil
}

var (
	_ http.ResponseWriter = (*statusWriter)(nil)
	_ http.ResponseWriter = (*discardWriter)(nil)
)
