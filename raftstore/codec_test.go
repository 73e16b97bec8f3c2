package raftstore

import (
	"bytes"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"testing"

	"portico/raftstore/state"
)

func TestCommandTypesMatchDispatch(t *testing.T) {
	got, want := slices.Sorted(maps.Keys(commandTypes)), slices.Sorted(maps.Keys(commands))
	if !slices.Equal(got, want) {
		t.Errorf("got decodable kinds %v, want the dispatch table's %v", got, want)
	}
}

func TestEncodeDecodeCommand(t *testing.T) {
	cmds := []Command{
		PutAPI{API: testAPI(t, func(a *state.API) {
			a.Visibility, a.ScopeRoles = state.VisibilityPrivate, map[string][]string{"w": {state.RoleAdmin}}
			a.OAuth2 = &state.OAuth2Settings{Issuers: []state.ExternalIssuer{{Issuer: "i", JWKSURL: "https://i/jwks"}}}
		})},
		*testKey("k1", "app1", testSub("s1", "app1")),
		*lifecycleTo(state.Blocked),
		*setCred("app1", nil),
		RevokeTokens{Tokens: []RevokedToken{{"a", 10}}, Now: 5},
		AddSigningKey{Key: testSigningKey(t, testKID(1), 1000)},
		*regen("k1", "k2", 9),
		DeleteUser{Name: "alice"},
	}
	for _, cmd := range cmds {
		t.Run(cmd.Kind(), func(t *testing.T) {
			kind, payload, err := EncodeCommand(cmd)
			if err != nil || kind != cmd.Kind() {
				t.Fatalf("got %q %v, want kind %q", kind, err, cmd.Kind())
			}
			back, err := DecodeCommand(kind, payload)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			again, err := json.Marshal(back)
			if reflect.TypeOf(back) != reflect.TypeOf(cmd) || err != nil || !bytes.Equal(again, payload) {
				t.Errorf("got %T %s, want %T %s", back, again, cmd, payload)
			}
			// A decoded command is accepted by the log as is.
			if _, err := encodeEntry("r1", back); err != nil {
				t.Errorf("got %v encoding the decoded command, want nil", err)
			}
		})
	}
}

func TestEncodeCommandAcceptsPointers(t *testing.T) {
	kind, payload, err := EncodeCommand(&DeleteKey{ID: "k1"})
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	back, err := DecodeCommand(kind, payload)
	if got, ok := back.(DeleteKey); err != nil || !ok || got.ID != "k1" {
		t.Errorf("got %#v %v, want DeleteKey k1", back, err)
	}
}

func TestDecodeCommandRefusals(t *testing.T) {
	tests := []struct {
		name, kind, payload string
	}{
		{"unknown kind", "widget.create", `{}`},
		{"unknown field", "token.revoke", `{"tokens":[],"now":1,"admin":true}`},
		{"trailing data", "token.revoke", `{"tokens":[]} {}`},
		{"not json", "token.revoke", `tokens`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd, err := DecodeCommand(tt.kind, json.RawMessage(tt.payload))
			if applyCode(err) != CodeInvalid || cmd != nil {
				t.Errorf("got %#v %v, want an invalid refusal", cmd, err)
			}
		})
	}
	if _, _, err := EncodeCommand(nil); applyCode(err) != CodeInvalid {
		t.Errorf("got %v encoding nil, want invalid", err)
	}
}
