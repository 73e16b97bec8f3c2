package statecache

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"portico/raftstore/state"
)

func sample() *state.State {
	st := state.Empty()
	st.Index = 42
	module := []byte("\x00asm fake module bytes")
	sum := sha256.Sum256(module)
	hexSum := hex.EncodeToString(sum[:])
	st.APIs["greet@1.0"] = &state.API{Name: "greet", Version: "1.0", Major: 1, Context: "/greet", Lifecycle: state.Published}
	st.Keys["k1"] = &state.APIKey{ID: "k1", AppID: "a1", API: "greet", Major: 1, Env: state.Production, Hash: []byte{1, 2}}
	st.Plugins[state.PluginKey("tenant", "1.0.0")] = &state.Plugin{Name: "tenant", Version: "1.0.0", SHA256: hexSum, Size: int64(len(module))}
	st.Blobs[hexSum] = module
	st.Requests["idem-1"] = state.Request{Index: 40, Kind: "api.put"}
	return st
}

func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	c, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := c.Load(); st != nil || err != nil {
		t.Fatalf("empty cache: got %v, %v; want nil, nil", st, err)
	}
	want := sample()
	if err := c.Save(want); err != nil {
		t.Fatal(err)
	}
	got, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := got.Load()
	if err != nil {
		t.Fatal(err)
	}
	if st.Index != want.Index || !reflect.DeepEqual(st.APIs, want.APIs) || !reflect.DeepEqual(st.Keys, want.Keys) ||
		!reflect.DeepEqual(st.Plugins, want.Plugins) || !reflect.DeepEqual(st.Blobs, want.Blobs) {
		t.Fatalf("got %+v, want the saved state back", st)
	}
	if len(st.Requests) != 0 || st.Requests == nil || st.Uploads == nil || st.Revisions == nil {
		t.Fatalf("got requests %v, uploads %v: want idempotency records left out and every map allocated",
			st.Requests, st.Uploads)
	}
	info, err := os.Stat(filepath.Join(dir, fileName))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("cache file: %v, mode %v; want 0600", err, info.Mode())
	}
}

func TestLoadRefusesDamage(t *testing.T) {
	cases := []struct {
		name   string
		damage func(t *testing.T, dir string, st *state.State)
		want   string
	}{
		{"truncated state", func(t *testing.T, dir string, _ *state.State) {
			write(t, filepath.Join(dir, fileName), `{"version":1,"state":{`)
		}, "decoding state cache"},
		{"unknown version", func(t *testing.T, dir string, _ *state.State) {
			write(t, filepath.Join(dir, fileName), `{"version":9,"state":{}}`)
		}, "unsupported version 9"},
		{"damaged module", func(t *testing.T, dir string, st *state.State) {
			for sum := range st.Blobs {
				write(t, filepath.Join(dir, blobDir, sum), "other bytes")
			}
		}, "is damaged"},
		{"missing module", func(t *testing.T, dir string, st *state.State) {
			for sum := range st.Blobs {
				if err := os.Remove(filepath.Join(dir, blobDir, sum)); err != nil {
					t.Fatal(err)
				}
			}
		}, "plugin module"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			c, err := New(dir)
			if err != nil {
				t.Fatal(err)
			}
			st := sample()
			if err := c.Save(st); err != nil {
				t.Fatal(err)
			}
			tc.damage(t, dir, st)
			fresh, err := New(dir)
			if err != nil {
				t.Fatal(err)
			}
			got, err := fresh.Load()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, %v; want an error containing %q", got, err, tc.want)
			}
		})
	}
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}
