package bearer

import (
	"strings"
	"testing"
)

// refToken is the straightforward reading of the Authorization header that Token must match: split the scheme at
// the first space, compare it with strings.EqualFold, trim the spaces before the token and check it byte by byte.
func refToken(v string, count int) (string, Presence) {
	switch {
	case count > 1:
		return "", Several
	case count == 0 || v == "":
		return "", None
	}
	scheme, rest, found := strings.Cut(v, " ")
	if !strings.EqualFold(scheme, "bearer") {
		return "", None
	}
	token := strings.TrimLeft(rest, " ")
	if !found || !refB64Token(token) {
		return "", Malformed
	}
	return token, Found
}

func refB64Token(s string) bool {
	if len(s) > MaxTokenLen {
		return true
	}
	s = strings.TrimRight(s, "=")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			strings.IndexByte("-._~+/", c) >= 0) {
			return false
		}
	}
	return true
}

// refHasScope is the straightforward word-by-word reading of a scope list that HasScope must match.
func refHasScope(granted, scope string) bool {
	for granted != "" {
		var w string
		w, granted, _ = strings.Cut(granted, " ")
		if w == scope {
			return true
		}
	}
	return false
}

// jwt is a token with the shape of a signed JWT, n bytes long.
func jwt(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[(i*7+3)%len(alphabet)]
	}
	if n > 40 {
		b[20], b[n-20] = '.', '.'
	}
	return string(b)
}

func TestToken(t *testing.T) {
	long := jwt(300)
	tests := []struct {
		name      string
		value     string
		count     int
		wantToken string
		want      Presence
	}{
		{"absent", "", 0, "", None},
		{"empty", "", 1, "", None},
		{"several", "Bearer " + long, 2, "", Several},
		{"basic scheme", "Basic YWxpY2U6c2VjcmV0", 1, "", None},
		{"short other value", "abc", 1, "", None},
		{"scheme only", "Bearer", 1, "", Malformed},
		{"scheme and a space", "Bearer ", 1, "", Malformed},
		{"scheme and spaces", "Bearer    ", 1, "", Malformed},
		{"longer scheme", "Bearerx", 1, "", None},
		{"longer scheme and token", "Bearers " + long, 1, "", None},
		{"tab after the scheme", "Bearer\t" + long, 1, "", None},
		{"one-byte token", "Bearer a", 1, "a", Found},
		{"padded short token", "Bearer abc==", 1, "abc==", Found},
		{"padding only", "Bearer ==", 1, "", Malformed},
		{"padding first", "Bearer =abc", 1, "", Malformed},
		{"JWT", "Bearer " + long, 1, long, Found},
		{"scheme in lower case, several spaces", "bearer   " + long, 1, long, Found},
		{"scheme in upper case", "BEARER " + long, 1, long, Found},
		{"scheme in mixed case", "bEaReR " + jwt(64), 1, jwt(64), Found},
		{"every b64token byte", "Bearer AZaz09-._~+/", 1, "AZaz09-._~+/", Found},
		{"space inside the token", "Bearer " + long + " x", 1, "", Malformed},
		{"comma inside the token", "Bearer a,b", 1, "", Malformed},
		{"non-ASCII in a JWT", "Bearer " + long[:200] + "é" + long[200:], 1, "", Malformed},
		{"bad last byte of a JWT", "Bearer " + long + "!", 1, "", Malformed},
		{"bad first byte of a JWT", "Bearer !" + long, 1, "", Malformed},
		{"padded JWT", "Bearer " + long + "=", 1, long + "=", Found},
		{"token at the size limit", "Bearer " + jwt(MaxTokenLen), 1, jwt(MaxTokenLen), Found},
		{"token over the size limit, unchecked", "Bearer " + strings.Repeat("!", MaxTokenLen+1), 1,
			strings.Repeat("!", MaxTokenLen+1), Found},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token, p := Token([]byte(tt.value), tt.count)
			if string(token) != tt.wantToken || p != tt.want {
				t.Errorf("got (%.20q, %d), want (%.20q, %d)", token, p, tt.wantToken, tt.want)
			}
			if refTok, refP := refToken(tt.value, tt.count); refTok != tt.wantToken || refP != tt.want {
				t.Errorf("reference: got (%.20q, %d), want (%.20q, %d)", refTok, refP, tt.wantToken, tt.want)
			}
		})
	}
}

