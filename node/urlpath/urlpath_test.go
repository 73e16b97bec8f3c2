package urlpath

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		escaped string
		segs    []string
	}{
		{"empty", "", "/", nil},
		{"root", "/", "/", nil},
		{"simple", "/greet/v1/hello", "/greet/v1/hello", []string{"greet", "v1", "hello"}},
		{"trailing slash kept", "/items/", "/items/", []string{"items", ""}},
		{"parent resolved", "/pub/../admin", "/admin", []string{"admin"}},
		{"leading double slash", "//admin", "/admin", []string{"admin"}},
		{"slashes merged before dots", "/pub//..//admin", "/admin", []string{"admin"}},
		{"many slashes", "///a////b///", "/a/b/", []string{"a", "b", ""}},
		{"encoded dots resolved", "/pub/%2e%2e/admin", "/admin", []string{"admin"}},
		{"mixed encoded dots", "/pub/.%2E/admin", "/admin", []string{"admin"}},
		{"current dir", "/a/./b", "/a/b", []string{"a", "b"}},
		{"trailing dot keeps slash", "/a/b/.", "/a/b/", []string{"a", "b", ""}},
		{"trailing parent keeps slash", "/a/b/..", "/a/", []string{"a", ""}},
		{"parent above root", "/..", "/", nil},
		{"parents above root", "/../../a", "/a", []string{"a"}},
		{"only dots", "/./.././", "/", nil},
		{"double encoded stays literal", "/%252e%252e%252f", "/%252e%252e%252f", []string{"%2e%2e%2f"}},
		{"matrix param literal", "/admin;x=1", "/admin;x=1", []string{"admin;x=1"}},
		{"dot suffix literal", "/admin.", "/admin.", []string{"admin."}},
		{"dots inside segment", "/a..b/...", "/a..b/...", []string{"a..b", "..."}},
		{"unreserved decoded", "/%61%62%2D%7E", "/ab-~", []string{"ab-~"}},
		{"reserved kept encoded upper-cased", "/a%3bb%3F", "/a%3Bb%3F", []string{"a;b?"}},
		{"space encoded", "/a%20b", "/a%20b", []string{"a b"}},
		{"raw space escaped", "/a b", "/a%20b", []string{"a b"}},
		{"raw brace escaped", "/{x}", "/%7Bx%7D", []string{"{x}"}},
		{"utf-8 escapes kept", "/caf%C3%A9", "/caf%C3%A9", []string{"café"}},
		{"raw utf-8 escaped", "/café", "/caf%C3%A9", []string{"café"}},
		{"case kept", "/ADMIN/Items", "/ADMIN/Items", []string{"ADMIN", "Items"}},
		{"sub-delims and colon", "/a:b@c!$&'()*+,=", "/a:b@c!$&'()*+,=", []string{"a:b@c!$&'()*+,="}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Normalize(c.in)
			if err != nil {
				t.Fatalf("Normalize(%q): got error %v, want nil", c.in, err)
			}
			if p.Escaped != c.escaped {
				t.Errorf("Escaped: got %q, want %q", p.Escaped, c.escaped)
			}
			if len(p.Segments) != 0 || len(c.segs) != 0 {
				if !reflect.DeepEqual(p.Segments, c.segs) {
					t.Errorf("Segments: got %q, want %q", p.Segments, c.segs)
				}
			}
		})
	}
}

