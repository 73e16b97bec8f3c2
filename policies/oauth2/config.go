//go:build wasip1

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// maxScopes bounds the number of scopes an operation may require.
const maxScopes = 64

// config is the policy's JSON config: {"scopes": ["items:read"]}, the scopes the operation requires. Every field is
// optional; without scopes any valid token passes.
type config struct {
	Scopes []string `json:"scopes"`
}

// parseConfig decodes and checks the config; empty means no required scope. Unknown fields are refused so that a
// typo does not silently drop a scope requirement.
func parseConfig(b []byte) (config, error) {
	var cfg config
	if len(bytes.TrimSpace(b)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cfg); err != nil {
			return config{}, fmt.Errorf("decoding oauth2 config: %w", err)
		}
		if _, err := dec.Token(); err != io.EOF {
			return config{}, errors.New("decoding oauth2 config: data after the JSON object")
		}
	}
	if len(cfg.Scopes) > maxScopes {
		return config{}, fmt.Errorf("oauth2 config: %d scopes, want at most %d", len(cfg.Scopes), maxScopes)
	}
	for _, s := range cfg.Scopes {
		if !isScopeToken(s) {
			return config{}, fmt.Errorf("oauth2 config: scope %q is not a valid scope token", s)
		}
	}
	return cfg, nil
}

// isScopeToken reports whether s is a scope token of RFC 6749 section 3.3: one or more of %x21 / %x23-5B / %x5D-7E
// (printable ASCII without space, '"' and '\'), so it can be quoted in a WWW-Authenticate challenge as it is.
func isScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
