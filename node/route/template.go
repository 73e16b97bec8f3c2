package route

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// ErrBadTemplate is wrapped by every ParseTemplate error.
var ErrBadTemplate = errors.New("invalid path template")

// MaxTemplateSegments bounds the depth of a template.
const MaxTemplateSegments = 64

// Template is a parsed operation path template such as "/items/{id}".
type Template struct {
	raw  string
	segs []tseg
}

// tseg is one template segment: a decoded literal or a named parameter.
type tseg struct {
	lit   string
	param string // non-empty for a {param} segment
}

// ParseTemplate validates an operation path template ("/items/{id}"): it starts with "/", its segments are literals
// (unreserved, sub-delims, ':' and '@' characters, percent-encoding allowed) or a whole-segment {name} with name
// [A-Za-z_][A-Za-z0-9_]*, no parameter name repeats, and there are no empty segments except the root "/" itself. A
// literal may not decode to "." or "..", nor contain an encoded slash, backslash or control character: no normalised
// request path could match it.
func ParseTemplate(path string) (Template, error) {
	if !strings.HasPrefix(path, "/") {
		return Template{}, fmt.Errorf("%w %q: must start with \"/\"", ErrBadTemplate, path)
	}
	t := Template{raw: path}
	if path == "/" {
		return t, nil
	}
	parts := strings.Split(path[1:], "/")
	if len(parts) > MaxTemplateSegments {
		return Template{}, fmt.Errorf("%w %q: more than %d segments", ErrBadTemplate, path, MaxTemplateSegments)
	}
	seen := map[string]bool{}
	for i, part := range parts {
		s, err := parseSegment(part)
		if err != nil {
			return Template{}, fmt.Errorf("%w %q: segment %d: %w", ErrBadTemplate, path, i+1, err)
		}
		if s.param != "" {
			if seen[s.param] {
				return Template{}, fmt.Errorf("%w %q: parameter {%s} repeated", ErrBadTemplate, path, s.param)
			}
			seen[s.param] = true
		}
		t.segs = append(t.segs, s)
	}
	return t, nil
}

// parseSegment parses one segment of a template.
func parseSegment(part string) (tseg, error) {
	if part == "" {
		return tseg{}, errors.New("empty segment")
	}
	if strings.HasPrefix(part, "{") || strings.HasSuffix(part, "}") {
		name, ok := strings.CutPrefix(part, "{")
		name, ok2 := strings.CutSuffix(name, "}")
		if !ok || !ok2 || !isParamName(name) {
			return tseg{}, fmt.Errorf("parameter %q must be a whole segment {name} with name [A-Za-z_][A-Za-z0-9_]*", part)
		}
		return tseg{param: name}, nil
	}
	for i := 0; i < len(part); i++ {
		if c := part[i]; !isLiteralChar(c) && c != '%' {
			return tseg{}, fmt.Errorf("character %q not allowed in a literal", c)
		}
	}
	lit, err := url.PathUnescape(part)
	if err != nil {
		return tseg{}, fmt.Errorf("literal %q: bad percent escape", part)
	}
	if err := checkLiteral(lit); err != nil {
		return tseg{}, fmt.Errorf("literal %q: %w", part, err)
	}
	return tseg{lit: lit}, nil
}

// checkLiteral refuses decoded literals that no normalised request segment can equal.
func checkLiteral(lit string) error {
	if lit == "." || lit == ".." {
		return errors.New("dot segment")
	}
	if !utf8.ValidString(lit) {
		return errors.New("invalid UTF-8")
	}
	for i := 0; i < len(lit); i++ {
		if c := lit[i]; c < 0x20 || c == 0x7f || c == '/' || c == '\\' {
			return fmt.Errorf("encoded character 0x%02X not allowed", c)
		}
	}
	return nil
}

// String returns the template as written.
func (t Template) String() string { return t.raw }

// Params returns the parameter names in order of appearance.
func (t Template) Params() []string {
	var out []string
	for _, s := range t.segs {
		if s.param != "" {
			out = append(out, s.param)
		}
	}
	return out
}

// Key returns a form shared by equivalent templates: literals decoded and escaped canonically, every parameter
// written "{}". "/items/{id}" and "/items/{name}" have the same key.
func (t Template) Key() string {
	var b strings.Builder
	for _, s := range t.segs {
		b.WriteByte('/')
		if s.param != "" {
			b.WriteString("{}")
			continue
		}
		b.WriteString(url.PathEscape(s.lit))
	}
	if b.Len() == 0 {
		return "/"
	}
	return b.String()
}

func isParamName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// isLiteralChar reports the characters allowed raw in a template literal: unreserved, sub-delims, ':' and '@'.
func isLiteralChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!$&'()*+,;=:@", c) >= 0
}
