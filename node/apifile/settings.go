package apifile

import (
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"unicode/utf8"

	"portico/raftstore/state"
)

// Limits of the consumer-facing settings.
const (
	maxContactName  = 128
	maxEmail        = 254
	maxIssuerString = 512
)

var (
	visibilities = []string{state.VisibilityPublic, state.VisibilityPrivate, state.VisibilityRestricted}
	accessModes  = []string{state.AccessExternal, state.AccessInternal}
	// jwtAlgorithms are the asymmetric JWS algorithms an external issuer may be trusted with: never "none" and never
	// an HMAC, whose key would have to be the public one.
	jwtAlgorithms = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)

// settings checks visibility, visibleRoles, accessMode and the owners, filling the defaults (public, external).
func (v *validator) settings(f *file, a *state.API) {
	a.Visibility = v.oneOf("visibility", f.Visibility, state.VisibilityPublic, visibilities)
	a.VisibleRoles = v.visibleRoles(f.VisibleRoles, a.Visibility)
	a.AccessMode = v.oneOf("accessMode", f.AccessMode, state.AccessExternal, accessModes)
	a.Business = v.contact(f.BusinessOwner, "businessOwner")
	a.Technical = v.contact(f.TechnicalOwner, "technicalOwner")
}

// oneOf returns value if it is one of allowed, def if the field is absent.
func (v *validator) oneOf(field, value, def string, allowed []string) string {
	if !v.present(field) {
		return def
	}
	if !slices.Contains(allowed, value) {
		v.fail(field, "%q is not one of %s", value, strings.Join(allowed, ", "))
	}
	return value
}

// visibleRoles checks the roles of a restricted API: required with restricted, refused otherwise.
func (v *validator) visibleRoles(roles []string, visibility string) []string {
	const field = "visibleRoles"
	switch {
	case visibility == state.VisibilityRestricted && len(roles) == 0:
		v.fail(field, "required: at least one role when visibility is restricted")
	case visibility != state.VisibilityRestricted && v.present(field):
		v.fail(field, "only allowed when visibility is restricted (visibility is %s)", visibility)
	}
	v.roles(roles, field)
	return nilIfEmpty(roles)
}

// roles accepts known role names, each once.
func (v *validator) roles(roles []string, field string) {
	for i, r := range roles {
		f := indexPath(field, i)
		if !state.ValidRole(r) {
			v.fail(f, "%q is not one of %s", r, strings.Join(state.Roles, ", "))
		} else if slices.Index(roles, r) != i {
			v.fail(f, "%q listed twice", r)
		}
	}
}

// contact checks an owner's name and email; a block with neither is refused.
func (v *validator) contact(c *fileContact, field string) state.Contact {
	if c == nil || !v.present(field) {
		return state.Contact{}
	}
	if c.Name == "" && c.Email == "" {
		v.fail(field, "must have a name or an email")
	}
	if c.Name != "" && !isText(c.Name, maxContactName) {
		v.fail(joinPath(field, "name"), "must be at most %d bytes of UTF-8 text without control characters",
			maxContactName)
	}
	if c.Email != "" && !isEmail(c.Email) {
		v.fail(joinPath(field, "email"), "%q is not an email address such as name@example.com", c.Email)
	}
	return state.Contact{Name: c.Name, Email: c.Email}
}

// isText reports valid UTF-8 of at most max bytes without control characters.
func isText(s string, max int) bool {
	return len(s) <= max && utf8.ValidString(s) &&
		!strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f || r >= 0x80 && r <= 0x9f })
}

// isEmail accepts a bare address (no display name, no angle brackets).
func isEmail(s string) bool {
	if len(s) > maxEmail {
		return false
	}
	addr, err := mail.ParseAddress(s)
	return err == nil && addr.Name == "" && addr.Address == s
}

// scopeRoles checks the declared scopes and returns scope → roles (nil roles: any subscribed application).
func (v *validator) scopeRoles(list []fileScope) map[string][]string {
	if len(list) == 0 {
		return nil
	}
	out := make(map[string][]string, len(list))
	for i, s := range list {
		f := indexPath("scopes", i)
		_, dup := out[s.Name]
		switch {
		case s.Name == "":
			v.fail(joinPath(f, "name"), "required")
		case !isScopeToken(s.Name):
			v.fail(joinPath(f, "name"), "%q is not a scope token", s.Name)
		case dup:
			v.fail(joinPath(f, "name"), "%q declared twice", s.Name)
		}
		v.roles(s.Roles, joinPath(f, "roles"))
		out[s.Name] = nilIfEmpty(s.Roles)
	}
	return out
}

// isScopeToken reports an RFC 6749 scope token: printable ASCII without space, '"' or '\'.
func isScopeToken(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == '"' || r == '\\' || r >= 0x7f })
}

// oauth2 checks the external issuers an API trusts.
func (v *validator) oauth2(o *fileOAuth2) *state.OAuth2Settings {
	if o == nil || !v.present("oauth2") {
		return nil
	}
	if len(o.Issuers) == 0 {
		v.fail("oauth2.issuers", "required: at least one issuer")
	}
	out := &state.OAuth2Settings{}
	for i, is := range o.Issuers {
		f := indexPath("oauth2.issuers", i)
		v.issuer(is, f)
		if slices.IndexFunc(o.Issuers, func(x fileIssuer) bool { return x.Issuer == is.Issuer }) != i {
			v.fail(joinPath(f, "issuer"), "%q listed twice", is.Issuer)
		}
		out.Issuers = append(out.Issuers, state.ExternalIssuer{Issuer: is.Issuer, JWKSURL: is.JWKSURL,
			Audience: is.Audience, Algorithms: is.Algorithms})
	}
	return out
}

// issuer checks one external issuer: every field is required.
func (v *validator) issuer(is fileIssuer, field string) {
	for _, c := range []struct{ name, value string }{{"issuer", is.Issuer}, {"audience", is.Audience}} {
		switch f := joinPath(field, c.name); {
		case c.value == "":
			v.fail(f, "required")
		case !isPrintable(c.value) || len(c.value) > maxIssuerString:
			v.fail(f, "must be at most %d printable characters without spaces", maxIssuerString)
		}
	}
	if is.JWKSURL == "" {
		v.fail(joinPath(field, "jwksUrl"), "required")
	} else if err := checkJWKSURL(is.JWKSURL); err != nil {
		v.fail(joinPath(field, "jwksUrl"), "%v", err)
	}
	if len(is.Algorithms) == 0 {
		v.fail(joinPath(field, "algorithms"), "required: at least one of %s", strings.Join(jwtAlgorithms, ", "))
	}
	for i, alg := range is.Algorithms {
		f := indexPath(joinPath(field, "algorithms"), i)
		if !slices.Contains(jwtAlgorithms, alg) {
			v.fail(f, "%q is not one of %s", alg, strings.Join(jwtAlgorithms, ", "))
		} else if slices.Index(is.Algorithms, alg) != i {
			v.fail(f, "%q listed twice", alg)
		}
	}
}

// checkJWKSURL accepts an absolute http or https URL with a host, without user information or fragment; unlike an
// endpoint it may have a query.
func checkJWKSURL(s string) error {
	if strings.Contains(s, "#") {
		return fmt.Errorf("%q must not have a fragment", s)
	}
	base, query, _ := strings.Cut(s, "?")
	if err := checkEndpoint(base); err != nil {
		return err
	}
	if strings.ContainsFunc(query, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return fmt.Errorf("%q contains spaces or control characters", s)
	}
	return nil
}
