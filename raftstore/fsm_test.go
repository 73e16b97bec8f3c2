package raftstore

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"portico/raftstore/state"
)

func TestTransitions(t *testing.T) {
	greet := func(edit func(*state.API)) *PutAPI { return &PutAPI{API: testAPI(t, edit)} }
	changed := func(a *state.API) {
		a.Lifecycle = state.Deprecated
		a.CreatedAt, a.UpdatedAt = 1800000000000, 1800000000000
	}

	tests := []struct {
		name     string
		setup    []Command
		cmd      Command
		wantCode string // "" = applied
		check    func(t *testing.T, st *state.State, res any)
	}{
		{
			name: "create app",
			cmd:  testApp("app1", "shop"),
			check: func(t *testing.T, st *state.State, res any) {
				if got := res.(CreateAppResult).App; got != st.Apps["app1"] || got.Name != "shop" {
					t.Errorf("got result app %+v, want the stored app shop", got)
				}
			},
		},
		{name: "create app duplicate name", setup: []Command{testApp("app1", "shop")}, cmd: testApp("app2", "shop"), wantCode: CodeConflict},
		{name: "create app duplicate id", setup: []Command{testApp("app1", "shop")}, cmd: testApp("app1", "other"), wantCode: CodeConflict},
		{name: "create app without name", cmd: testApp("app1", ""), wantCode: CodeInvalid},
		{
			name:  "create key creates subscription",
			setup: []Command{greet(nil), testApp("app1", "shop")},
			cmd:   testKey("k1", "app1", testSub("s1", "app1")),
			check: func(t *testing.T, st *state.State, res any) {
				r := res.(CreateKeyResult)
				if r.Key != st.Keys["k1"] || r.Subscription != st.Subscriptions["s1"] || r.Subscription == nil {
					t.Errorf("got result %+v, want stored key k1 and subscription s1", r)
				}
				if sub, ok := st.Subscription("app1", "greet", 1); !ok || sub.ID != "s1" {
					t.Errorf("got subscription lookup %v %v, want s1", sub, ok)
				}
			},
		},
		{
			name:  "create key reuses existing subscription",
			setup: []Command{greet(nil), testApp("app1", "shop"), testKey("k1", "app1", testSub("s1", "app1"))},
			cmd:   testKey("k2", "app1", testSub("s2", "app1")),
			check: func(t *testing.T, st *state.State, res any) {
				if got := res.(CreateKeyResult).Subscription; got == nil || got.ID != "s1" {
					t.Errorf("got subscription %+v, want s1", got)
				}
				if len(st.Subscriptions) != 1 {
					t.Errorf("got %d subscriptions, want 1", len(st.Subscriptions))
				}
			},
		},
		{
			name:  "create key without subscription",
			setup: []Command{testApp("app1", "shop")},
			cmd:   testKey("k1", "app1", nil),
			check: func(t *testing.T, st *state.State, res any) {
				if got := res.(CreateKeyResult); got.Subscription != nil || got.Key != st.Keys["k1"] {
					t.Errorf("got %+v, want key k1 without subscription", got)
				}
			},
		},
		{name: "create key for unknown app", cmd: testKey("k1", "nope", nil), wantCode: CodeNotFound},
		{name: "create key duplicate id", setup: []Command{testApp("app1", "shop"), testKey("k1", "app1", nil)}, cmd: testKey("k1", "app1", nil), wantCode: CodeConflict},
		{name: "create key subscription for another app", setup: []Command{testApp("app1", "shop")}, cmd: testKey("k1", "app1", testSub("s1", "app2")), wantCode: CodeInvalid},
		{name: "create key without id", setup: []Command{testApp("app1", "shop")}, cmd: testKey("", "app1", nil), wantCode: CodeInvalid},
		{
			name:  "delete key",
			setup: []Command{testApp("app1", "shop"), testKey("k1", "app1", nil)},
			cmd:   &DeleteKey{ID: "k1"},
			check: func(t *testing.T, st *state.State, res any) {
				if _, ok := st.Keys["k1"]; ok || !res.(DeleteResult).Deleted {
					t.Errorf("got key still present %v, result %+v; want deleted", ok, res)
				}
			},
		},
		{name: "delete absent key", cmd: &DeleteKey{ID: "k1"}, wantCode: CodeNotFound},
		{name: "delete absent app", cmd: &DeleteApp{ID: "app1"}, wantCode: CodeNotFound},
		{
			name: "delete app cascades keys and subscriptions",
			setup: []Command{
				greet(nil), testApp("app1", "shop"), testApp("app2", "blog"),
				testKey("k1", "app1", testSub("s1", "app1")), testKey("k2", "app1", nil),
				testKey("k3", "app2", testSub("s3", "app2")),
			},
			cmd: &DeleteApp{ID: "app1"},
			check: func(t *testing.T, st *state.State, _ any) {
				got := fmt.Sprint(len(st.Apps), len(st.Keys), len(st.Subscriptions), len(st.SubIndex))
				if got != "1 1 1 1" || st.Keys["k3"] == nil || st.Subscriptions["s3"] == nil {
					t.Errorf("got apps/keys/subs/index %s, want 1 1 1 1 with app2's key and subscription kept", got)
				}
			},
		},
		{
			name: "put new api",
			cmd:  greet(nil),
			check: func(t *testing.T, st *state.State, res any) {
				r := res.(PutAPIResult)
				if !r.Changed || r.API.Revision != 1 || r.API != st.APIs["greet@1.0"] {
					t.Errorf("got changed %v revision %d, want changed stored revision 1", r.Changed, r.API.Revision)
				}
			},
		},
		{
			name:  "put identical api",
			setup: []Command{greet(nil)},
			cmd:   greet(func(a *state.API) { a.UpdatedAt = 1900000000000 }),
			check: func(t *testing.T, st *state.State, res any) {
				r := res.(PutAPIResult)
				if r.Changed || r.API.Revision != 1 || r.API.UpdatedAt != 1700000000000 || len(st.Revisions) != 0 {
					t.Errorf("got changed %v revision %d updatedAt %d revisions %d, want unchanged revision 1",
						r.Changed, r.API.Revision, r.API.UpdatedAt, len(st.Revisions))
				}
			},
		},
		{
			name:  "put changed api",
			setup: []Command{greet(nil)},
			cmd:   greet(changed),
			check: func(t *testing.T, st *state.State, res any) {
				r := res.(PutAPIResult)
				if !r.Changed || r.API.Revision != 2 || r.API.Lifecycle != state.Deprecated {
					t.Errorf("got changed %v revision %d lifecycle %s, want changed revision 2 Deprecated",
						r.Changed, r.API.Revision, r.API.Lifecycle)
				}
				if r.API.CreatedAt != 1700000000000 || r.API.UpdatedAt != 1800000000000 {
					t.Errorf("got createdAt %d updatedAt %d, want 1700000000000 1800000000000", r.API.CreatedAt, r.API.UpdatedAt)
				}
				revs := st.Revisions["greet@1.0"]
				if len(revs) != 1 || revs[0].Revision != 1 || revs[0].API.Lifecycle != state.Published {
					t.Errorf("got revisions %+v, want the published revision 1", revs)
				}
			},
		},
		{
			name:     "put api on a context claimed by another api",
			setup:    []Command{greet(nil)},
			cmd:      greet(func(a *state.API) { a.Name = "hello" }),
			wantCode: CodeConflict,
		},
		{
			name:  "put another version on the same context",
			setup: []Command{greet(nil)},
			cmd:   greet(func(a *state.API) { a.Version, a.Minor = "1.1", 1 }),
			check: func(t *testing.T, st *state.State, _ any) {
				if len(st.APIs) != 2 {
					t.Errorf("got %d apis, want 2", len(st.APIs))
				}
			},
		},
		{name: "put api without name", cmd: greet(func(a *state.API) { a.Name = "" }), wantCode: CodeInvalid},
		{
			name:  "delete api keeps keys",
			setup: []Command{greet(nil), greet(changed), testApp("app1", "shop"), testKey("k1", "app1", nil)},
			cmd:   &DeleteAPI{Name: "greet", Version: "1.0"},
			check: func(t *testing.T, st *state.State, _ any) {
				if len(st.APIs) != 0 || len(st.Revisions) != 0 || len(st.Keys) != 1 {
					t.Errorf("got apis %d revisions %d keys %d, want 0 0 1", len(st.APIs), len(st.Revisions), len(st.Keys))
				}
			},
		},
		{name: "delete absent api", cmd: &DeleteAPI{Name: "greet", Version: "1.0"}, wantCode: CodeNotFound},
		{
			name: "create admin token",
			cmd:  &CreateAdminToken{Token: state.AdminToken{ID: "t1", Name: "ops", Role: state.RoleAdmin, Hash: []byte{9}}},
			check: func(t *testing.T, st *state.State, res any) {
				if got := res.(CreateAdminTokenResult).Token; got == nil || got != st.AdminTokens["t1"] {
					t.Errorf("got token %+v, want stored t1", got)
				}
			},
		},
		{
			name:     "create admin token duplicate id",
			setup:    []Command{&CreateAdminToken{Token: state.AdminToken{ID: "t1", Name: "ops"}}},
			cmd:      &CreateAdminToken{Token: state.AdminToken{ID: "t1", Name: "ci"}},
			wantCode: CodeConflict,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newFSMHarness(t)
			for _, c := range tt.setup {
				h.must(c)
			}
			before := h.f.state()
			res, err := h.apply(tt.cmd)
			if got := applyCode(err); got != tt.wantCode {
				t.Fatalf("got code %q, want %q", got, tt.wantCode)
			}
			after := h.f.state()
			if tt.wantCode != "" {
				if after != before {
					t.Errorf("got a new state after a refusal, want the state unchanged")
				}
				return
			}
			if after.Index != h.index {
				t.Errorf("got state index %d, want %d", after.Index, h.index)
			}
			if tt.check != nil {
				tt.check(t, after, res)
			}
		})
	}
}

