package apifile

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"portico/node/route"
	"portico/raftstore/state"
)

// Limits of the optional upstream timeout.
const (
	MinTimeout = time.Millisecond
	MaxTimeout = 5 * time.Minute
)

var (
	nameRe    = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)
	versionRe = regexp.MustCompile(`^(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})$`)
)

// validator turns a decoded file into a state.API, keeping the first error.
type validator struct {
	lines map[string]int
	err   *FieldError
}

// fail records an error on field unless one was recorded before.
func (v *validator) fail(field, format string, args ...any) {
	if v.err == nil {
		v.err = &FieldError{Field: field, Line: v.lines[field], Msg: fmt.Sprintf(format, args...)}
	}
}

func (v *validator) present(field string) bool {
	_, ok := v.lines[field]
	return ok
}

// api validates every field in file order.
func (v *validator) api(f *file) state.API {
	a := state.API{Name: f.Name, Version: f.Version, Context: f.Context, Lifecycle: f.Lifecycle}
	v.identity(&a)
	if !v.present("lifecycle") {
		a.Lifecycle = state.Published
	} else if !slices.Contains(state.Lifecycles, a.Lifecycle) {
		v.fail("lifecycle", "%q is not one of %s", a.Lifecycle, strings.Join(state.Lifecycles, ", "))
	}
	v.settings(f, &a)
	a.Security = v.security(f.Security, "security")
	if a.Security == nil {
		a.Security = []string{state.SecurityAPIKey}
	}
	a.ScopeRoles = v.scopeRoles(f.Scopes)
	a.OAuth2 = v.oauth2(f.OAuth2)
	a.TimeoutMS = v.timeout(f.Timeout)
	a.Endpoints = v.endpoints(f.Endpoints)
	a.CORS = v.cors(f.CORS)
	a.Policies = v.policies(f.Policies, "policies")
	a.Operations = v.operations(f.Operations)
	return a
}

// identity checks name, version and context, and fills Major and Minor.
func (v *validator) identity(a *state.API) {
	switch {
	case a.Name == "":
		v.fail("name", "required")
	case !nameRe.MatchString(a.Name):
		v.fail("name", "%q must be 1 to 64 characters of a-z, 0-9 and '-', starting with a letter or digit", a.Name)
	}
	m := versionRe.FindStringSubmatch(a.Version)
	switch {
	case a.Version == "":
		v.fail("version", "required")
	case m == nil:
		v.fail("version", "%q must be major.minor (for example \"1.0\"), without leading zeros", a.Version)
	default:
		a.Major, _ = strconv.Atoi(m[1])
		a.Minor, _ = strconv.Atoi(m[2])
	}
	if a.Context == "" {
		v.fail("context", "required")
	} else if err := route.CheckContext(a.Context); err != nil {
		v.fail("context", "%v", err)
	} else if reservedContext(a.Context) {
		v.fail("context", "%q is reserved for the gateway's own endpoints (/oauth2, /.well-known)", a.Context)
	}
}

// reservedContext reports whether context is or lies under a path the gateway serves itself.
func reservedContext(context string) bool {
	for _, p := range []string{"/oauth2", "/.well-known"} {
		if context == p || strings.HasPrefix(context, p+"/") {
			return true
		}
	}
	return false
}

// security checks a security list; nil means omitted.
func (v *validator) security(list []string, field string) []string {
	if !v.present(field) {
		return nil
	}
	if len(list) == 0 {
		v.fail(field, "must not be empty (use [none] for an open API)")
		return nil
	}
	for i, s := range list {
		f := indexPath(field, i)
		switch {
		case s != state.SecurityAPIKey && s != state.SecurityOAuth2 && s != state.SecurityNone:
			v.fail(f, "%q is not one of api-key, oauth2, none", s)
		case slices.Index(list, s) != i:
			v.fail(f, "%q listed twice", s)
		case s == state.SecurityNone && len(list) > 1:
			v.fail(f, "none cannot be combined with other schemes")
		}
	}
	return list
}

// timeout parses the optional upstream timeout into milliseconds.
func (v *validator) timeout(s string) int64 {
	if !v.present("timeout") {
		return 0
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		v.fail("timeout", "%q is not a duration such as \"30s\"", s)
	case d < MinTimeout || d > MaxTimeout:
		v.fail("timeout", "%s is outside %s..%s", d, MinTimeout, MaxTimeout)
	case d%time.Millisecond != 0:
		v.fail("timeout", "%s is not a whole number of milliseconds", d)
	}
	return d.Milliseconds()
}

// endpoints checks the backend URLs.
func (v *validator) endpoints(e fileEndpoints) state.Endpoints {
	if !v.present("endpoints") {
		v.fail("endpoints", "required")
	} else if len(e.Production) == 0 {
		v.fail("endpoints.production", "required: at least one URL")
	}
	v.urls(e.Production, "endpoints.production")
	v.urls(e.Sandbox, "endpoints.sandbox")
	return state.Endpoints{Production: e.Production, Sandbox: nilIfEmpty(e.Sandbox)}
}

func (v *validator) urls(list []string, field string) {
	for i, s := range list {
		f := indexPath(field, i)
		if err := checkEndpoint(s); err != nil {
			v.fail(f, "%v", err)
		} else if slices.Index(list, s) != i {
			v.fail(f, "%q listed twice", s)
		}
	}
}

// checkEndpoint accepts an absolute http or https URL with a host and no userinfo, query or fragment.
func checkEndpoint(s string) error {
	if strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return fmt.Errorf("%q contains spaces or control characters", s)
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Errorf("%q is not a URL", s)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%q must be an http or https URL", s)
	case u.Opaque != "" || u.Hostname() == "":
		return fmt.Errorf("%q has no host", s)
	case u.User != nil:
		return fmt.Errorf("%q must not contain user information", s)
	case strings.ContainsAny(s, "?#"):
		return fmt.Errorf("%q must not have a query or fragment", s)
	}
	return nil
}

