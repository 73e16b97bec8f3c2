package plugins

import (
	"bytes"
	"io"
	"net/http"
	"strconv"

	"portico/plugins/abi"
)

// CredentialStore resolves credentials for portico_v1.lookup_credential and portico_v1.authenticate.
type CredentialStore interface {
	// LookupCredential returns the encoded record (abi.EncodeRecord) of credential id if sha256 hash matches
	// (constant-time compare) and it is valid now.
	LookupCredential(kind uint32, id string, hash []byte) (record []byte, ok bool)
	// Authenticate verifies a presented credential against the API being called and returns an abi.Auth* verdict;
	// on abi.AuthOK, who is calling.
	Authenticate(kind uint32, credential string) (verdict int32, who Identity)
}

// PropertySource supplies the properties a host already knows about a request (api.name, operation.id, ...), read on
// demand so that a request pays nothing for properties no policy reads.
type PropertySource interface {
	Property(key string) (value string, ok bool)
}

// Identity is who an authenticated request comes from; authenticate stores it in the auth.* properties.
type Identity struct {
	App, Env, Key, Subscription, Plan string
}

// Exchange is the per-request state the host functions read and write: the inbound request and the outbound copy
// policies edit, request properties, the response a guest produces itself and the upstream response of the response
// phase. It is not safe for concurrent use: the policies of one request run one after the other.
type Exchange struct {
	in     *http.Request
	out    *http.Request // private copy, made on the first edit
	creds  CredentialStore
	base   PropertySource    // may be nil
	props  map[string]string // properties set during the request; they shadow who and base
	who    Identity          // set by authenticate; serves the auth.* properties when hasWho
	hasWho bool

	// The guest response: written by guests during handle_request. When a guest returns next=0 it is the response;
	// otherwise its headers are applied to the upstream response.
	status    int
	header    http.Header
	body      []byte
	responded bool

	upstream *http.Response
}

// NewExchange wraps an inbound request. creds may be nil: lookup_credential then finds nothing.
func NewExchange(r *http.Request, creds CredentialStore) *Exchange {
	return &Exchange{in: r, creds: creds}
}

// Request returns the inbound request, or the private copy policies have edited (copy on first write). The gateway
// proxies this request; the inbound one is never modified, except that reading its body consumes it.
func (x *Exchange) Request() *http.Request {
	if x.out != nil {
		return x.out
	}
	return x.in
}

// writable returns the outbound copy, making it on first use.
func (x *Exchange) writable() *http.Request {
	if x.out == nil {
		x.out = shallowCopy(x.in)
	}
	return x.out
}

// SetProperty sets a request property (see the abi.Prop constants).
func (x *Exchange) SetProperty(key, value string) {
	if x.props == nil {
		x.props = make(map[string]string, 4)
	}
	x.props[key] = value
}

// SetPropertySource sets where properties not set with SetProperty are read from.
func (x *Exchange) SetPropertySource(src PropertySource) { x.base = src }

// SetIdentity records who the request comes from: it answers the auth.app, auth.env, auth.key, auth.subscription
// and auth.plan properties (a later SetProperty of one of them wins).
func (x *Exchange) SetIdentity(who Identity) { x.who, x.hasWho = who, true }

// Property returns a request property, "" when unset.
func (x *Exchange) Property(key string) string {
	if v, ok := x.props[key]; ok {
		return v
	}
	if v, ok := x.identityProperty(key); ok {
		return v
	}
	if x.base != nil {
		v, _ := x.base.Property(key)
		return v
	}
	return ""
}

func (x *Exchange) identityProperty(key string) (string, bool) {
	if !x.hasWho {
		return "", false
	}
	switch key {
	case abi.PropAuthApp:
		return x.who.App, true
	case abi.PropAuthEnv:
		return x.who.Env, true
	case abi.PropAuthKeyID:
		return x.who.Key, true
	case abi.PropAuthSub:
		return x.who.Subscription, true
	case abi.PropAuthPlan:
		return x.who.Plan, true
	}
	return "", false
}

