package raftstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/raft"

	"portico/raftstore/state"
)

// memSink is a raft.SnapshotSink in memory.
type memSink struct {
	bytes.Buffer
	closed, cancelled bool
}

func (s *memSink) ID() string    { return "mem" }
func (s *memSink) Cancel() error { s.cancelled = true; return nil }
func (s *memSink) Close() error  { s.closed = true; return nil }

var _ raft.SnapshotSink = (*memSink)(nil)

// populated returns a harness whose state has every map filled (request IDs req-1 to req-13).
func populated(t *testing.T) *fsmHarness {
	h := newFSMHarness(t)
	h.must(&PutAPI{API: testAPI(t, nil)})
	h.must(&PutAPI{API: testAPI(t, func(a *state.API) { a.TimeoutMS = 5 })})
	h.must(testApp("app1", "shop"))
	h.must(testKey("k1", "app1", testSub("s1", "app1")))
	h.must(&CreateAdminToken{Token: state.AdminToken{ID: "t1", Name: "ops", Hash: []byte{7}}})
	h.must(&SetLifecycle{Name: "greet", Version: "1.0", To: state.Deprecated, At: 1700000001000})
	h.must(testUser("alice", state.RoleSubscriber))
	h.must(&ShareApp{AppID: "app1", Users: []string{"alice"}})
	h.must(&SetCredentials{AppID: "app1", Cred: testCred(testClientID(1), state.Production)})
	h.must(&PutDocument{API: "greet@1.0", Doc: state.Document{Name: "guide", Body: "# Guide", UpdatedAt: 1700000002000}})
	h.must(&CreatePlan{Plan: state.Plan{Name: "Platinum", RPM: 9000, Burst: 100}})
	h.must(&AddSigningKey{Key: testSigningKey(t, testKID(1), 1700000000000)})
	h.must(&RevokeTokens{Tokens: []RevokedToken{{ID: "jti-1", Exp: 1900000000}}, Now: 1700000000000})
	return h
}

func persist(t *testing.T, f *fsm) *memSink {
	t.Helper()
	snap, err := f.Snapshot()
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	defer snap.Release()
	sink := &memSink{}
	if err := snap.Persist(sink); err != nil || !sink.closed {
		t.Fatalf("persist: got %v closed %v, want nil true", err, sink.closed)
	}
	return sink
}

func TestSnapshotRestoreReplacesState(t *testing.T) {
	a := populated(t)
	sink := persist(t, a.f)

	b := newFSMHarness(t) // state B: things A does not have, request IDs A used for other commands
	b.must(testApp("other", "blog"))
	b.must(&PutAPI{API: testAPI(t, func(x *state.API) { x.Name, x.Context = "news", "/news" })})
	b.must(&CreateAdminToken{Token: state.AdminToken{ID: "t9"}})
	watch, cancel := b.f.watchers.add()
	defer cancel()

	if err := b.f.Restore(io.NopCloser(&sink.Buffer)); err != nil {
		t.Fatalf("restore: %v", err)
	}
	if got, want := stateJSON(t, b.f.state()), stateJSON(t, a.f.state()); got != want {
		t.Errorf("got restored state\n%s\nwant\n%s", got, want)
	}
	if got, want := b.f.applied.Load(), a.f.applied.Load(); got != want {
		t.Errorf("got applied index %d, want %d", got, want)
	}
	select {
	case <-watch:
	default:
		t.Errorf("got no watch notification after restore, want one")
	}
	// The restored state is writable and remembers A's request IDs.
	if res, err := b.applyID("req-3", testApp("x", "y")); err != nil || res.(CreateAppResult).App.ID != "app1" {
		t.Errorf("got %+v %v for a retried request of A, want app1", res, err)
	}
}

func TestSnapshotWritesEveryStateField(t *testing.T) {
	h := populated(t)
	sink := persist(t, h.f)
	var file struct {
		State map[string]json.RawMessage `json:"state"`
	}
	if err := json.Unmarshal(sink.Bytes(), &file); err != nil {
		t.Fatalf("decoding snapshot: %v", err)
	}
	var fields map[string]json.RawMessage
	data, _ := json.Marshal(state.Empty())
	if err := json.Unmarshal(data, &fields); err != nil {
		t.Fatalf("decoding state: %v", err)
	}
	got, want := slices.Sorted(maps.Keys(file.State)), slices.Sorted(maps.Keys(fields))
	if !slices.Equal(got, want) {
		t.Errorf("got snapshot fields %v, want every state.State field %v", got, want)
	}
	if again := persist(t, h.f); !bytes.Equal(again.Bytes(), sink.Bytes()) {
		t.Errorf("got different bytes for the same state, want identical snapshots")
	}
}

func TestRestoreRejectsBadSnapshots(t *testing.T) {
	tests := []struct {
		name, data string
	}{
		{"not json", "garbage"},
		{"unknown version", `{"version":2,"applied":1,"state":{}}`},
		{"no state", `{"version":1,"applied":1}`},
		{"unknown field", `{"version":1,"applied":1,"state":{"widgets":{}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := populated(t)
			before := h.f.state()
			if err := h.f.Restore(io.NopCloser(strings.NewReader(tt.data))); err == nil {
				t.Fatalf("got nil error, want the restore refused")
			}
			if h.f.state() != before {
				t.Errorf("got the state replaced, want it kept")
			}
		})
	}
}

func TestRestoreFillsMissingMaps(t *testing.T) {
	h := populated(t)
	if err := h.f.Restore(io.NopCloser(strings.NewReader(`{"version":1,"applied":3,"state":{"index":3,"apis":null}}`))); err != nil {
		t.Fatalf("restore: %v", err)
	}
	if got, want := stateJSON(t, h.f.state()), stateJSON(t, withIndex(state.Empty(), 3)); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if _, err := h.apply(testApp("a", "b")); err != nil {
		t.Errorf("got %v applying after restore, want success", err)
	}
}

func withIndex(st *state.State, i uint64) *state.State { st.Index = i; return st }

// failingSink fails every write.
type failingSink struct{ memSink }

func (s *failingSink) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestPersistCancelsOnWriteError(t *testing.T) {
	h := populated(t)
	snap, _ := h.f.Snapshot()
	sink := &failingSink{}
	if err := snap.Persist(sink); err == nil || !sink.cancelled || sink.closed {
		t.Errorf("got %v cancelled %v closed %v, want an error and the sink cancelled", err, sink.cancelled, sink.closed)
	}
}
