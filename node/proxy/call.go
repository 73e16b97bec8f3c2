package proxy

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"

	"portico/node/httperr"
)

// call is the per-request state the ReverseProxy callbacks find through the request context.
type call struct {
	Outbound
	in     *http.Request // the request as handed to Serve, to tell a gone client from an upstream failure
	hooked bool          // Hook.Response or Hook.Failed has run
	idv    [1]string     // RequestID as a header value, shared by the outbound request and the response
}

type callKey struct{}

func callFrom(ctx context.Context) *call {
	c, _ := ctx.Value(callKey{}).(*call)
	return c
}

// Serve forwards r (the inbound request, or the copy policies edited; it is not modified) to the next endpoint and
// streams the response to w. Errors are written as JSON wire errors; nothing is written if the client went away.
func (u *Upstream) Serve(w http.ResponseWriter, r *http.Request, out Outbound) {
	c := &call{Outbound: out, in: r, idv: [1]string{out.RequestID}}
	u.rp.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callKey{}, c)))
}

// rewrite builds the outbound request: endpoint base path + normalised path, the inbound query, X-Forwarded-* from
// the connection only, and no client-sent identity headers.
func (u *Upstream) rewrite(pr *httputil.ProxyRequest) {
	c := callFrom(pr.In.Context())
	t := u.pick()
	out := pr.Out
	esc := c.Path
	if t.path != "" {
		esc = t.path + c.Path
	}
	p, err := url.PathUnescape(esc)
	if err != nil {
		p = esc // unreachable for a normalised path; RawPath still carries the exact bytes
	}
	q := out.URL.RawQuery // the inbound query, with unparsable parameters removed by ReverseProxy
	*out.URL = url.URL{Scheme: t.scheme, Host: t.host, Path: p, RawPath: esc, RawQuery: q}
	out.Host = t.host
	if c.Edits != nil {
		c.Edits.ApplyHeaderEdits(out.Header)
	}
	pr.SetXForwarded()
	stripHeaders(out.Header, c.Drop)
	out.Header["X-Request-Id"] = c.idv[:]
}

// stripHeaders removes X-Real-Ip, every X-Portico-* header and the names in drop.
func stripHeaders(h http.Header, drop []string) {
	const prefix = "X-Portico-"
	for k := range h {
		if strings.EqualFold(k, "X-Real-Ip") || len(k) >= len(prefix) && strings.EqualFold(k[:len(prefix)], prefix) {
			delete(h, k)
		}
	}
	for _, k := range drop {
		h.Del(k)
	}
}

// modifyResponse runs the gateway's response phase.
func (u *Upstream) modifyResponse(resp *http.Response) error {
	c := callFrom(resp.Request.Context())
	if c == nil {
		return nil
	}
	if c.Hook != nil {
		c.hooked = true
		if err := c.Hook.Response(resp); err != nil {
			var he *httperr.Error
			if !errors.As(err, &he) {
				return httperr.Wrap(http.StatusInternalServerError, "internal error", err)
			}
			return err
		}
	}
	resp.Header["X-Request-Id"] = c.idv[:]
	return nil
}

// handleError writes the wire error for a request that got no usable upstream response.
func (u *Upstream) handleError(w http.ResponseWriter, r *http.Request, err error) {
	c := callFrom(r.Context())
	if c == nil { // not reachable through Serve
		httperr.Write(w, "", httperr.Wrap(http.StatusBadGateway, "upstream unavailable", err))
		return
	}
	if c.Hook != nil && !c.hooked {
		c.hooked = true
		c.Hook.Failed(err)
	}
	if c.in.Context().Err() != nil {
		u.log.Debug("client went away", "upstream", u.name, "requestId", c.RequestID, "err", err)
		return
	}
	e := classify(err)
	u.log.Warn("upstream request failed", "upstream", u.name, "requestId", c.RequestID, "status", e.Status,
		"err", err)
	w.Header()["X-Request-Id"] = []string{c.RequestID}
	httperr.Write(w, c.RequestID, e)
}

// classify maps an upstream failure to its wire error.
func classify(err error) *httperr.Error {
	var he *httperr.Error
	var ne net.Error
	switch {
	case errors.As(err, &he):
		return he
	case errors.As(err, &ne) && ne.Timeout():
		return httperr.Wrap(http.StatusGatewayTimeout, "upstream did not respond in time", err)
	default:
		return httperr.Wrap(http.StatusBadGateway, "upstream unavailable", err)
	}
}