// cors checks the optional CORS block.
func (v *validator) cors(c *fileCORS) *state.CORS {
	if c == nil || !v.present("cors") {
		return nil
	}
	if len(c.Origins) == 0 {
		v.fail("cors.origins", "required: at least one origin or \"*\"")
	}
	for i, o := range c.Origins {
		f := indexPath("cors.origins", i)
		if err := checkOrigin(o, len(c.Origins)); err != nil {
			v.fail(f, "%v", err)
		} else if slices.Index(c.Origins, o) != i {
			v.fail(f, "%q listed twice", o)
		}
	}
	for i, m := range c.Methods {
		v.method(m, indexPath("cors.methods", i))
	}
	for i, h := range c.Headers {
		if !isToken(h) {
			v.fail(indexPath("cors.headers", i), "%q is not a header name", h)
		}
	}
	if c.Credentials && slices.Contains(c.Origins, "*") {
		v.fail("cors.credentials", "cannot be true when origins is \"*\"")
	}
	if c.MaxAge < 0 {
		v.fail("cors.maxAge", "must not be negative")
	}
	return &state.CORS{Origins: c.Origins, Methods: nilIfEmpty(c.Methods), Headers: nilIfEmpty(c.Headers),
		Credentials: c.Credentials, MaxAge: c.MaxAge}
}

// checkOrigin accepts "*" (alone) or scheme://host[:port].
func checkOrigin(o string, n int) error {
	if o == "*" {
		if n > 1 {
			return fmt.Errorf("\"*\" must be the only origin")
		}
		return nil
	}
	u, err := url.Parse(o)
	if err != nil || u.Scheme == "" || u.Hostname() == "" || u.User != nil || u.Path != "" || u.Opaque != "" ||
		strings.ContainsAny(o, "?# ") || u.Scheme+"://"+u.Host != o {
		return fmt.Errorf("%q must be \"*\" or scheme://host[:port]", o)
	}
	return nil
}

// policies checks a set of policy attachments.
func (v *validator) policies(p *filePolicies, field string) state.Policies {
	if p == nil {
		return state.Policies{}
	}
	return state.Policies{
		Request:  v.refs(p.Request, joinPath(field, "request")),
		Response: v.refs(p.Response, joinPath(field, "response")),
		Fault:    v.refs(p.Fault, joinPath(field, "fault")),
	}
}

func (v *validator) refs(list []filePolicyRef, field string) []state.PolicyRef {
	var out []state.PolicyRef
	for i, r := range list {
		f := indexPath(field, i)
		switch {
		case r.Name == "":
			v.fail(joinPath(f, "name"), "required")
		case !isPrintable(r.Name):
			v.fail(joinPath(f, "name"), "%q contains spaces or control characters", r.Name)
		case !isPrintable(r.Version) && r.Version != "":
			v.fail(joinPath(f, "version"), "%q contains spaces or control characters", r.Version)
		}
		cfg, err := configJSON(&r.Config)
		if err != nil {
			v.fail(joinPath(f, "config"), "%v", err)
		}
		out = append(out, state.PolicyRef{Name: r.Name, Version: r.Version, Config: cfg})
	}
	return out
}

// operations checks every operation and refuses two with the same method and an equivalent template.
func (v *validator) operations(ops []fileOperation) []state.Operation {
	if len(ops) == 0 {
		v.fail("operations", "required: at least one operation")
	}
	seen := map[string]int{}
	out := make([]state.Operation, 0, len(ops))
	for i, o := range ops {
		f := indexPath("operations", i)
		v.method(o.Method, joinPath(f, "method"))
		if o.Path == "" {
			v.fail(joinPath(f, "path"), "required")
		} else if t, err := route.ParseTemplate(o.Path); err != nil {
			v.fail(joinPath(f, "path"), "%v", err)
		} else if j, dup := seen[o.Method+" "+t.Key()]; dup {
			v.fail(joinPath(f, "path"), "%s %s duplicates operations[%d] (%s %s)", o.Method, o.Path, j, ops[j].Method, ops[j].Path)
		} else {
			seen[o.Method+" "+t.Key()] = i
		}
		out = append(out, state.Operation{Method: o.Method, Path: o.Path, Scopes: v.scopes(o.Scopes, joinPath(f, "scopes")),
			Security: v.security(o.Security, joinPath(f, "security")), Policies: v.policies(o.Policies, joinPath(f, "policies"))})
	}
	return out
}

// method accepts an upper-case RFC 7230 token.
func (v *validator) method(m, field string) {
	switch {
	case m == "":
		v.fail(field, "required")
	case len(m) > 32 || !isToken(m):
		v.fail(field, "%q is not an HTTP method", m)
	case strings.ToUpper(m) != m:
		v.fail(field, "%q must be upper case (%s)", m, strings.ToUpper(m))
	}
}

// scopes accepts RFC 6749 scope tokens, each once.
func (v *validator) scopes(list []string, field string) []string {
	for i, s := range list {
		if !isScopeToken(s) {
			v.fail(indexPath(field, i), "%q is not a scope token", s)
		} else if slices.Index(list, s) != i {
			v.fail(indexPath(field, i), "%q listed twice", s)
		}
	}
	return nilIfEmpty(list)
}

// isToken reports an RFC 7230 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
		if !ok {
			return false
		}
	}
	return true
}

// isPrintable reports a non-empty string without spaces or control characters.
func isPrintable(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f || r >= 0x80 && r <= 0x9f })
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}
