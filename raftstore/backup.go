package raftstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/hashicorp/raft"

	"portico/raftstore/state"
)

// maxBackupSize bounds a backup RestoreBackup reads.
const maxBackupSize = 512 << 20

// WriteBackup writes the current published state in the snapshot encoding (the caller has done a linearizable read
// first). Secrets are already hashed in the state.
func (s *Store) WriteBackup(w io.Writer) error {
	st := s.State()
	if err := writeSnapshot(w, st, st.Index); err != nil {
		return fmt.Errorf("writing backup: %w", err)
	}
	return nil
}

// RestoreBackup reads a backup written by WriteBackup (at most 512 MiB), decodes and validates it completely
// (*ApplyError CodeInvalid naming the problem), keeps this cluster's current Nodes registry and installs it with
// raft's user restore on the leader (ErrNotLeader on a follower): every node then installs the new snapshot. It
// returns once the restored state is this node's state and a majority has it. The idempotency keys are the backup's.
// A ctx done or leadership lost while restoring leaves the outcome unknown (ErrUnknownOutcome).
func (s *Store) RestoreBackup(ctx context.Context, r io.Reader) error {
	if err := s.leaderOnly(ctx, "restoring backup"); err != nil {
		return err
	}
	st, err := readBackup(r, maxBackupSize)
	if err != nil {
		return err
	}
	st.Nodes = s.State().Nodes
	// The restore snapshot gets index LastIndex()+1 (or later if entries are appended meanwhile): the restored state
	// and the FSM's applied index say so, as if it had been produced by that entry.
	meta := &raft.SnapshotMeta{Version: raft.SnapshotVersionMax, Index: s.raft.LastIndex()}
	st.Index = meta.Index + 1
	var buf bytes.Buffer
	if err := writeSnapshot(&buf, st, st.Index); err != nil {
		return fmt.Errorf("restoring backup: encoding snapshot: %w", err)
	}
	meta.Size = int64(buf.Len())
	done := make(chan error, 1)
	go func() { done <- s.raft.Restore(meta, &buf, enqueueTimeout(ctx)) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		return futureFailure("restoring backup", err)
	}
	s.logger.Info("backup restored", "index", st.Index)
	return nil
}

// readBackup decodes and validates a backup of at most limit bytes.
func readBackup(r io.Reader, limit int64) (*state.State, error) {
	cr := &countingReader{r: io.LimitReader(r, limit+1)}
	snap, err := decodeSnapshot(cr)
	if cr.n > limit {
		return nil, invalid("backup is larger than %d bytes", limit)
	}
	if err != nil {
		return nil, invalid("decoding backup: %v", err)
	}
	if err := checkState(snap.State); err != nil {
		return nil, invalid("backup: %v", err)
	}
	return snap.State, nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// checkState verifies a decoded state's invariants: no null entries, every object under its own ID, references
// between objects resolved, module bytes matching their digests. The node registry is not checked: a restore
// replaces it with the cluster's own.
func checkState(st *state.State) error {
	checks := []func() error{
		func() error { return checkMap("apis", st.APIs, (*state.API).ID) },
		func() error { return checkMap("apps", st.Apps, func(a *state.Application) string { return a.ID }) },
		func() error { return checkMap("keys", st.Keys, func(k *state.APIKey) string { return k.ID }) },
		func() error {
			return checkMap("subscriptions", st.Subscriptions, func(s *state.Subscription) string { return s.ID })
		},
		func() error {
			return checkMap("adminTokens", st.AdminTokens, func(t *state.AdminToken) string { return t.ID })
		},
		func() error {
			return checkMap("plugins", st.Plugins, func(p *state.Plugin) string { return state.PluginKey(p.Name, p.Version) })
		},
		func() error { return checkMap[state.Upload]("uploads", st.Uploads, nil) },
		func() error { return checkMap("users", st.Users, func(u *state.User) string { return u.Name }) },
		func() error { return checkMap("plans", st.Plans, func(p *state.Plan) string { return p.Name }) },
		func() error {
			return checkMap("signingKeys", st.SigningKeys, func(k *state.SigningKey) string { return k.KID })
		},
		func() error { return checkRefs(st) },
		func() error { return checkBlobs(st) },
		func() error { return checkUploads(st) },
		func() error { return checkUsers(st) },
		func() error { return checkCredentials(st) },
		func() error { return checkDocuments(st) },
		func() error { return checkPlans(st) },
		func() error { return checkSigningKeys(st) },
		func() error { return checkRevoked(st) },
	}
	for _, check := range checks {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// checkMap refuses null entries and, unless id is nil, entries stored under another key than their ID.
func checkMap[V any](field string, m map[string]*V, id func(*V) string) error {
	for k, v := range m {
		if v == nil {
			return fmt.Errorf("%s[%q] is null", field, k)
		}
		if id == nil {
			continue
		}
		if got := id(v); got != k {
			return fmt.Errorf("%s[%q] holds %q", field, k, got)
		}
	}
	return nil
}

// checkRefs checks that keys and subscriptions belong to existing applications and that SubIndex matches the
// subscriptions.
func checkRefs(st *state.State) error {
	for id, k := range st.Keys {
		if _, ok := st.Apps[k.AppID]; !ok {
			return fmt.Errorf("keys[%q]: application %q does not exist", id, k.AppID)
		}
	}
	for id, sub := range st.Subscriptions {
		if _, ok := st.Apps[sub.AppID]; !ok {
			return fmt.Errorf("subscriptions[%q]: application %q does not exist", id, sub.AppID)
		}
		if st.SubIndex[state.SubKey(sub.AppID, sub.API, sub.Major)] != id {
			return fmt.Errorf("subIndex does not list subscriptions[%q]", id)
		}
	}
	if len(st.SubIndex) != len(st.Subscriptions) {
		return fmt.Errorf("subIndex has %d entries for %d subscriptions", len(st.SubIndex), len(st.Subscriptions))
	}
	return nil
}

// checkBlobs checks that every module matches its digest and every plugin's module is there with its size.
func checkBlobs(st *state.State) error {
	for sha, data := range st.Blobs {
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != sha {
			return fmt.Errorf("blobs[%q] has sha256 %x", sha, sum)
		}
	}
	for key, p := range st.Plugins {
		data, ok := st.Blobs[p.SHA256]
		if !ok {
			return fmt.Errorf("plugins[%q]: module %s is missing", key, p.SHA256)
		}
		if int64(len(data)) != p.Size {
			return fmt.Errorf("plugins[%q]: module has %d bytes, want %d", key, len(data), p.Size)
		}
	}
	return nil
}

// checkUploads checks the shape of the uploads in progress.
func checkUploads(st *state.State) error {
	for id, up := range st.Uploads {
		if up.Total <= 0 || up.Total > maxChunks || len(up.Chunks) != up.Total {
			return fmt.Errorf("uploads[%q] has %d chunk slots for %d chunks", id, len(up.Chunks), up.Total)
		}
		for i, ch := range up.Chunks {
			if len(ch) > MaxChunk {
				return fmt.Errorf("uploads[%q] chunk %d has %d bytes, more than %d", id, i, len(ch), MaxChunk)
			}
		}
	}
	return nil
}