// TestTokenEveryByte puts each byte value at each position class of tokens around the block sizes.
func TestTokenEveryByte(t *testing.T) {
	for _, n := range []int{1, 7, 8, 63, 64, 65, 127, 128, 129, 255, 256, 300} {
		for _, pos := range []int{0, n / 2, n - 1} {
			for c := range 256 {
				b := []byte("Bearer " + jwt(n))
				b[len("Bearer ")+pos] = byte(c)
				checkToken(t, b, 1)
			}
		}
	}
}

func checkToken(t *testing.T, v []byte, count int) {
	t.Helper()
	token, p := Token(v, count)
	wantToken, want := refToken(string(v), count)
	if string(token) != wantToken || p != want {
		t.Fatalf("value %q: got (%q, %d), want (%q, %d)", v, token, p, wantToken, want)
	}
}

func FuzzToken(f *testing.F) {
	for _, v := range []string{"", "Bearer", "Bearer ", "bearer  abc==", "Basic x", "Bearer a b", "BEARER " + jwt(130),
		"Bearer " + jwt(64) + "=", "Bearer " + jwt(200)} {
		f.Add([]byte(v), 1)
	}
	f.Fuzz(func(t *testing.T, v []byte, count int) {
		if count < 0 || count > 3 || count == 0 && len(v) > 0 {
			return // the SDK reports no value only for an absent header
		}
		checkToken(t, v, count)
	})
}

func TestHasScope(t *testing.T) {
	tests := []struct {
		granted, scope string
		want           bool
	}{
		{"", "items:read", false},
		{"items:read", "items:read", true},
		{"openid items:read items:write", "items:read", true},
		{"openid items:read items:write", "items:write", true},
		{"openid items:read items:write", "openid", true},
		{"openid items:read items:write", "items", false},
		{"items:readonly xitems:read items:rea", "items:read", false},
		{"a b  c ", "c", true},
		{" a", "a", true},
		{"a", "b", false},
		{"ab", "a", false},
		{"ab", "b", false},
		{"items:read", "", false},
		{"a b", "a b", false},
		{"0123456789abcdef 0123456789abcdeX", "0123456789abcdeX", true},
		{"0123456789abcdef 0123456789abcdefg", "0123456789abcdefg", true}, // a scope over 16 bytes
		{strings.Repeat("x", 60) + " a1234567", "a1234567", true},         // a list over 64 bytes
		{strings.Repeat("x ", 40), "x", true},
		{strings.Repeat("y", 63) + " ", "y", false},
		{strings.Repeat("y", 62) + " z", "z", true},
		{strings.Repeat("y", 64), strings.Repeat("y", 64), true},
	}
	for _, tt := range tests {
		t.Run(tt.granted+"/"+tt.scope, func(t *testing.T) {
			if got := HasScope([]byte(tt.granted), tt.scope); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if tt.scope != "" {
				if got := refHasScope(tt.granted, tt.scope); got != tt.want {
					t.Errorf("reference: got %v, want %v", got, tt.want)
				}
			}
		})
	}
}

// TestHasScopeInScratch checks that bytes after granted, as in the SDK's read buffer, do not count.
func TestHasScopeInScratch(t *testing.T) {
	buf := []byte("openid items:read items:write")
	for _, n := range []int{len("openid items:r"), len("openid items:read items:w")} {
		granted := buf[:n]
		for _, scope := range []string{"items:read", "items:write"} {
			if got, want := HasScope(granted, scope), refHasScope(string(granted), scope); got != want {
				t.Errorf("HasScope(%q, %q): got %v, want %v", granted, scope, got, want)
			}
		}
	}
}

func FuzzHasScope(f *testing.F) {
	f.Add([]byte("openid items:read items:write"), "items:read")
	f.Add([]byte("items:readonly xitems:read items:rea"), "items:read")
	f.Add([]byte(" a  b "), "b")
	f.Fuzz(func(t *testing.T, granted []byte, scope string) {
		if scope == "" {
			return
		}
		if got, want := HasScope(granted, scope), refHasScope(string(granted), scope); got != want {
			t.Errorf("HasScope(%q, %q): got %v, want %v", granted, scope, got, want)
		}
	})
}

func BenchmarkToken(b *testing.B) {
	v := []byte("Bearer " + jwt(330))
	for b.Loop() {
		if _, p := Token(v, 1); p != Found {
			b.Fatalf("got %d, want Found", p)
		}
	}
}

func BenchmarkHasScope(b *testing.B) {
	granted := []byte("openid items:read items:write")
	for b.Loop() {
		if !HasScope(granted, "items:write") {
			b.Fatal("got false, want true")
		}
	}
}
