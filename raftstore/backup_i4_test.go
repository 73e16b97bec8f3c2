package raftstore

import (
	"encoding/json"
	"io"
	"maps"
	"strings"
	"testing"

	"portico/raftstore/state"
)

// TestPopulatedFillsEveryMap guards the snapshot and backup tests: they only cover the maps populated fills.
func TestPopulatedFillsEveryMap(t *testing.T) {
	st := populated(t).f.state()
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(stateJSON(t, st)), &fields); err != nil {
		t.Fatalf("decoding state: %v", err)
	}
	skip := map[string]bool{"index": true, "nodes": true, "plugins": true, "blobs": true, "uploads": true} // plugin_test fills these
	for name, raw := range fields {
		if !skip[name] && (string(raw) == "{}" || string(raw) == "null") {
			t.Errorf("got state field %q empty, want populated to fill it", name)
		}
	}
}

func TestSnapshotRoundTripOfI4Maps(t *testing.T) {
	a := populated(t)
	sink := persist(t, a.f)
	b := newFSMHarness(t)
	if err := b.f.Restore(io.NopCloser(&sink.Buffer)); err != nil {
		t.Fatalf("restore: %v", err)
	}
	st := b.f.state()
	if _, cred, ok := st.ClientByID(testClientID(1)); !ok || cred.Env != state.Production {
		t.Errorf("got client %+v %v after restore, want the production client", cred, ok)
	}
	if k, ok := st.CurrentSigningKey(); !ok || k.KID != testKID(1) {
		t.Errorf("got current key %+v %v, want key 1", k, ok)
	}
	if !st.IsRevoked("jti-1", 1800000000) || st.Users["alice"] == nil || st.Plans["Platinum"] == nil {
		t.Errorf("got revoked %v users %v plans %v, want jti-1, alice and Platinum", st.Revoked, st.Users, st.Plans)
	}
	if d, ok := st.Document("greet@1.0", "guide"); !ok || d.Body != "# Guide" {
		t.Errorf("got document %+v %v, want the guide", d, ok)
	}
	if _, err := readBackup(strings.NewReader(persist(t, b.f).String()), maxBackupSize); err != nil {
		t.Errorf("got %v validating the restored state as a backup, want nil", err)
	}
}

// editApp replaces app1 in st by a copy changed by edit.
func editApp(st *state.State, edit func(*state.Application)) {
	st.Apps = maps.Clone(st.Apps)
	app := *st.Apps["app1"]
	app.Credentials = maps.Clone(app.Credentials)
	edit(&app)
	st.Apps["app1"] = &app
}

func TestReadBackupRefusesBadI4Maps(t *testing.T) {
	key1 := testKID(1)
	tests := []struct {
		name string
		edit func(st *state.State)
		msg  string
	}{
		{"client missing from the index", func(st *state.State) { st.ClientIndex = map[string]string{} }, "clientIndex does not map"},
		{"extra index entry", func(st *state.State) {
			st.ClientIndex = maps.Clone(st.ClientIndex)
			st.ClientIndex[testClientID(7)] = "app1"
		}, "clientIndex has 2 entries for 1 credentials"},
		{"credential under another env", func(st *state.State) {
			editApp(st, func(a *state.Application) {
				a.Credentials[state.Sandbox] = a.Credentials[state.Production]
				delete(a.Credentials, state.Production)
			})
		}, `credentials["sandbox"] is null or of another environment`},
		{"malformed credential", func(st *state.State) {
			editApp(st, func(a *state.Application) {
				c := *a.Credentials[state.Production]
				c.GrantTypes = []string{"implicit"}
				a.Credentials[state.Production] = &c
			})
		}, `"implicit"`},
		{"shared with a missing user", func(st *state.State) {
			editApp(st, func(a *state.Application) { a.SharedWith = []string{"ghost"} })
		}, `user "ghost", who does not exist`},
		{"user under another name", func(st *state.State) {
			st.Users = map[string]*state.User{"bob": st.Users["alice"]}
		}, `users["bob"] holds "alice"`},
		{"user with a bad role", func(st *state.State) {
			u := *st.Users["alice"]
			u.Role = "root"
			st.Users = map[string]*state.User{"alice": &u}
		}, `invalid name or role "root"`},
		{"admin token of a missing user", func(st *state.State) {
			st.AdminTokens = maps.Clone(st.AdminTokens)
			st.AdminTokens["t2"] = &state.AdminToken{ID: "t2", User: "ghost"}
		}, `adminTokens["t2"]: user "ghost"`},
		{"document of a missing api", func(st *state.State) {
			st.Documents = maps.Clone(st.Documents)
			st.Documents["gone@1.0"] = map[string]*state.Document{"a": {Name: "a"}}
		}, `documents["gone@1.0"]: api does not exist`},
		{"document under another name", func(st *state.State) {
			st.Documents = map[string]map[string]*state.Document{"greet@1.0": {"x": {Name: "guide"}}}
		}, `documents["greet@1.0"]["x"] holds "guide"`},
		{"custom plan with a built-in name", func(st *state.State) {
			st.Plans = map[string]*state.Plan{"Gold": {Name: "Gold", RPM: 1}}
		}, `plans["Gold"] is built-in`},
		{"malformed signing key", func(st *state.State) {
			k := *st.SigningKeys[key1]
			k.Public = []byte("x")
			st.SigningKeys = map[string]*state.SigningKey{key1: &k}
		}, `signingKeys["` + key1 + `"]: key ` + key1 + `: public key`},
		{"two current signing keys", func(st *state.State) {
			st.SigningKeys = maps.Clone(st.SigningKeys)
			k := testSigningKey(t, testKID(2), 5)
			st.SigningKeys[k.KID] = &k
		}, "2 current keys"},
		{"revocation without expiry", func(st *state.State) {
			st.Revoked = map[string]int64{"jti-1": 0}
		}, `revoked["jti-1"] has expiry 0`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readBackup(strings.NewReader(backupOf(t, tt.edit)), maxBackupSize)
			if applyCode(err) != CodeInvalid || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("got %v, want invalid naming %q", err, tt.msg)
			}
		})
	}
}
