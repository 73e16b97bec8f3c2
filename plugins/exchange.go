package plugins

import (
	"bytes"
	"io"
	"net/http"
	"slices"
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

// Identity is who an authenticated request comes from; authenticate stores it in the auth.* properties (the
// abi.PropAuth* constants). Fields that do not apply to the credential are empty.
type Identity struct {
	App          string // auth.app: application ID
	Env          string // auth.env: production or sandbox
	Key          string // auth.key: API key ID
	Subscription string // auth.subscription: subscription ID
	Plan         string // auth.plan: usage plan of the subscription
	Sub          string // auth.sub: token subject
	Scope        string // auth.scope: granted scopes, space-separated
	ClientID     string // auth.client: OAuth2 client_id
	TokenID      string // auth.token: token ID (jti)
	Issuer       string // auth.issuer: token issuer (iss)
}

// Exchange is the per-request state the host functions read and write: the inbound request and the outbound copy
// policies edit, request properties, the response a guest produces itself and the upstream response of the response
// phase. It is not safe for concurrent use: the policies of one request run one after the other.
type Exchange struct {
	in     *http.Request
	out    *http.Request // private copy for method, URI, Host and body edits; shares in's Header map, read-only
	hops   []headerEdit  // request header edits in order, replayed on reads and onto the outbound headers
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

// Request returns the request as the policies left it: the inbound request, or a private copy with their edits
// applied, header edits included. The inbound request is never modified, except that reading its body consumes it.
func (x *Exchange) Request() *http.Request {
	if len(x.hops) > 0 {
		out := x.writable()
		h := out.Header.Clone()
		if h == nil {
			h = http.Header{}
		}
		x.replay(h)
		out.Header, x.hops = h, nil
	}
	return x.current()
}

// Outbound returns the request to forward without copying it for header edits: the inbound request, or a private
// copy when policies changed its method, URI, Host or body. When edited is true the caller must apply
// ApplyHeaderEdits to its own copy of the request's headers (the reverse proxy clones them anyway).
func (x *Exchange) Outbound() (r *http.Request, edited bool) {
	return x.current(), len(x.hops) > 0
}

// ApplyHeaderEdits replays the policies' request header edits onto the proxy's outbound headers h, in order. Edits of
// hop-by-hop and forwarding headers are left out, as the reverse proxy drops those from what it forwards and sets
// the forwarding headers itself.
func (x *Exchange) ApplyHeaderEdits(h http.Header) {
	for _, e := range x.hops {
		if !proxyOwned[e.key] {
			applyHeaderOp(h, e.op, e.key, e.val)
		}
	}
}

// proxyOwned are the canonical names of the request headers the reverse proxy manages: hop-by-hop and forwarding.
var proxyOwned = map[string]bool{
	"Connection": true, "Proxy-Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true,
	"Proxy-Authorization": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
	"Forwarded": true, "X-Forwarded-For": true, "X-Forwarded-Host": true, "X-Forwarded-Proto": true,
}

// replay applies every header edit to h.
func (x *Exchange) replay(h http.Header) {
	for _, e := range x.hops {
		applyHeaderOp(h, e.op, e.key, e.val)
	}
}

// current returns the request without materialising header edits.
func (x *Exchange) current() *http.Request {
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

// headerEdit is one request header edit of a guest; key is canonical.
type headerEdit struct {
	op       headerOp
	key, val string
}

// editRequestHeader records a request header edit; Host edits change the request's Host.
func (x *Exchange) editRequestHeader(op headerOp, key, val string) {
	if key == "Host" {
		r := x.writable()
		if op == opRemove {
			r.Host = ""
		} else {
			r.Host = val
		}
		return
	}
	x.hops = append(x.hops, headerEdit{op, key, val})
}

// requestHeaderValues returns the current values of a request header: the inbound values with the edits replayed.
// name must be canonical when edits exist; scratch is reused for the lookup.
func (x *Exchange) requestHeaderValues(name []byte, scratch *[]byte) []string {
	values := headerValues(x.current().Header, name, scratch)
	for _, e := range x.hops {
		if !equalFold(e.key, name) {
			continue
		}
		switch e.op {
		case opSet:
			values = []string{e.val}
		case opAdd:
			values = append(slices.Clip(values), e.val)
		case opRemove:
			values = nil
		}
	}
	return values
}

// requestHeaderNames returns the current request header names (see headerNames), edits replayed.
func (x *Exchange) requestHeaderNames(names []string) []string {
	r := x.current()
	if len(x.hops) == 0 {
		return headerNames(names, r.Header, r.Host)
	}
	h := r.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	x.replay(h)
	return headerNames(names, h, r.Host)
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

// SetIdentity records who the request comes from: it answers the auth.* properties of Identity's fields (a later
// SetProperty of one of them wins).
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
	case abi.PropAuthSubscription:
		return x.who.Subscription, true
	case abi.PropAuthPlan:
		return x.who.Plan, true
	case abi.PropAuthSubject:
		return x.who.Sub, true
	case abi.PropAuthScope:
		return x.who.Scope, true
	case abi.PropAuthClient:
		return x.who.ClientID, true
	case abi.PropAuthToken:
		return x.who.TokenID, true
	case abi.PropAuthIssuer:
		return x.who.Issuer, true
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

// shallowCopy copies a request for method, URI, Host or body edits: its own URL, everything else shared, the Header
// map included (header edits are kept apart and never written to it). The proxy clones the request again for the
// upstream, so a deep copy here would be paid twice.
func shallowCopy(r *http.Request) *http.Request {
	out := new(http.Request)
	*out = *r
	if r.URL != nil {
		u := *r.URL
		out.URL = &u
	}
	return out
}
