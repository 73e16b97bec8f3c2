package main

import (
	"io"
	"reflect"
	"strings"
	"testing"
)

func TestPermute(t *testing.T) {
	app := newApp(strings.NewReader(""), io.Discard, io.Discard)
	cases := []struct {
		name, in, want string
	}{
		{"already ordered", "-o json api list", "-o json api list"},
		{"global flag last", "api get greet 1.0 -o yaml", "-o yaml api get greet 1.0"},
		{"global flag with =", "api list --output=json", "--output=json api list"},
		{"local flag after argument", "app create web --description hi", "app create --description hi web"},
		{"bool flag takes no value", "node run --bootstrap --id n1", "node run --bootstrap --id n1"},
		{"flag value like a command", "key create --app api --api greet", "key create --app api --api greet"},
		{"double dash keeps the rest", "app create --description x -- -weird", "app create --description x -- -weird"},
		{"arguments before double dash", "api get a -- -b", "api get -- a -b"},
		{"unknown flag kept local", "api list --bogus x", "api list --bogus x"},
		{"unknown command", "apis list -o json", "-o json apis list"},
		{"help command", "help api", "help api"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := permute(app, append([]string{"portico"}, strings.Fields(c.in)...))
			if err != nil {
				t.Fatalf("permute(%q): %v", c.in, err)
			}
			want := append([]string{"portico"}, strings.Fields(c.want)...)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("permute(%q): got %q, want %q", c.in, got[1:], want[1:])
			}
		})
	}
	for _, in := range []string{"api list -o", "key create --app"} {
		if _, err := permute(app, append([]string{"portico"}, strings.Fields(in)...)); err == nil {
			t.Errorf("permute(%q): got no error, want flag needs an argument", in)
		}
	}
}
