package openapi

import (
	"fmt"
	"slices"

	"gopkg.in/yaml.v3"

	"portico/raftstore/state"
)

// schemes maps each security scheme the document defines to a Portico security value, "" when Portico cannot
// enforce it (HTTP basic or digest, mutual TLS).
func (s *spec) loadSchemes() error {
	defs := get(get(s.root, "components"), "securitySchemes")
	field := "components.securitySchemes"
	if s.swagger {
		defs, field = get(s.root, "securityDefinitions"), "securityDefinitions"
	}
	ps, err := pairs(defs, field)
	if err != nil {
		return err
	}
	s.schemes = map[string]string{}
	for _, p := range ps {
		s.schemes[p.key] = portico(str(get(p.value, "type")), str(get(p.value, "scheme")))
	}
	return nil
}

// portico maps an OpenAPI scheme type (and HTTP scheme) to a Portico security value.
func portico(typ, httpScheme string) string {
	switch typ {
	case "apiKey":
		return state.SecurityAPIKey
	case "oauth2", "openIdConnect":
		return state.SecurityOAuth2
	case "http":
		if httpScheme == "bearer" || httpScheme == "Bearer" {
			return state.SecurityOAuth2
		}
	}
	return ""
}

// requirement is a converted security requirement list.
type requirement struct {
	security []string // Portico security values, in order, each once
	scopes   []string // scopes of the OAuth2 alternatives, in order, each once
}

// requirement converts a security requirement list. An empty list, or an empty alternative ({}: anonymous access
// allowed), gives [none]. Alternatives Portico cannot enforce are dropped; if none is left it is an error, as is an
// alternative that combines several schemes (Portico accepts any one listed scheme, never requires two).
func (s *spec) requirement(n *yaml.Node, field string) (requirement, error) {
	alts, err := list(n, field)
	if err != nil {
		return requirement{}, err
	}
	var r requirement
	if len(alts) == 0 {
		return requirement{security: []string{state.SecurityNone}}, nil
	}
	for i, alt := range alts {
		f := fmt.Sprintf("%s[%d]", field, i)
		ps, err := pairs(alt, f)
		if err != nil {
			return requirement{}, err
		}
		if len(ps) == 0 {
			return requirement{security: []string{state.SecurityNone}}, nil
		}
		if len(ps) > 1 {
			return requirement{}, fmt.Errorf("%s: requirements combining several schemes are not supported", f)
		}
		if err := s.addAlternative(&r, ps[0], f); err != nil {
			return requirement{}, err
		}
	}
	if len(r.security) == 0 {
		return requirement{}, fmt.Errorf("%s: no scheme Portico supports (apiKey, oauth2, openIdConnect, http bearer)", field)
	}
	return r, nil
}

// addAlternative adds one single-scheme alternative to r.
func (s *spec) addAlternative(r *requirement, p pair, field string) error {
	sec, known := s.schemes[p.key]
	if !known {
		return fmt.Errorf("%s: unknown security scheme %q", field, p.key)
	}
	if sec == "" {
		return nil
	}
	if !slices.Contains(r.security, sec) {
		r.security = append(r.security, sec)
	}
	scopes, err := list(p.value, field+"."+p.key)
	if err != nil {
		return err
	}
	for _, sc := range scopes {
		if v := str(sc); sec == state.SecurityOAuth2 && v != "" && !slices.Contains(r.scopes, v) {
			r.scopes = append(r.scopes, v)
		}
	}
	return nil
}