func TestPutAPIKeepsMaxRevisions(t *testing.T) {
	h := newFSMHarness(t)
	total := state.MaxRevisions + 5
	for i := 1; i <= total; i++ {
		h.must(&PutAPI{API: testAPI(t, func(a *state.API) { a.TimeoutMS = int64(i) })})
	}
	st := h.f.state()
	revs := st.Revisions["greet@1.0"]
	if len(revs) != state.MaxRevisions {
		t.Fatalf("got %d revisions kept, want %d", len(revs), state.MaxRevisions)
	}
	if revs[0].Revision != total-state.MaxRevisions || revs[len(revs)-1].Revision != total-1 {
		t.Errorf("got revisions %d..%d, want %d..%d", revs[0].Revision, revs[len(revs)-1].Revision,
			total-state.MaxRevisions, total-1)
	}
	if got := st.APIs["greet@1.0"].Revision; got != total {
		t.Errorf("got current revision %d, want %d", got, total)
	}
}

func TestFSMRejectsUnknownEntries(t *testing.T) {
	envelope := func(kind string, version int, payload string) []byte {
		return []byte(fmt.Sprintf(`{"kind":%q,"version":%d,"requestId":"r1","payload":%s}`, kind, version, payload))
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"unknown kind", envelope("widget.create", 1, `{}`), `unknown command kind "widget.create"`},
		{"unknown version", envelope("app.create", 9, `{"app":{"id":"a","name":"b"}}`), "unknown version 9"},
		{"unknown payload field", envelope("app.create", 1, `{"app":{"id":"a","name":"b"},"x":1}`), "unknown field"},
		{"payload not an object", envelope("app.create", 1, `[1]`), "decoding payload"},
		{"not json", []byte("\x00\x01"), "decoding envelope"},
		{"no request id", []byte(`{"kind":"app.create","version":1,"payload":{}}`), "request id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newFSMHarness(t)
			before := h.f.state()
			res := h.applyRaw(tt.data)
			err, ok := res.(error)
			if !ok || applyCode(err) == CodeInvalid || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error (not a refusal) containing %q", res, tt.want)
			}
			if h.f.state() != before {
				t.Errorf("got a new state, want the state unchanged")
			}
			if !strings.Contains(h.logs.String(), "rejecting raft log entry") {
				t.Errorf("got log %q, want the rejection logged", h.logs.String())
			}
			if got := h.f.applied.Load(); got != h.index {
				t.Errorf("got applied index %d, want %d", got, h.index)
			}
		})
	}
}

