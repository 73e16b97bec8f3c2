package sdk

import (
	"slices"
	"testing"
)

func TestAppendValues(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", nil},
		{"one", "a\x00", []string{"a"}},
		{"two", "api-key\x00host\x00", []string{"api-key", "host"}},
		{"empty value", "\x00", []string{""}},
		{"empty middle value", "a\x00\x00b\x00", []string{"a", "", "b"}},
		{"no terminator", "a\x00b", []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := appendValues(nil, []byte(tt.in))
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFirstValue(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"\x00", ""},
		{"a\x00", "a"},
		{"abc\x00def\x00", "abc"},
		{"abc", "abc"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := string(firstValue([]byte(tt.in))); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSplitResults(t *testing.T) {
	count, size := splitCountLen(3<<32 | 17)
	if count != 3 || size != 17 {
		t.Errorf("splitCountLen: got (%d, %d), want (3, 17)", count, size)
	}
	eof, n := splitEOFLen(1<<32 | 5)
	if !eof || n != 5 {
		t.Errorf("splitEOFLen(eof): got (%v, %d), want (true, 5)", eof, n)
	}
	eof, n = splitEOFLen(2048)
	if eof || n != 2048 {
		t.Errorf("splitEOFLen: got (%v, %d), want (false, 2048)", eof, n)
	}
}
