package raftstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"portico/raftstore/state"
)

// contentJSON is the canonical form of a state's content: what a backup restores (the node registry and the index
// are the cluster's own).
func contentJSON(t *testing.T, st *state.State) string {
	t.Helper()
	c := *st
	c.Nodes, c.Index = nil, 0
	return stateJSON(t, &c)
}

func nodeIDs(st *state.State) []string { return slices.Sorted(maps.Keys(st.Nodes)) }

func TestBackupRestoreOnCluster(t *testing.T) {
	stores := newCluster(t, 3, nil)
	leader := stores[0]
	for i, s := range stores {
		mustApply(t, leader, fmt.Sprint("reg", i), testNode(fmt.Sprint("node", i+1), func(n *state.Node) { n.RaftAddr = s.Addr() }))
	}
	wasm := moduleBytes(MaxChunk+7, 10)
	for i, c := range append([]Command{&PutAPI{API: testAPI(t, nil)}, testApp("app1", "shop"),
		testKey("k1", "app1", testSub("s1", "app1"))}, pluginCommands(t, "up1", testPlugin("hdr", "1.0.0"), wasm)...) {
		mustApply(t, leader, fmt.Sprint("w", i), c)
	}
	var backup bytes.Buffer
	if err := leader.WriteBackup(&backup); err != nil {
		t.Fatalf("write backup: %v", err)
	}
	want := contentJSON(t, leader.State())

	// Changes after the backup, including to the node registry.
	for i, c := range []Command{&DeleteApp{ID: "app1"}, testApp("app2", "blog"), &DeletePlugin{Name: "hdr", Version: "1.0.0"},
		&PutAPI{API: testAPI(t, func(a *state.API) { a.TimeoutMS = 9 })}, &DeregisterNode{ID: "node3"},
		testNode("node9", nil)} {
		mustApply(t, leader, fmt.Sprint("later", i), c)
	}
	wantNodes := nodeIDs(leader.State())
	if err := stores[1].RestoreBackup(ctxWait(t, testWait), bytes.NewReader(backup.Bytes())); !errors.Is(err, ErrNotLeader) {
		t.Errorf("got %v restoring on a follower, want ErrNotLeader", err)
	}

	lastBefore := leader.raft.LastIndex()
	if err := leader.RestoreBackup(ctxWait(t, testWait), bytes.NewReader(backup.Bytes())); err != nil {
		t.Fatalf("restore backup: %v", err)
	}
	if got := leader.State().Index; got <= lastBefore || got != leader.AppliedIndex() {
		t.Errorf("got restored state index %d, applied %d; want both the restore's index, past %d", got,
			leader.AppliedIndex(), lastBefore)
	}
	if got := contentJSON(t, leader.State()); got != want {
		t.Errorf("got leader state right after restore\n%.3000s\nwant\n%.3000s", got, want)
	}
	for i, s := range stores {
		waitFor(t, fmt.Sprintf("store %d restored", i), func() bool { return contentJSON(t, s.State()) == want })
		if got := nodeIDs(s.State()); !slices.Equal(got, wantNodes) {
			t.Errorf("store %d: got nodes %v, want the cluster's %v", i, got, wantNodes)
		}
		if !bytes.Equal(s.State().Blobs[sha(wasm)], wasm) {
			t.Errorf("store %d: got the module missing or altered, want it byte-identical", i)
		}
	}

	// The cluster goes on: writes apply everywhere and linearizable reads wait for them.
	mustApply(t, leader, "after", testApp("app3", "wiki"))
	idx, err := leader.ReadIndex(ctxWait(t, testWait))
	if err != nil {
		t.Fatalf("read index after restore: %v", err)
	}
	for i, s := range stores {
		if err := s.WaitApplied(ctxWait(t, testWait), idx); err != nil {
			t.Fatalf("store %d: wait applied %d after restore: %v", i, idx, err)
		}
		if s.State().Apps["app3"] == nil || s.State().Apps["app1"] == nil {
			t.Errorf("store %d: got apps %v, want app1 (restored) and app3 (written after)", i, slices.Sorted(maps.Keys(s.State().Apps)))
		}
	}
}

