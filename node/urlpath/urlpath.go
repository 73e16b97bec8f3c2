// Package urlpath normalises the path of every request before the gateway routes it. It sits at the very start of the
// request flow: the gateway matches routes on Path.Segments and forwards Path.Escaped upstream, so the routing decision
// (and any path-based policy) and the backend see the same path. Hostile forms (encoded slashes, NUL, overlong UTF-8,
// control and bidi characters) are refused rather than guessed at.
package urlpath

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrBadPath is wrapped by every error Normalize returns; the gateway answers it with 400.
var ErrBadPath = errors.New("bad request path")

// Path is a request path normalised once: the gateway matches on Segments and forwards Escaped, so the routing
// decision and the upstream see the same path.
type Path struct {
	// Escaped is the canonical escaped form; it always starts with "/". The empty path becomes "/".
	Escaped string
	// Segments are the decoded segments of Escaped, in order. There are no empty segments except a trailing "" when
	// the path ends in "/" after at least one segment; the root "/" has no segments.
	Segments []string
}

// Normalize takes the escaped request path (r.URL.EscapedPath() or the path part of RequestURI) and returns the
// normalised path, or an error wrapping ErrBadPath for: NUL (raw or %00), control characters (C0, DEL, C1), bidi
// formatting characters, invalid UTF-8 after decoding (including overlong forms such as %c0%ae), an encoded slash %2F,
// an encoded or raw backslash, a raw '#' or '?', invalid percent escapes, a path not starting with "/", and a dot
// segment carrying parameters ("..;x", which some servers read as ".."). "//" is merged first, then dot segments (also
// %2e-encoded) are resolved as in RFC 3986 remove_dot_segments; a path ending in a dot segment keeps a trailing "/".
// Percent-encodings of unreserved characters are decoded, other escapes are kept with upper-case hex ("%252e" stays
// the literal segment "%2e" and is forwarded as "%252e"), and bytes that may not appear raw in a path are escaped.
// Case is kept: matching is case-sensitive.
func Normalize(escaped string) (Path, error) {
	if escaped == "" || escaped == "/" {
		return Path{Escaped: "/"}, nil
	}
	if escaped[0] != '/' {
		return Path{}, fmt.Errorf("%w: must start with \"/\"", ErrBadPath)
	}
	if p, ok := fast(escaped); ok {
		return p, nil
	}
	return slow(escaped)
}

// fast handles the common path: only characters that stay as they are, no "//", no segment starting with '.'. It
// costs one scan plus the count of '/' and allocates only the Segments slice.
func fast(s string) (Path, bool) {
	segs := make([]string, 0, strings.Count(s, "/"))
	start := 1
	for i := 1; i <= len(s); i++ {
		if i < len(s) && s[i] != '/' {
			if !isLiteral(s[i]) {
				return Path{}, false
			}
			continue
		}
		seg := s[start:i]
		if seg == "" && i < len(s) || seg != "" && seg[0] == '.' {
			return Path{}, false
		}
		segs = append(segs, seg)
		start = i + 1
	}
	return Path{Escaped: s, Segments: segs}, true
}

// slow decodes and checks every segment, merges empty segments and resolves dot segments.
func slow(s string) (Path, error) {
	var esc, dec []string
	trailing := false
	for rest := s[1:]; ; {
		raw, more := rest, false
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			raw, rest, more = rest[:i], rest[i+1:], true
		}
		e, d, err := segment(raw)
		if err != nil {
			return Path{}, err
		}
		switch {
		case d == "":
			trailing = !more
		case d == ".":
			trailing = true
		case d == "..":
			trailing = true
			if n := len(dec); n > 0 {
				esc, dec = esc[:n-1], dec[:n-1]
			}
		default:
			esc, dec = append(esc, e), append(dec, d)
			trailing = false
		}
		if !more {
			break
		}
	}
	return assemble(esc, dec, trailing), nil
}

// assemble joins the kept segments into a Path.
func assemble(esc, dec []string, trailing bool) Path {
	if len(dec) == 0 {
		return Path{Escaped: "/"}
	}
	var b strings.Builder
	for _, e := range esc {
		b.WriteByte('/')
		b.WriteString(e)
	}
	if trailing {
		b.WriteByte('/')
		dec = append(dec, "")
	}
	return Path{Escaped: b.String(), Segments: dec}
}

