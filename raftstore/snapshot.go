package raftstore

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/hashicorp/raft"

	"portico/raftstore/state"
)

// snapshotVersion is the version of the snapshot encoding: {"version":1,"applied":N,"state":{...}}.
const snapshotVersion = 1

// snapshotFile is the decoded form of a snapshot.
type snapshotFile struct {
	Version int          `json:"version"`
	Applied uint64       `json:"applied"`
	State   *state.State `json:"state"`
}

// fsmSnapshot holds one published, immutable state: taking it is a pointer load, so Apply is not held up while it
// is persisted.
type fsmSnapshot struct {
	st      *state.State
	applied uint64
}

// Snapshot captures the current state.
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	return &fsmSnapshot{st: f.cur.Load(), applied: f.applied.Load()}, nil
}

// Restore replaces the whole state with the snapshot's and wakes the watchers.
func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	snap, err := decodeSnapshot(bufio.NewReader(rc))
	if err != nil {
		return fmt.Errorf("restoring snapshot: %w", err)
	}
	f.applied.Store(snap.Applied)
	f.publish(snap.State)
	f.logger.Info("state restored from a snapshot", "index", snap.State.Index, "applied", snap.Applied)
	return nil
}

// decodeSnapshot reads a snapshot written by writeSnapshot, with every map of its state allocated.
func decodeSnapshot(r io.Reader) (*snapshotFile, error) {
	var snap snapshotFile
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&snap); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("trailing data after the snapshot")
	}
	if snap.Version != snapshotVersion || snap.State == nil {
		return nil, fmt.Errorf("unsupported version %d or no state", snap.Version)
	}
	fillMaps(snap.State)
	return &snap, nil
}

// fillMaps allocates the maps a snapshot left out or wrote as null.
func fillMaps(st *state.State) {
	empty := state.Empty()
	st.APIs = orEmpty(st.APIs, empty.APIs)
	st.Revisions = orEmpty(st.Revisions, empty.Revisions)
	st.Apps = orEmpty(st.Apps, empty.Apps)
	st.Keys = orEmpty(st.Keys, empty.Keys)
	st.Subscriptions = orEmpty(st.Subscriptions, empty.Subscriptions)
	st.AdminTokens = orEmpty(st.AdminTokens, empty.AdminTokens)
	st.Requests = orEmpty(st.Requests, empty.Requests)
	st.SubIndex = orEmpty(st.SubIndex, empty.SubIndex)
	st.Nodes = orEmpty(st.Nodes, empty.Nodes)
	st.Plugins = orEmpty(st.Plugins, empty.Plugins)
	st.Blobs = orEmpty(st.Blobs, empty.Blobs)
	st.Uploads = orEmpty(st.Uploads, empty.Uploads)
	st.Documents = orEmpty(st.Documents, empty.Documents)
	st.Users = orEmpty(st.Users, empty.Users)
	st.ClientIndex = orEmpty(st.ClientIndex, empty.ClientIndex)
	st.Plans = orEmpty(st.Plans, empty.Plans)
	st.SigningKeys = orEmpty(st.SigningKeys, empty.SigningKeys)
	st.Revoked = orEmpty(st.Revoked, empty.Revoked)
}

func orEmpty[V any](m, empty map[string]V) map[string]V {
	if m == nil {
		return empty
	}
	return m
}

// Persist streams the state to the sink as JSON, one map entry at a time, with keys sorted so that equal states give
// equal bytes.
func (s *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	if err := writeSnapshot(sink, s.st, s.applied); err != nil {
		return errors.Join(fmt.Errorf("persisting snapshot: %w", err), sink.Cancel())
	}
	if err := sink.Close(); err != nil {
		return fmt.Errorf("persisting snapshot: %w", err)
	}
	return nil
}

// Release does nothing: the snapshot holds no resources.
func (s *fsmSnapshot) Release() {}

func writeSnapshot(w io.Writer, st *state.State, applied uint64) error {
	sw := &streamWriter{w: bufio.NewWriterSize(w, 64<<10)}
	sw.raw(`{"version":`)
	sw.value(snapshotVersion)
	sw.raw(`,"applied":`)
	sw.value(applied)
	sw.raw(`,"state":{`)
	for i, f := range stateFields(st) {
		if i > 0 {
			sw.raw(",")
		}
		sw.value(f.name)
		sw.raw(":")
		f.write(sw)
	}
	sw.raw("}}\n")
	return sw.flush()
}

// stateField writes one field of state.State under its JSON name. Keep in step with state.State: a test checks that
// every field of the struct is written.
type stateField struct {
	name  string
	write func(*streamWriter)
}

func stateFields(st *state.State) []stateField {
	return []stateField{
		{"index", func(sw *streamWriter) { sw.value(st.Index) }},
		{"apis", streamMap(st.APIs)},
		{"revisions", streamMap(st.Revisions)},
		{"apps", streamMap(st.Apps)},
		{"keys", streamMap(st.Keys)},
		{"subscriptions", streamMap(st.Subscriptions)},
		{"adminTokens", streamMap(st.AdminTokens)},
		{"requests", streamMap(st.Requests)},
		{"subIndex", streamMap(st.SubIndex)},
		{"nodes", streamMap(st.Nodes)},
		{"plugins", streamMap(st.Plugins)},
		{"blobs", streamMap(st.Blobs)},
		{"uploads", streamMap(st.Uploads)},
		{"documents", streamMap(st.Documents)},
		{"users", streamMap(st.Users)},
		{"clientIndex", streamMap(st.ClientIndex)},
		{"plans", streamMap(st.Plans)},
		{"signingKeys", streamMap(st.SigningKeys)},
		{"revoked", streamMap(st.Revoked)},
	}
}

func streamMap[V any](m map[string]V) func(*streamWriter) {
	return func(sw *streamWriter) {
		sw.raw("{")
		for i, k := range slices.Sorted(maps.Keys(m)) {
			if i > 0 {
				sw.raw(",")
			}
			sw.value(k)
			sw.raw(":")
			sw.value(m[k])
		}
		sw.raw("}")
	}
}

// streamWriter writes JSON pieces through a buffer and keeps the first error.
type streamWriter struct {
	w   *bufio.Writer
	err error
}

func (sw *streamWriter) raw(s string) {
	if sw.err == nil {
		_, sw.err = sw.w.WriteString(s)
	}
}

func (sw *streamWriter) value(v any) {
	if sw.err != nil {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		sw.err = err
		return
	}
	_, sw.err = sw.w.Write(b)
}

func (sw *streamWriter) flush() error {
	if sw.err != nil {
		return sw.err
	}
	return sw.w.Flush()
}

var _ raft.FSMSnapshot = (*fsmSnapshot)(nil)
