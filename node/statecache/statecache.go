// Package statecache keeps, in a node's data dir, a copy of the last replicated state its gateway served, so that a
// node restarted without a quorum serves its last applied configuration at once (as Kong data planes and Envoy do)
// instead of the older state of its last raft snapshot. It sits between the raft store and the gateway on the config
// path: the node saves each new state before the gateway serves it, and loads the copy on start.
//
// The copy holds what the gateway needs (APIs, applications, credentials, subscriptions, plugins, the member
// registry, admin tokens); plugin modules are written once each, by SHA-256, beside it. Secrets are as hashed as in
// the replicated state. The idempotency records and API revision history are left out.
package statecache

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

	"portico/raftstore/state"
)

const (
	fileName = "served-state.json"
	blobDir  = "blobs"
	version  = 1
)

// file is the encoding of the cache.
type file struct {
	Version int          `json:"version"`
	State   *state.State `json:"state"`
}

// Cache is the state copy in one directory. It is used by one goroutine at a time.
type Cache struct {
	dir   string
	blobs map[string]bool // blobs known to be on disk
}

// New returns the cache in dir (created 0700 if missing).
func New(dir string) (*Cache, error) {
	if err := os.MkdirAll(filepath.Join(dir, blobDir), 0o700); err != nil {
		return nil, fmt.Errorf("creating state cache dir: %w", err)
	}
	return &Cache{dir: dir, blobs: map[string]bool{}}, nil
}

// Save writes st durably (write to a temporary file, fsync, rename), its plugin modules first.
func (c *Cache) Save(st *state.State) error {
	for sum, data := range st.Blobs {
		if err := c.saveBlob(sum, data); err != nil {
			return err
		}
	}
	cp := *st
	cp.Requests, cp.Revisions, cp.Blobs, cp.Uploads = nil, nil, nil, nil
	data, err := json.Marshal(file{Version: version, State: &cp})
	if err != nil {
		return fmt.Errorf("encoding state cache: %w", err)
	}
	return writeFile(filepath.Join(c.dir, fileName), data)
}

var hexSum = regexp.MustCompile(`^[0-9a-f]{64}$`)

func (c *Cache) saveBlob(sum string, data []byte) error {
	if c.blobs[sum] {
		return nil
	}
	if !hexSum.MatchString(sum) {
		return fmt.Errorf("saving plugin module: bad sha256 %q", sum)
	}
	path := filepath.Join(c.dir, blobDir, sum)
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		c.blobs[sum] = true
		return nil
	}
	if err := writeFile(path, data); err != nil {
		return err
	}
	c.blobs[sum] = true
	return nil
}

// Load reads the cached state. A missing cache is (nil, nil); a damaged one is an error (the node then starts from
// its raft state alone). Plugin modules are read back and checked against their SHA-256.
func (c *Cache) Load() (*state.State, error) {
	data, err := os.ReadFile(filepath.Join(c.dir, fileName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading state cache: %w", err)
	}
	f := file{State: state.Empty()}
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("decoding state cache: %w", err)
	}
	if f.Version != version || f.State == nil {
		return nil, fmt.Errorf("decoding state cache: unsupported version %d", f.Version)
	}
	st := fill(f.State)
	for _, p := range st.Plugins {
		if _, ok := st.Blobs[p.SHA256]; ok {
			continue
		}
		blob, err := c.loadBlob(p.SHA256)
		if err != nil {
			return nil, err
		}
		st.Blobs[p.SHA256] = blob
	}
	return st, nil
}

func (c *Cache) loadBlob(sum string) ([]byte, error) {
	if !hexSum.MatchString(sum) {
		return nil, fmt.Errorf("reading state cache: bad plugin sha256 %q", sum)
	}
	data, err := os.ReadFile(filepath.Join(c.dir, blobDir, sum))
	if err != nil {
		return nil, fmt.Errorf("reading state cache: plugin module %s: %w", sum, err)
	}
	got := sha256.Sum256(data)
	if hex.EncodeToString(got[:]) != sum {
		return nil, fmt.Errorf("reading state cache: plugin module %s is damaged", sum)
	}
	c.blobs[sum] = true
	return data, nil
}

// fill allocates the maps the encoding left out, so the state reads like one the store published.
func fill(st *state.State) *state.State {
	empty := state.Empty()
	if st.Requests == nil {
		st.Requests = empty.Requests
	}
	if st.Revisions == nil {
		st.Revisions = empty.Revisions
	}
	if st.Blobs == nil {
		st.Blobs = empty.Blobs
	}
	if st.Uploads == nil {
		st.Uploads = empty.Uploads
	}
	return st
}

// writeFile replaces path with data durably.
func writeFile(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("writing %s: %w", filepath.Base(path), err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", filepath.Base(path), err)
	}
	return nil
}