func TestNormalizeRefused(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"encoded slash", "/pub%2F..%2Fadmin", "encoded slash"},
		{"encoded slash lower", "/a%2fb", "encoded slash"},
		{"encoded backslash", "/a%5Cb", "encoded backslash"},
		{"encoded backslash lower", "/a%5cb", "encoded backslash"},
		{"raw backslash", `/a\..\admin`, "backslash"},
		{"fragment", "/app/admin#x", "fragment"},
		{"query mark", "/a?b", "query"},
		{"encoded NUL", "/a%00b", "NUL"},
		{"raw NUL", "/a\x00b", "NUL"},
		{"encoded newline", "/a%0Ab", "control"},
		{"raw tab", "/a\tb", "control"},
		{"encoded DEL", "/a%7F", "control"},
		{"C1 control", "/a%C2%85", "control"},
		{"overlong dot", "/%c0%ae%c0%ae/admin", "invalid UTF-8"},
		{"lone continuation byte", "/%80", "invalid UTF-8"},
		{"raw bad UTF-8", "/a\xffb", "invalid UTF-8"},
		{"bidi override", "/a%E2%80%AEb", "bidi"},
		{"bidi isolate", "/a%E2%81%A6b", "bidi"},
		{"truncated escape", "/a%2", "truncated"},
		{"lone percent", "/a%", "truncated"},
		{"invalid escape", "/a%zzb", "invalid percent escape"},
		{"dot-dot with params", "/x/..;/admin", "dot segment with parameters"},
		{"dot with params", "/x/.;a=b/admin", "dot segment with parameters"},
		{"encoded semicolon dot-dot", "/x/..%3B/admin", "dot segment with parameters"},
		{"absolute form", "http://10.0.0.1/x", "must start with"},
		{"asterisk", "*", "must start with"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Normalize(c.in)
			if err == nil {
				t.Fatalf("Normalize(%q): got %+v, want an error containing %q", c.in, p, c.want)
			}
			if !errors.Is(err, ErrBadPath) {
				t.Errorf("got error %v, want it to wrap ErrBadPath", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("got error %q, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestNormalizeFastPathAllocations(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := Normalize("/shop/orders/v1/items/42"); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 1 {
		t.Errorf("allocations per fast-path Normalize: got %v, want 1", allocs)
	}
}

func BenchmarkNormalize(b *testing.B) {
	for _, bc := range []struct{ name, in string }{
		{"fast", "/shop/orders/v1/items/42"},
		{"escaped", "/shop/orders/v1/items/caf%C3%A9/%2e%2e/42"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = Normalize(bc.in)
			}
		})
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"", "/", "/a/b/", "/pub/../admin", "//admin", "/pub//..//admin", "/pub%2F..%2Fadmin", "/%5C",
		"/%252e%252e%252f", "/admin;x=1", "/x/..;/admin", "/%00", "/%c0%ae", "/a%20b", "/café", "/%2e%2e/%2E",
		"/a/./b/../../c/", "/{id}/x", "/%41%7e%3b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p, err := Normalize(in)
		if err != nil {
			if !errors.Is(err, ErrBadPath) {
				t.Fatalf("Normalize(%q): error %v does not wrap ErrBadPath", in, err)
			}
			return
		}
		checkInvariants(t, in, p)
	})
}

// checkInvariants asserts what every normalised path must satisfy.
func checkInvariants(t *testing.T, in string, p Path) {
	t.Helper()
	e := p.Escaped
	if !strings.HasPrefix(e, "/") {
		t.Fatalf("Normalize(%q).Escaped = %q: does not start with /", in, e)
	}
	for _, bad := range []string{"/./", "/../", "//", "\x00", "\\", "#", "?"} {
		if strings.Contains(e, bad) {
			t.Fatalf("Normalize(%q).Escaped = %q: contains %q", in, e, bad)
		}
	}
	if strings.HasSuffix(e, "/.") || strings.HasSuffix(e, "/..") {
		t.Fatalf("Normalize(%q).Escaped = %q: ends in a dot segment", in, e)
	}
	again, err := Normalize(e)
	if err != nil {
		t.Fatalf("Normalize(%q) = %q, normalising it again: got error %v, want nil", in, e, err)
	}
	if again.Escaped != e || !reflect.DeepEqual(again.Segments, p.Segments) {
		t.Fatalf("Normalize(%q) = %+v, normalising it again: got %+v, want the same", in, p, again)
	}
	if e == "/" {
		if len(p.Segments) != 0 {
			t.Fatalf("Normalize(%q): Escaped / but Segments %q", in, p.Segments)
		}
		return
	}
	parts := strings.Split(e[1:], "/")
	if len(parts) != len(p.Segments) {
		t.Fatalf("Normalize(%q) = %+v: %d escaped segments, %d decoded", in, p, len(parts), len(p.Segments))
	}
	for i, part := range parts {
		d, err := url.PathUnescape(part)
		if err != nil || d != p.Segments[i] {
			t.Fatalf("Normalize(%q): segment %d: unescaping %q got %q (%v), want %q", in, i, part, d, err, p.Segments[i])
		}
		if part == "" && i != len(parts)-1 {
			t.Fatalf("Normalize(%q): empty segment %d in %q", in, i, e)
		}
	}
}
