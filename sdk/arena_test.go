package sdk

import (
	"bytes"
	"strings"
	"testing"
)

func TestArenaString(t *testing.T) {
	var a arena
	var got, want []string
	buf := make([]byte, arenaChunk)
	for i := range 3 * arenaChunk / 100 { // several blocks, values straddling block ends
		n := i % 150
		copy(buf, bytes.Repeat([]byte{byte('a' + i%26)}, n))
		got = append(got, a.string(buf[:n]))
		want = append(want, strings.Repeat(string(rune('a'+i%26)), n))
		clear(buf) // the strings must not share the caller's bytes
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("string %d: got %q, want %q", i, got[i], want[i])
		}
	}
}

func TestArenaLongValues(t *testing.T) {
	var a arena
	small := a.string([]byte("x"))
	long := bytes.Repeat([]byte("l"), arenaChunk/4+1)
	if got := a.string(long); got != string(long) {
		t.Errorf("long value: got %d bytes, want %d", len(got), len(long))
	}
	if got, want := len(a.free), arenaChunk-1; got != want {
		t.Errorf("free bytes after a long value: got %d, want %d (long values get their own allocation)", got, want)
	}
	if small != "x" {
		t.Errorf("earlier string: got %q, want %q", small, "x")
	}
	if got := a.string(nil); got != "" {
		t.Errorf("empty value: got %q, want empty", got)
	}
}

func BenchmarkArenaString(b *testing.B) {
	var a arena
	v := []byte("application/json")
	b.ReportAllocs()
	for b.Loop() {
		_ = a.string(v)
	}
}