// backupOf writes a backup of a populated FSM state after edit.
func backupOf(t *testing.T, edit func(st *state.State)) string {
	t.Helper()
	h := populated(t)
	h.pushPlugin("up1", testPlugin("hdr", "1.0.0"), []byte("module"))
	st := *h.f.state()
	st.APIs, st.Apps, st.Keys = maps.Clone(st.APIs), maps.Clone(st.Apps), maps.Clone(st.Keys)
	st.Plugins, st.Blobs, st.SubIndex = maps.Clone(st.Plugins), maps.Clone(st.Blobs), maps.Clone(st.SubIndex)
	st.Uploads = maps.Clone(st.Uploads)
	if edit != nil {
		edit(&st)
	}
	var buf bytes.Buffer
	if err := writeSnapshot(&buf, &st, st.Index); err != nil {
		t.Fatalf("writing backup: %v", err)
	}
	return buf.String()
}

func TestReadBackupRefusals(t *testing.T) {
	valid := backupOf(t, nil)
	if _, err := readBackup(strings.NewReader(valid), int64(len(valid))); err != nil {
		t.Fatalf("got %v reading a valid backup, want nil", err)
	}
	tests := []struct {
		name  string
		data  string
		limit int64
		msg   string
	}{
		{"too large", valid, int64(len(valid)) - 1, "larger than"},
		{"not json", "backup", 0, "decoding backup"},
		{"trailing data", valid + "{}", 0, "trailing data"},
		{"unknown field", `{"version":1,"applied":1,"state":{"widgets":{}}}`, 0, "unknown field"},
		{"other version", `{"version":7,"applied":1,"state":{}}`, 0, "unsupported version 7"},
		{"null entry", backupOf(t, func(st *state.State) { st.Apps["app1"] = nil }), 0, `apps["app1"] is null`},
		{"entry under another id", backupOf(t, func(st *state.State) { st.Apps["x"] = st.Apps["app1"]; delete(st.Apps, "app1") }), 0, `apps["x"] holds "app1"`},
		{"key of a missing app", backupOf(t, func(st *state.State) {
			st.Keys["k2"] = &state.APIKey{ID: "k2", AppID: "gone"}
		}), 0, `keys["k2"]: application "gone" does not exist`},
		{"subscription missing from the index", backupOf(t, func(st *state.State) { clear(st.SubIndex) }), 0, "subIndex does not list"},
		{"plugin without its module", backupOf(t, func(st *state.State) { clear(st.Blobs) }), 0, "module " + sha([]byte("module")) + " is missing"},
		{"module not matching its digest", backupOf(t, func(st *state.State) { st.Blobs[sha([]byte("module"))] = []byte("modulE") }), 0, "has sha256"},
		{"malformed upload", backupOf(t, func(st *state.State) { st.Uploads["u"] = &state.Upload{Total: 2} }), 0, `uploads["u"] has 0 chunk slots`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			limit := tt.limit
			if limit == 0 {
				limit = maxBackupSize
			}
			_, err := readBackup(strings.NewReader(tt.data), limit)
			if applyCode(err) != CodeInvalid || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("got %v, want invalid naming %q", err, tt.msg)
			}
		})
	}
}

func TestRestoreBackupRefusesBeforeTouchingState(t *testing.T) {
	s := openStore(t, testConfig(t, t.TempDir(), true))
	waitReadyLeader(t, s)
	mustApply(t, s, "r1", testApp("app1", "shop"))
	before, last := s.State(), s.raft.LastIndex()
	bad := backupOf(t, func(st *state.State) { clear(st.Blobs) })
	if err := s.RestoreBackup(ctxWait(t, testWait), strings.NewReader(bad)); applyCode(err) != CodeInvalid {
		t.Errorf("got %v, want invalid", err)
	}
	if s.State() != before || s.raft.LastIndex() != last {
		t.Errorf("got the state or the log changed by a refused restore, want both untouched")
	}
	var empty bytes.Buffer
	if err := json.NewEncoder(&empty).Encode(map[string]any{"version": 1, "applied": 0, "state": map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	if err := s.RestoreBackup(ctxWait(t, testWait), &empty); err != nil {
		t.Fatalf("got %v restoring an empty backup, want nil", err)
	}
	if got := len(s.State().Apps); got != 0 {
		t.Errorf("got %d apps after restoring an empty backup, want 0", got)
	}
}
