package token

import (
	"strings"
	"testing"
)

func TestCheckMembers(t *testing.T) {
	tests := []struct {
		name string
		json string
		dup  string // the member named in the error; "" for none
	}{
		{"distinct members", `{"sub":"a","aud":["x","y"],"exp":1}`, ""},
		{"same name nested", `{"sub":"a","obj":{"sub":"b","sub":"c"},"arr":[{"sub":1},{"sub":2}]}`, ""},
		{"top-level twice", `{"sub":"a","aud":"x","sub":"b"}`, "sub"},
		{"twice after a nested object", `{"a":{"b":1,"c":[1,{"d":2}]},"e":3,"a":4}`, "a"},
		{"escaped name equal to another", `{"sub":"a","s\u0075b":"admin"}`, "sub"},
		{"escaped quote inside a value", `{"x":"a\",\"x\":\"b","y":1}`, ""},
		{"braces and commas inside strings", `{"x":"{,}","y":"[\"x\"]"}`, ""},
		{"whitespace around", " \n{ \"a\" : 1 , \"a\" : 2 } ", "a"},
		{"empty object", `{}`, ""},
		{"many members", `{` + strings.Repeat(`"k":1,`, 0) + manyMembers(40) + `}`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := checkMembers([]byte(tc.json))
			switch {
			case tc.dup == "" && err != nil:
				t.Fatalf("got %v, want nil", err)
			case tc.dup != "" && (err == nil || !strings.Contains(err.Error(), `"`+tc.dup+`" appears twice`)):
				t.Fatalf("got %v, want member %q twice", err, tc.dup)
			}
		})
	}
	for _, bad := range []string{`[1]`, ``, `"x"`, `{"a":"unterminated}`, `{"a":{"b":1}`} {
		if err := checkMembers([]byte(bad)); err == nil {
			t.Errorf("%q: got nil, want an error", bad)
		}
	}
}

func manyMembers(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = `"m` + strings.Repeat("x", i) + `":1`
	}
	return strings.Join(parts, ",")
}

func BenchmarkCheckMembers(b *testing.B) {
	raw := []byte(`{"iss":"portico","sub":"app-1","aud":["portico"],"exp":1893466800,"nbf":1893463200,` +
		`"iat":1893463200,"jti":"0123456789abcdef0123456789abcdef","client_id":"cl_0123","scope":"read write",` +
		`"env":"production","app":"app-1","use":"access","gid":"g-AAAAAAAAAAAAAAAAAAAAAA"}`)
	b.ReportAllocs()
	for b.Loop() {
		if err := checkMembers(raw); err != nil {
			b.Fatal(err)
		}
	}
}
