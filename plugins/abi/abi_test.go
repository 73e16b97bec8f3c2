package abi

import (
	"reflect"
	"testing"
)

func TestParseAPIKey(t *testing.T) {
	cases := []struct {
		name, key, wantID string
		wantOK            bool
	}{
		{"well formed", FormatAPIKey("0123456789abcdef", "c2VjcmV0"), "0123456789abcdef", true},
		{"secret with separators", "pk_0123456789abcdef_a_b-c", "0123456789abcdef", true},
		{"no secret", "pk_0123456789abcdef_", "", false},
		{"uppercase id", "pk_0123456789ABCDEF_x", "", false},
		{"short id", "pk_0123456789abcde_x", "", false},
		{"wrong prefix", "pt_0123456789abcdef_x", "", false},
		{"missing separator", "pk_0123456789abcdefx", "", false},
		{"empty", "", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id, ok := ParseAPIKey(c.key)
			if id != c.wantID || ok != c.wantOK {
				t.Fatalf("ParseAPIKey(%q): got %q %v, want %q %v", c.key, id, ok, c.wantID, c.wantOK)
			}
		})
	}
}

func TestRecordRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		kv   []string
		want map[string]string
	}{
		{"empty", nil, map[string]string{}},
		{"pairs", []string{RecApp, "a1", RecEnv, "sandbox"}, map[string]string{RecApp: "a1", RecEnv: "sandbox"}},
		{"value with equals", []string{"k", "a=b"}, map[string]string{"k": "a=b"}},
		{"empty value", []string{RecPlan, ""}, map[string]string{RecPlan: ""}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := DecodeRecord(EncodeRecord(c.kv...)); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestSplitNUL(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"a\x00", []string{"a"}},
		{"a\x00b\x00", []string{"a", "b"}},
		{"a\x00\x00", []string{"a", ""}},
	}
	for _, c := range cases {
		if got := SplitNUL([]byte(c.in)); !reflect.DeepEqual(got, c.want) {
			t.Errorf("SplitNUL(%q): got %q, want %q", c.in, got, c.want)
		}
	}
}

// TestAuthProperties checks that the auth properties are distinct keys that set_property accepts (under
// PropAuthPrefix).
func TestAuthProperties(t *testing.T) {
	keys := []string{PropAuthApp, PropAuthEnv, PropAuthKeyID, PropAuthSubscription, PropAuthPlan, PropAuthSubject,
		PropAuthScope, PropAuthClient, PropAuthToken, PropAuthIssuer}
	seen := map[string]bool{}
	for _, k := range keys {
		if len(k) <= len(PropAuthPrefix) || k[:len(PropAuthPrefix)] != PropAuthPrefix {
			t.Errorf("%q: got a key outside %q, want one under it", k, PropAuthPrefix)
		}
		if seen[k] {
			t.Errorf("%q: got it twice, want distinct keys", k)
		}
		seen[k] = true
	}
}
