package abi

import "strings"

// EncodeRecord encodes key/value pairs as NUL-terminated "key=value" entries, in the given order.
func EncodeRecord(kv ...string) []byte {
	n := 0
	for _, s := range kv {
		n += len(s) + 1
	}
	b := make([]byte, 0, n)
	for i := 0; i+1 < len(kv); i += 2 {
		b = append(b, kv[i]...)
		b = append(b, '=')
		b = append(b, kv[i+1]...)
		b = append(b, 0)
	}
	return b
}

// DecodeRecord parses a record written by EncodeRecord. Entries without '=' are ignored.
func DecodeRecord(b []byte) map[string]string {
	m := make(map[string]string, 8)
	for _, e := range strings.Split(string(b), "\x00") {
		if k, v, ok := strings.Cut(e, "="); ok {
			m[k] = v
		}
	}
	return m
}

// SplitNUL splits a NUL-terminated multi-value result into its values.
func SplitNUL(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	s := strings.TrimSuffix(string(b), "\x00")
	return strings.Split(s, "\x00")
}