func TestEncodeEntry(t *testing.T) {
	big := testApp("a", strings.Repeat("x", maxEntrySize))
	tests := []struct {
		name      string
		requestID string
		cmd       Command
		wantCode  string
	}{
		{"valid", "r1", testApp("a", "b"), ""},
		{"no request id", "", testApp("a", "b"), CodeInvalid},
		{"nil command", "r1", nil, CodeInvalid},
		{"too large", "r1", big, CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := encodeEntry(tt.requestID, tt.cmd)
			if got := applyCode(err); got != tt.wantCode {
				t.Fatalf("got code %q, want %q", got, tt.wantCode)
			}
			if err != nil {
				return
			}
			var env envelope
			if err := json.Unmarshal(data, &env); err != nil || env.Kind != "app.create" || env.Version != 2 || env.RequestID != "r1" {
				t.Errorf("got envelope %+v (%v), want app.create v2 (the latest) r1", env, err)
			}
		})
	}
}

// TestSetPasswordVersions: a version 1 entry (logs written before sessions ended with a password change) keeps the
// user's admin tokens when it is applied again; a version 2 entry deletes every token of the user but KeepToken, and
// no other user's.
func TestSetPasswordVersions(t *testing.T) {
	envelope := func(version int, requestID, keep string) []byte {
		payload := fmt.Sprintf(`{"name":"alice","hash":"BwE=","salt":"CA==","iterations":700000,"keepToken":%q}`, keep)
		if version == 1 {
			payload = `{"name":"alice","hash":"BwE=","salt":"CA==","iterations":700000}`
		}
		return []byte(fmt.Sprintf(`{"kind":"user.password","version":%d,"requestId":%q,"payload":%s}`,
			version, requestID, payload))
	}
	tests := []struct {
		name    string
		version int
		keep    string
		want    []string // admin token IDs left
	}{
		{"version 1 keeps every session", 1, "", []string{"a1", "a2", "b1", "boot"}},
		{"version 2 keeps the session that made the change", 2, "a1", []string{"a1", "b1", "boot"}},
		{"version 2 set by an admin ends them all", 2, "", []string{"b1", "boot"}},
		{"version 2 cannot keep another user's session for her", 2, "b1", []string{"b1", "boot"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newFSMHarness(t)
			h.must(testUser("alice", state.RoleSubscriber))
			h.must(testUser("bob", state.RoleSubscriber))
			for _, c := range []*CreateAdminToken{adminToken("a1", "alice"), adminToken("a2", "alice"),
				adminToken("b1", "bob"), adminToken("boot", "")} {
				h.must(c)
			}
			if res, ok := h.applyRaw(envelope(tt.version, "r-"+tt.name, tt.keep)).(UpdateResult); !ok || !res.Changed {
				t.Fatalf("got %v, want a changed update", res)
			}
			got := slices.Sorted(maps.Keys(h.f.state().AdminTokens))
			if !slices.Equal(got, tt.want) {
				t.Errorf("admin tokens left: got %v, want %v", got, tt.want)
			}
			if u := h.f.state().Users["alice"]; string(u.PasswordHash) != "\x07\x01" || u.Iterations != 700000 {
				t.Errorf("got %+v, want the new password key", u)
			}
		})
	}
}

