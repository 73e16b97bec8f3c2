package sdk

import (
	"testing"

	"portico/plugins/abi"
)

func TestDecodeCredential(t *testing.T) {
	tests := []struct {
		name string
		rec  []byte
		want Credential
	}{
		{"empty", nil, Credential{}},
		{
			name: "full",
			rec: abi.EncodeRecord(abi.RecApp, "app1", abi.RecEnv, "sandbox", abi.RecAPI, "greet", abi.RecMajor, "2",
				abi.RecSubscribed, "true", abi.RecSubStatus, "active", abi.RecSubscription, "sub9", abi.RecPlan, "Gold"),
			want: Credential{App: "app1", Env: "sandbox", API: "greet", Major: "2", Subscribed: true,
				SubStatus: "active", Subscription: "sub9", Plan: "Gold"},
		},
		{
			name: "not subscribed",
			rec:  abi.EncodeRecord(abi.RecApp, "a", abi.RecSubscribed, "false"),
			want: Credential{App: "a"},
		},
		{
			name: "subscribed is only the literal true",
			rec:  abi.EncodeRecord(abi.RecSubscribed, "TRUE"),
			want: Credential{},
		},
		{
			name: "unknown fields and entries without '=' are ignored",
			rec:  []byte("x=1\x00junk\x00app=a=b\x00"),
			want: Credential{App: "a=b"},
		},
		{
			name: "'=' and bytes next to NUL or '=' in values",
			rec:  []byte("app=a=b<\x00env=<\x01\x00plan=\x01=\x00"),
			want: Credential{App: "a=b<", Env: "<\x01", Plan: "\x01="},
		},
		{
			name: "last entry without NUL",
			rec:  []byte("api=greet\x00major=12"),
			want: Credential{API: "greet", Major: "12"},
		},
		{
			name: "entries across eight-byte words",
			rec:  []byte("subscription=0123456789abcdef0123\x00app=x\x00plan=y"),
			want: Credential{Subscription: "0123456789abcdef0123", App: "x", Plan: "y"},
		},
		{
			name: "empty key and empty value",
			rec:  []byte("=x\x00app=\x00"),
			want: Credential{},
		},
		{
			name: "last repeated field wins",
			rec:  abi.EncodeRecord(abi.RecPlan, "Bronze", abi.RecPlan, "Silver"),
			want: Credential{Plan: "Silver"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := decodeCredential(tt.rec); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// credentialFromMap builds a Credential from abi.DecodeRecord's map, the reference decoding.
func credentialFromMap(m map[string]string) Credential {
	return Credential{
		App: m[abi.RecApp], Env: m[abi.RecEnv], API: m[abi.RecAPI], Major: m[abi.RecMajor],
		Subscribed: m[abi.RecSubscribed] == "true", SubStatus: m[abi.RecSubStatus],
		Subscription: m[abi.RecSubscription], Plan: m[abi.RecPlan],
	}
}

func FuzzDecodeCredential(f *testing.F) {
	f.Add(abi.EncodeRecord(abi.RecApp, "a", abi.RecSubscribed, "true", abi.RecPlan, "p"))
	f.Add([]byte("app=\x00=x\x00\x00plan"))
	f.Fuzz(func(t *testing.T, rec []byte) {
		got, want := decodeCredential(rec), credentialFromMap(abi.DecodeRecord(rec))
		if got != want {
			t.Errorf("record %q: got %+v, want %+v", rec, got, want)
		}
	})
}

func BenchmarkDecodeCredential(b *testing.B) {
	rec := abi.EncodeRecord(abi.RecApp, "app1", abi.RecEnv, "production", abi.RecAPI, "greet", abi.RecMajor, "1",
		abi.RecSubscribed, "true", abi.RecSubStatus, "active", abi.RecSubscription, "sub1", abi.RecPlan, "Gold")
	b.ReportAllocs()
	for b.Loop() {
		decodeCredential(rec)
	}
}
