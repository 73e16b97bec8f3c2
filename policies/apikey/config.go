//go:build wasip1

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// defaultHeader is the header that carries the key when the config names none.
const defaultHeader = "api-key"

// config is the policy's JSON config: {"header": "api-key"}. Every field is optional.
type config struct {
	Header string `json:"header"`
}

// parseConfig decodes and checks the config; empty means the defaults. Unknown fields are refused so that a typo
// does not silently fall back to the default header.
func parseConfig(b []byte) (config, error) {
	cfg := config{Header: defaultHeader}
	if len(bytes.TrimSpace(b)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cfg); err != nil {
			return config{}, fmt.Errorf("decoding apikey config: %w", err)
		}
		if _, err := dec.Token(); err != io.EOF {
			return config{}, errors.New("decoding apikey config: data after the JSON object")
		}
	}
	if !isToken(cfg.Header) {
		return config{}, fmt.Errorf("apikey config: header %q is not a valid header name", cfg.Header)
	}
	cfg.Header = strings.ToLower(cfg.Header)
	return cfg, nil
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