// TestCreateAppVersions: a version 1 entry (old logs) refuses a name another owner holds, as it did when it was
// written; a version 2 entry makes names unique per owner.
func TestCreateAppVersions(t *testing.T) {
	envelope := func(version int, id, owner string) []byte {
		return []byte(fmt.Sprintf(`{"kind":"app.create","version":%d,"requestId":"r-%s","payload":{"app":{"id":%q,"name":"shop","owner":%q}}}`,
			version, id, id, owner))
	}
	tests := []struct {
		name    string
		version int
		owner   string
		taken   bool
	}{
		{"version 1, another owner", 1, "bob", true},
		{"version 1, same owner", 1, "alice", true},
		{"version 2, another owner", 2, "bob", false},
		{"version 2, same owner", 2, "alice", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newFSMHarness(t)
			h.applyRaw(envelope(2, "a1", "alice"))
			res := h.applyRaw(envelope(tt.version, "a2", tt.owner))
			err, refused := res.(error)
			if refused != tt.taken || refused && (applyCode(err) != CodeConflict || !strings.Contains(err.Error(), `"shop" is taken`)) {
				t.Fatalf("got %v, want taken %v", res, tt.taken)
			}
			if _, ok := h.f.state().Apps["a2"]; ok == tt.taken {
				t.Errorf("application a2 in the state: %v, want %v", ok, !tt.taken)
			}
		})
	}
}