// Responded reports that a guest returned next=0: the request must not go upstream and WriteResponse writes the
// guest's response.
func (x *Exchange) Responded() bool { return x.responded }

// WriteResponse writes the guest's response: status (default 200), headers and body.
func (x *Exchange) WriteResponse(w http.ResponseWriter) {
	h := w.Header()
	for k, v := range x.header {
		h[k] = v
	}
	h.Set("Content-Length", strconv.Itoa(len(x.body)))
	status := x.status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	if len(x.body) > 0 {
		_, _ = w.Write(x.body)
	}
}

// SetUpstreamResponse hands the upstream response to the response phase. Response headers that guests set during
// handle_request (while passing the request on) replace the upstream's values of the same names. Guests then edit
// resp in place: headers, StatusCode, and Body with ContentLength and the Content-Length header when they replace it.
func (x *Exchange) SetUpstreamResponse(resp *http.Response) {
	x.upstream = resp
	if resp == nil || len(x.header) == 0 {
		return
	}
	if resp.Header == nil {
		resp.Header = make(http.Header, len(x.header))
	}
	for k, v := range x.header {
		resp.Header[k] = append([]string(nil), v...)
	}
}

// guestStatus returns the status of the guest response.
func (x *Exchange) guestStatus() int {
	if x.status == 0 {
		return http.StatusOK
	}
	return x.status
}

// applyRequestBody applies one handle_request call's body activity to the outbound request: a written body replaces
// it; bytes read while buffering are fed back in front of the rest; bytes read without buffering are gone.
func (x *Exchange) applyRequestBody(bc *bodyCall) {
	out := x.writable()
	if bc.wrote {
		closeBody(out.Body)
		setRequestBody(out, bc.written)
		return
	}
	if len(bc.read) > 0 {
		out.Body = newPrefixBody(bc.read, out.Body)
	}
	if bc.dropped > 0 && out.ContentLength > 0 {
		out.ContentLength = max(0, out.ContentLength-bc.dropped)
		out.GetBody = nil
	}
}

func setRequestBody(r *http.Request, b []byte) {
	r.ContentLength = int64(len(b))
	r.TransferEncoding = nil
	r.Header.Del("Content-Length")
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	r.Body, _ = r.GetBody()
	if len(b) == 0 {
		r.Body = http.NoBody
	}
}

// applyResponseBody applies one handle_response call's body activity to the upstream response.
func (x *Exchange) applyResponseBody(bc *bodyCall, ph phase) {
	resp := x.upstream
	if ph != phaseResponse || resp == nil {
		return
	}
	if !bc.wrote {
		resp.Body = newPrefixBody(bc.read, resp.Body)
		return
	}
	closeBody(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(bc.written))
	resp.ContentLength = int64(len(bc.written))
	resp.TransferEncoding = nil
	if resp.Header == nil {
		resp.Header = http.Header{}
	}
	resp.Header.Set("Content-Length", strconv.Itoa(len(bc.written)))
}

// prefixBody reads bytes already consumed by a guest, then the rest of the original body.
type prefixBody struct {
	io.Reader
	rest io.ReadCloser
}

func newPrefixBody(prefix []byte, rest io.ReadCloser) io.ReadCloser {
	if rest == nil {
		rest = http.NoBody
	}
	return &prefixBody{Reader: io.MultiReader(bytes.NewReader(prefix), rest), rest: rest}
}

// Close closes the original body.
func (b *prefixBody) Close() error { return b.rest.Close() }

func closeBody(b io.ReadCloser) {
	if b != nil {
		_ = b.Close()
	}
}

var _ io.ReadCloser = (*prefixBody)(nil)

// shallowCopy copies a request for editing: its own Header and URL, everything else shared. The proxy clones the
// request again for the upstream, so a deep copy here would be paid twice.
func shallowCopy(r *http.Request) *http.Request {
	out := new(http.Request)
	*out = *r
	out.Header = r.Header.Clone()
	if out.Header == nil {
		out.Header = make(http.Header)
	}
	if r.URL != nil {
		u := *r.URL
		out.URL = &u
	}
	return out
}
