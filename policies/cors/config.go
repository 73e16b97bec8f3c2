//go:build wasip1

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// config is the policy's JSON config, the API file's cors block:
// {"origins": [...], "methods": [...], "headers": [...], "credentials": bool, "maxAge": seconds}.
type config struct {
	Origins     []string `json:"origins"`
	Methods     []string `json:"methods"`
	Headers     []string `json:"headers"`
	Credentials bool     `json:"credentials"`
	MaxAge      int      `json:"maxAge"`
}

// defaultMethods are the methods allowed when the config lists none.
var defaultMethods = []string{"GET", "HEAD", "POST"}

// policy is the checked config with the preflight header values built once.
type policy struct {
	anyOrigin    bool     // origins holds "*"
	origins      []string // allowed origins, lower-cased
	methods      []string // allowed methods, as configured (methods are case-sensitive)
	headers      []string // allowed request headers, lower-cased
	credentials  bool
	allowMethods string // Access-Control-Allow-Methods
	allowHeaders string // Access-Control-Allow-Headers, "" when no header is allowed
	maxAge       string // Access-Control-Max-Age, "" when not positive
}

// parseConfig decodes and checks the config. Unknown fields are refused so that a typo does not silently open or
// close an API to browsers.
func parseConfig(b []byte) (*policy, error) {
	var cfg config
	if err := decode(b, &cfg); err != nil {
		return nil, err
	}
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("cors config: %w", err)
	}
	p := &policy{credentials: cfg.Credentials, methods: cfg.Methods}
	for _, o := range cfg.Origins {
		p.anyOrigin = p.anyOrigin || o == "*"
		p.origins = append(p.origins, strings.ToLower(o))
	}
	if len(p.methods) == 0 {
		p.methods = defaultMethods
	}
	for _, h := range cfg.Headers {
		p.headers = append(p.headers, strings.ToLower(h))
	}
	p.allowMethods = strings.Join(p.methods, ", ")
	p.allowHeaders = strings.Join(p.headers, ", ")
	if cfg.MaxAge > 0 {
		p.maxAge = strconv.Itoa(cfg.MaxAge)
	}
	return p, nil
}

func decode(b []byte, cfg *config) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return errors.New("cors config: required, with at least one origin")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(cfg); err != nil {
		return fmt.Errorf("decoding cors config: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("decoding cors config: data after the JSON object")
	}
	return nil
}

// check validates the fields.
func (c *config) check() error {
	if len(c.Origins) == 0 {
		return errors.New("origins: required, at least one origin or \"*\"")
	}
	for _, o := range c.Origins {
		if o == "" || !isFieldValue(o) {
			return fmt.Errorf("origins: %q is not an origin", o)
		}
	}
	for _, m := range c.Methods {
		if !isToken(m) {
			return fmt.Errorf("methods: %q is not a method", m)
		}
	}
	for _, h := range c.Headers {
		if !isToken(h) {
			return fmt.Errorf("headers: %q is not a header name", h)
		}
	}
	if c.MaxAge < 0 {
		return fmt.Errorf("maxAge: %d is negative", c.MaxAge)
	}
	if slices.Contains(c.Origins, "*") && len(c.Origins) > 1 {
		return errors.New(`origins: "*" must be the only origin`)
	}
	return nil
}

// isToken reports whether s is a non-empty HTTP token (RFC 9110 section 5.6.2).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !alnum && !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}

// isFieldValue reports whether s can be sent as a header value: visible ASCII only.
func isFieldValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}