// segment returns the canonical escaped form and the decoded form of one raw segment.
func segment(raw string) (esc, dec string, err error) {
	var e, d strings.Builder
	e.Grow(len(raw))
	d.Grow(len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '%' {
			v, err := unescape(raw, i)
			if err != nil {
				return "", "", err
			}
			i += 2
			writeDecoded(&e, &d, v, true)
			continue
		}
		if err := checkRaw(c); err != nil {
			return "", "", err
		}
		writeDecoded(&e, &d, c, false)
	}
	dec = d.String()
	if err := checkDecoded(dec); err != nil {
		return "", "", err
	}
	return e.String(), dec, nil
}

// writeDecoded appends byte c to the decoded form and its canonical escaping to the escaped form. A byte that came
// from an escape stays escaped unless it is unreserved; a raw byte stays raw if it may appear raw in a path.
func writeDecoded(e, d *strings.Builder, c byte, wasEscaped bool) {
	d.WriteByte(c)
	if isUnreserved(c) || !wasEscaped && isLiteral(c) {
		e.WriteByte(c)
		return
	}
	const hex = "0123456789ABCDEF"
	e.WriteByte('%')
	e.WriteByte(hex[c>>4])
	e.WriteByte(hex[c&15])
}

// unescape decodes the escape at raw[i] ('%') and refuses what must never be decoded.
func unescape(raw string, i int) (byte, error) {
	if i+2 >= len(raw) {
		return 0, fmt.Errorf("%w: truncated percent escape", ErrBadPath)
	}
	hi, ok1 := unhex(raw[i+1])
	lo, ok2 := unhex(raw[i+2])
	if !ok1 || !ok2 {
		return 0, fmt.Errorf("%w: invalid percent escape %q", ErrBadPath, raw[i:i+3])
	}
	v := hi<<4 | lo
	switch {
	case v == '/':
		return 0, fmt.Errorf("%w: encoded slash %%2F", ErrBadPath)
	case v == '\\':
		return 0, fmt.Errorf("%w: encoded backslash %%5C", ErrBadPath)
	case v == 0:
		return 0, fmt.Errorf("%w: NUL byte %%00", ErrBadPath)
	case v < 0x20 || v == 0x7f:
		return 0, fmt.Errorf("%w: encoded control character %%%02X", ErrBadPath, v)
	}
	return v, nil
}

// checkRaw refuses raw bytes that may not appear in a request path.
func checkRaw(c byte) error {
	switch {
	case c == 0:
		return fmt.Errorf("%w: NUL byte", ErrBadPath)
	case c < 0x20 || c == 0x7f:
		return fmt.Errorf("%w: control character 0x%02X", ErrBadPath, c)
	case c == '\\':
		return fmt.Errorf("%w: backslash", ErrBadPath)
	case c == '#':
		return fmt.Errorf("%w: fragment '#' in request path", ErrBadPath)
	case c == '?':
		return fmt.Errorf("%w: query '?' in path", ErrBadPath)
	}
	return nil
}

// checkDecoded refuses decoded segments that are not clean UTF-8 text, and dot segments carrying parameters.
func checkDecoded(d string) error {
	if dot, _, ok := strings.Cut(d, ";"); ok && (dot == "." || dot == "..") {
		return fmt.Errorf("%w: dot segment with parameters %q", ErrBadPath, d)
	}
	if !hasNonASCII(d) {
		return nil
	}
	if !utf8.ValidString(d) {
		return fmt.Errorf("%w: invalid UTF-8", ErrBadPath)
	}
	for _, r := range d {
		if r >= 0x80 && r <= 0x9f {
			return fmt.Errorf("%w: control character U+%04X", ErrBadPath, r)
		}
		if isBidi(r) {
			return fmt.Errorf("%w: bidi formatting character U+%04X", ErrBadPath, r)
		}
	}
	return nil
}

func hasNonASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// isBidi reports the Unicode bidirectional formatting characters (Trojan Source).
func isBidi(r rune) bool {
	return r == 0x061C || r == 0x200E || r == 0x200F || r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// isUnreserved reports RFC 3986 unreserved characters: ALPHA / DIGIT / "-" / "." / "_" / "~".
func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// isLiteral reports the characters that stay raw in a canonical path segment: unreserved, sub-delims, ':' and '@'.
func isLiteral(c byte) bool {
	if isUnreserved(c) {
		return true
	}
	switch c {
	case '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=', ':', '@':
		return true
	}
	return false
}
