package route

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseTemplate(t *testing.T) {
	cases := []struct {
		path   string
		key    string
		params []string
	}{
		{"/", "/", nil},
		{"/hello", "/hello", nil},
		{"/items/{id}", "/items/{}", []string{"id"}},
		{"/a/{x}/b/{Y_2}", "/a/{}/b/{}", []string{"x", "Y_2"}},
		{"/v1/things:batchGet", "/v1/things:batchGet", nil},
		{"/caf%C3%A9", "/caf%C3%A9", nil},
		{"/%7Euser", "/~user", nil},
		{"/a;b=c", "/a%3Bb=c", nil},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			tm, err := ParseTemplate(c.path)
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if got := tm.Key(); got != c.key {
				t.Errorf("Key: got %q, want %q", got, c.key)
			}
			if got := tm.Params(); !reflect.DeepEqual(got, c.params) {
				t.Errorf("Params: got %q, want %q", got, c.params)
			}
			if got := tm.String(); got != c.path {
				t.Errorf("String: got %q, want %q", got, c.path)
			}
		})
	}
}

func TestParseTemplateRefused(t *testing.T) {
	cases := []struct{ path, want string }{
		{"", "must start with"},
		{"items", "must start with"},
		{"/items/", "empty segment"},
		{"//items", "empty segment"},
		{"/a//b", "empty segment"},
		{"/items/{}", "whole segment"},
		{"/items/{1id}", "whole segment"},
		{"/items/{id-x}", "whole segment"},
		{"/files/{name}.json", "whole segment"},
		{"/files/x{name}", "whole segment"},
		{"/items/{id}/sub/{id}", "repeated"},
		{"/a b", "not allowed"},
		{"/a?b", "not allowed"},
		{"/a#b", "not allowed"},
		{"/a%2Fb", "not allowed"},
		{"/a%00", "not allowed"},
		{"/a%zz", "bad percent escape"},
		{"/a/../b", "dot segment"},
		{"/a/%2e", "dot segment"},
		{"/%ff", "invalid UTF-8"},
		{"/" + strings.Repeat("a/", MaxTemplateSegments) + "a", "segments"},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			_, err := ParseTemplate(c.path)
			if err == nil {
				t.Fatalf("got nil error, want one containing %q", c.want)
			}
			if !errors.Is(err, ErrBadTemplate) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got error %q, want ErrBadTemplate containing %q", err, c.want)
			}
		})
	}
}

func TestTemplateKeyEquivalence(t *testing.T) {
	cases := []struct {
		a, b string
		same bool
	}{
		{"/items/{id}", "/items/{name}", true},
		{"/items/%7Eid", "/items/~id", true},
		{"/items/{id}", "/items/id", false},
		{"/items/{id}", "/items/{id}/x", false},
	}
	for _, c := range cases {
		t.Run(c.a+" vs "+c.b, func(t *testing.T) {
			ta, errA := ParseTemplate(c.a)
			tb, errB := ParseTemplate(c.b)
			if errA != nil || errB != nil {
				t.Fatalf("parsing: got %v, %v, want nil", errA, errB)
			}
			if got := ta.Key() == tb.Key(); got != c.same {
				t.Errorf("same key: got %v (%q, %q), want %v", got, ta.Key(), tb.Key(), c.same)
			}
		})
	}
}
