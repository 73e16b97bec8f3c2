//go:build wasip1

package main

import (
	"slices"
	"strconv"
	"strings"
)

// maxQuoted bounds how much of a refused value a refusal message repeats.
const maxQuoted = 128

// allowsOrigin reports whether requests from origin may read responses. Origins compare without regard to case
// (schemes and host names are case-insensitive; browsers send them lower-cased).
func (p *policy) allowsOrigin(origin string) bool {
	if p.anyOrigin {
		return true
	}
	if slices.Contains(p.origins, origin) {
		return true
	}
	lower := strings.ToLower(origin)
	return lower != origin && slices.Contains(p.origins, lower)
}

// allowOrigin is the Access-Control-Allow-Origin value for an allowed origin: "*" when any origin is allowed without
// credentials, else the origin itself (credentialed responses must name it).
func (p *policy) allowOrigin(origin string) string {
	if p.anyOrigin && !p.credentials {
		return "*"
	}
	return origin
}

// refusal returns why a preflight is refused, "" when origin, method and every requested header are allowed.
// requested are the values of Access-Control-Request-Headers, comma-separated lists of header names.
func (p *policy) refusal(origin, method string, requested []string) string {
	if !p.allowsOrigin(origin) {
		return "origin " + quote(origin) + " is not allowed"
	}
	if !slices.Contains(p.methods, method) {
		return "method " + quote(method) + " is not allowed"
	}
	for _, list := range requested {
		for list != "" {
			var name string
			name, list, _ = strings.Cut(list, ",")
			name = strings.ToLower(strings.Trim(name, " \t"))
			if name != "" && !slices.Contains(p.headers, name) {
				return "header " + quote(name) + " is not allowed"
			}
		}
	}
	return ""
}

// varies reports whether the Vary values already name header (or "*").
func varies(values []string, header string) bool {
	for _, list := range values {
		for list != "" {
			var name string
			name, list, _ = strings.Cut(list, ",")
			name = strings.Trim(name, " \t")
			if name == "*" || strings.EqualFold(name, header) {
				return true
			}
		}
	}
	return false
}

// quote quotes a request value for a refusal message, cut to maxQuoted bytes.
func quote(s string) string {
	if len(s) > maxQuoted {
		return strconv.Quote(s[:maxQuoted]) + "..."
	}
	return strconv.Quote(s)
}
