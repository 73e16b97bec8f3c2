package raftstore

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"portico/raftstore/state"
)

// moduleBytes returns n deterministic pseudo-random bytes (the FSM does not look inside modules).
func moduleBytes(n int, seed byte) []byte {
	var key [32]byte
	key[0] = seed
	b := make([]byte, n)
	_, _ = rand.NewChaCha8(key).Read(b)
	return b
}

func sha(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func testPlugin(name, version string) state.Plugin {
	return state.Plugin{Name: name, Version: version, CreatedAt: 1700000000000}
}

func pluginCommands(t *testing.T, uploadID string, p state.Plugin, wasm []byte) []Command {
	t.Helper()
	cmds, err := PluginCommands(uploadID, p, wasm)
	if err != nil {
		t.Fatalf("plugin commands: %v", err)
	}
	return cmds
}

// pushPlugin applies every command of a plugin upload and returns the PutPlugin result.
func (h *fsmHarness) pushPlugin(uploadID string, p state.Plugin, wasm []byte) PutPluginResult {
	h.t.Helper()
	var res any
	for _, c := range pluginCommands(h.t, uploadID, p, wasm) {
		res = h.must(c)
	}
	return res.(PutPluginResult)
}

func TestPluginCommandsChunking(t *testing.T) {
	tests := []struct {
		name       string
		size       int
		wantChunks int
	}{
		{"one byte", 1, 1},
		{"exactly one chunk", MaxChunk, 1},
		{"one byte more", MaxChunk + 1, 2},
		{"largest module", MaxPluginSize, MaxPluginSize / MaxChunk},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wasm := moduleBytes(tt.size, 1)
			cmds := pluginCommands(t, "up1", testPlugin("hdr", "1.0.0"), wasm)
			if got := len(cmds) - 1; got != tt.wantChunks {
				t.Fatalf("got %d chunks, want %d", got, tt.wantChunks)
			}
			var joined []byte
			for i, c := range cmds {
				entry, err := encodeEntry(fmt.Sprintf("req-%d", i), c)
				if err != nil || len(entry) >= maxEntrySize {
					t.Fatalf("command %d: got %d-byte entry (%v), want less than %d bytes", i, len(entry), err, maxEntrySize)
				}
				if ch, ok := c.(*PutPluginChunk); ok {
					joined = append(joined, ch.Data...)
				}
			}
			put := cmds[len(cmds)-1].(*PutPlugin)
			if !bytes.Equal(joined, wasm) || put.Plugin.SHA256 != sha(wasm) || put.Plugin.Size != int64(tt.size) {
				t.Errorf("got %d bytes, sha %s size %d; want the module, sha %s size %d",
					len(joined), put.Plugin.SHA256, put.Plugin.Size, sha(wasm), tt.size)
			}
		})
	}
}

func TestPluginCommandsRefusals(t *testing.T) {
	tests := []struct {
		name     string
		uploadID string
		p        state.Plugin
		size     int
	}{
		{"no upload id", "", testPlugin("hdr", "1.0.0"), 10},
		{"no name", "up1", testPlugin("", "1.0.0"), 10},
		{"empty module", "up1", testPlugin("hdr", "1.0.0"), 0},
		{"too large", "up1", testPlugin("hdr", "1.0.0"), MaxPluginSize + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := PluginCommands(tt.uploadID, tt.p, make([]byte, tt.size)); applyCode(err) != CodeInvalid {
				t.Errorf("got %v, want invalid", err)
			}
		})
	}
}

func TestPluginPushAndShare(t *testing.T) {
	h := newFSMHarness(t)
	wasm := moduleBytes(2*MaxChunk+100, 2)
	res := h.pushPlugin("up1", testPlugin("hdr", "1.0.0"), wasm)
	st := h.f.state()
	if !res.Changed || res.Plugin.SHA256 != sha(wasm) || st.Plugins["hdr@1.0.0"] == nil {
		t.Fatalf("got %+v, want hdr@1.0.0 stored", res)
	}
	if !bytes.Equal(st.Blobs[sha(wasm)], wasm) || len(st.Uploads) != 0 {
		t.Fatalf("got blob of %d bytes and %d uploads, want the module and no upload", len(st.Blobs[sha(wasm)]), len(st.Uploads))
	}

	// The same module again, without an upload: unchanged for the same version, a new version shares the blob.
	again := h.must(&PutPlugin{Plugin: res.Plugin}).(PutPluginResult)
	second := res.Plugin
	second.Version = "1.0.1"
	shared := h.must(&PutPlugin{Plugin: second}).(PutPluginResult)
	if again.Changed || !shared.Changed || len(h.f.state().Blobs) != 1 {
		t.Errorf("got changed %v and %v with %d blobs, want false, true and one blob", again.Changed, shared.Changed,
			len(h.f.state().Blobs))
	}
	h.must(&DeletePlugin{Name: "hdr", Version: "1.0.0"})
	if _, ok := h.f.state().Blobs[sha(wasm)]; !ok {
		t.Errorf("got the blob dropped while hdr@1.0.1 uses it, want it kept")
	}
	h.must(&DeletePlugin{Name: "hdr", Version: "1.0.1"})
	if st := h.f.state(); len(st.Blobs) != 0 || len(st.Plugins) != 0 {
		t.Errorf("got %d blobs %d plugins, want none", len(st.Blobs), len(st.Plugins))
	}
}

func TestPluginChunksRepeatedAndRetried(t *testing.T) {
	h := newFSMHarness(t)
	wasm := moduleBytes(MaxChunk+1, 3)
	cmds := pluginCommands(t, "up1", testPlugin("hdr", "1.0.0"), wasm)
	first := h.applyIDMust("c0", cmds[0])
	repeated := h.must(cmds[0]) // same chunk, another request: ignored
	retried := h.applyIDMust("c0", cmds[0])
	for _, got := range []any{first, repeated, retried} {
		if got != (PutPluginChunkResult{Received: 1, Total: 2}) {
			t.Errorf("got %+v, want 1 of 2 chunks", got)
		}
	}
	h.applyIDMust("c1", cmds[1])
	put := h.applyIDMust("put", cmds[2]).(PutPluginResult)
	replayed := h.applyIDMust("put", cmds[2]).(PutPluginResult)
	if !put.Changed || replayed != put {
		t.Errorf("got %+v then %+v, want the first result again", put, replayed)
	}
	if got := h.applyIDMust("c1", cmds[1]); got != (PutPluginChunkResult{Received: 2, Total: 2}) {
		t.Errorf("got %+v for a retried chunk of a completed upload, want 2 of 2", got)
	}
}

func (h *fsmHarness) applyIDMust(requestID string, cmd Command) any {
	h.t.Helper()
	res, err := h.applyID(requestID, cmd)
	if err != nil {
		h.t.Fatalf("applying %s as %s: %v", cmd.Kind(), requestID, err)
	}
	return res
}

func TestPluginUploadsExpire(t *testing.T) {
	h := newFSMHarness(t)
	cmds := pluginCommands(t, "up1", testPlugin("hdr", "1.0.0"), moduleBytes(MaxChunk+1, 4))
	h.must(cmds[0])
	h.index += uploadWindow - 2 // the next entry is still within the window
	h.must(cmds[1])
	if len(h.f.state().Uploads) != 1 {
		t.Fatalf("got %d uploads, want the upload kept within its window", len(h.f.state().Uploads))
	}
	h.index++ // the next entry is uploadWindow indices after the first chunk
	_, err := h.apply(cmds[2])
	if applyCode(err) != CodeInvalid || !strings.Contains(err.Error(), "not in progress") {
		t.Errorf("got %v, want the put refused for the expired upload", err)
	}
	h.must(&PutPluginChunk{UploadID: "other", SHA256: sha([]byte{1}), Size: 1, Total: 1, Data: []byte{1}})
	if st := h.f.state(); st.Uploads["up1"] != nil || st.Uploads["other"] == nil {
		t.Errorf("got uploads %v, want only the new one", st.Uploads)
	}
}

func TestPluginRefusals(t *testing.T) {
	wasm := moduleBytes(MaxChunk+10, 5)
	sum := sha(wasm)
	chunk := func(edit func(*PutPluginChunk)) *PutPluginChunk {
		c := &PutPluginChunk{UploadID: "up1", SHA256: sum, Size: int64(len(wasm)), Seq: 1, Total: 2, Data: wasm[MaxChunk:]}
		if edit != nil {
			edit(c)
		}
		return c
	}
	put := func(edit func(*state.Plugin), uploadID string) *PutPlugin {
		p := testPlugin("hdr", "2.0.0")
		p.SHA256, p.Size = sum, int64(len(wasm))
		if edit != nil {
			edit(&p)
		}
		return &PutPlugin{Plugin: p, UploadID: uploadID}
	}
	other := moduleBytes(100, 6)
	tests := []struct {
		name  string
		setup func(h *fsmHarness)
		cmd   Command
		code  string
		msg   string
	}{
		{"chunk without upload id", nil, chunk(func(c *PutPluginChunk) { c.UploadID = "" }), CodeInvalid, "upload id is required"},
		{"chunk with a bad sha256", nil, chunk(func(c *PutPluginChunk) { c.SHA256 = strings.ToUpper(sum) }), CodeInvalid, "not 64 lowercase hex"},
		{"chunk of an empty module", nil, chunk(func(c *PutPluginChunk) { c.Size = 0 }), CodeInvalid, "module size 0"},
		{"chunk of a too large module", nil, chunk(func(c *PutPluginChunk) { c.Size = MaxPluginSize + 1 }), CodeInvalid, "module size"},
		{"too few chunks for the size", nil, chunk(func(c *PutPluginChunk) { c.Total, c.Seq = 1, 0 }), CodeInvalid, "1 chunks cannot carry"},
		{"seq out of range", nil, chunk(func(c *PutPluginChunk) { c.Seq = 2 }), CodeInvalid, "seq 2 is not within [0, 2)"},
		{"negative seq", nil, chunk(func(c *PutPluginChunk) { c.Seq = -1 }), CodeInvalid, "seq -1"},
		{"empty chunk", nil, chunk(func(c *PutPluginChunk) { c.Data = nil }), CodeInvalid, "0 bytes of data"},
		{"chunk too large", nil, chunk(func(c *PutPluginChunk) { c.Data = make([]byte, MaxChunk+1) }), CodeInvalid, "bytes of data"},
		{"chunk disagrees with its upload", func(h *fsmHarness) { h.must(chunk(nil)) },
			chunk(func(c *PutPluginChunk) { c.Size++ }), CodeConflict, "does not match the upload"},
		{"too many uploads", func(h *fsmHarness) {
			for i := range maxUploads {
				h.must(chunk(func(c *PutPluginChunk) { c.UploadID = fmt.Sprint("u", i) }))
			}
		}, chunk(nil), CodeConflict, "uploads are in progress"},
		{"plugin name with @", nil, put(func(p *state.Plugin) { p.Name = "a@b" }, "up1"), CodeInvalid, `plugin name "a@b"`},
		{"plugin without version", nil, put(func(p *state.Plugin) { p.Version = "" }, "up1"), CodeInvalid, "plugin version"},
		{"plugin with a bad sha256", nil, put(func(p *state.Plugin) { p.SHA256 = "abc" }, "up1"), CodeInvalid, `sha256 "abc"`},
		{"plugin too large", nil, put(func(p *state.Plugin) { p.Size = MaxPluginSize + 1 }, "up1"), CodeInvalid, "module size"},
		{"module neither stored nor uploaded", nil, put(nil, ""), CodeInvalid, "is not stored and upload"},
		{"upload incomplete", func(h *fsmHarness) { h.must(chunk(nil)) }, put(nil, "up1"), CodeInvalid, "has 1 of 2 chunks"},
		{"upload for another module", func(h *fsmHarness) { h.must(chunk(nil)) },
			put(func(p *state.Plugin) { p.SHA256 = sha(other) }, "up1"), CodeInvalid, "upload \"up1\" is for module"},
		{"chunks do not hash to the digest", func(h *fsmHarness) {
			h.must(chunk(func(c *PutPluginChunk) { c.Seq, c.Data = 0, make([]byte, MaxChunk) }))
			h.must(chunk(nil))
		}, put(nil, "up1"), CodeInvalid, "assembles"},
		{"same version, another module", func(h *fsmHarness) { h.pushPlugin("up0", testPlugin("hdr", "2.0.0"), other) },
			put(nil, "up1"), CodeConflict, "plugin hdr@2.0.0 already exists with another module; push a new version"},
		{"delete an absent plugin", nil, &DeletePlugin{Name: "hdr", Version: "9"}, CodeNotFound, "plugin hdr@9"},
		{"delete a plugin an operation uses", func(h *fsmHarness) {
			h.pushPlugin("up0", testPlugin("hdr", "2.0.0"), other)
			h.must(&PutAPI{API: testAPI(t, func(a *state.API) {
				a.Operations[1].Policies.Response = []state.PolicyRef{{Name: "cors"}, {Name: "hdr", Version: "2.0.0"}}
			})})
		}, &DeletePlugin{Name: "hdr", Version: "2.0.0"}, CodeConflict, "used by API greet 1.0 (operations[1] response policies)"},
		{"delete a plugin an API uses", func(h *fsmHarness) {
			h.pushPlugin("up0", testPlugin("hdr", "2.0.0"), other)
			h.must(&PutAPI{API: testAPI(t, func(a *state.API) {
				a.Policies.Fault = []state.PolicyRef{{Name: "hdr", Version: "2.0.0"}}
			})})
		}, &DeletePlugin{Name: "hdr", Version: "2.0.0"}, CodeConflict, "used by API greet 1.0 (api fault policies)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newFSMHarness(t)
			if tt.setup != nil {
				tt.setup(h)
			}
			before := h.f.state()
			_, err := h.apply(tt.cmd)
			if applyCode(err) != tt.code || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("got %v, want %s naming %q", err, tt.code, tt.msg)
			}
			if h.f.state() != before {
				t.Errorf("got a new state after a refusal, want none")
			}
		})
	}
}

func TestPluginsSurviveSnapshot(t *testing.T) {
	a := populated(t)
	wasm := moduleBytes(MaxChunk*3/2, 7)
	a.pushPlugin("up1", testPlugin("hdr", "1.0.0"), wasm)
	partial := pluginCommands(t, "up2", testPlugin("hdr", "1.1.0"), moduleBytes(MaxChunk+5, 8))
	a.must(partial[1])
	a.must(&RegisterNode{Node: state.Node{ID: "node1", RaftAddr: "127.0.0.1:7001", AdminURL: "http://127.0.0.1:8001"}})
	sink := persist(t, a.f)

	b := newFSMHarness(t)
	b.seq, b.index = a.seq, a.index // go on with a's request IDs and indices
	if err := b.f.Restore(io.NopCloser(&sink.Buffer)); err != nil {
		t.Fatalf("restore: %v", err)
	}
	st := b.f.state()
	if !bytes.Equal(st.Blobs[sha(wasm)], wasm) {
		t.Errorf("got a blob of %d bytes after restore, want the module byte-identical", len(st.Blobs[sha(wasm)]))
	}
	if got, want := stateJSON(t, st), stateJSON(t, a.f.state()); got != want {
		t.Errorf("got restored state\n%.2000s\nwant\n%.2000s", got, want)
	}
	// The upload in progress completes on the restored state.
	b.must(partial[0])
	if res := b.must(partial[2]).(PutPluginResult); !res.Changed {
		t.Errorf("got %+v, want hdr@1.1.0 stored", res)
	}
}

func TestFollowerInstallsSnapshotWithPlugins(t *testing.T) {
	stores := newCluster(t, 1, func(_ int, cfg *Config) { cfg.SnapshotThreshold, cfg.TrailingLogs = 4, 2 })
	leader := stores[0]
	wasm := moduleBytes(2*MaxChunk+3, 9)
	for i, c := range pluginCommands(t, "up1", testPlugin("hdr", "1.0.0"), wasm) {
		mustApply(t, leader, fmt.Sprint("p", i), c)
	}
	for i := range 4 {
		mustApply(t, leader, fmt.Sprint("a", i), testApp(fmt.Sprint("app", i), fmt.Sprint("name", i)))
	}
	if err := leader.Snapshot(); err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	if first, err := leader.logs.FirstIndex(); err != nil || first <= 3 {
		t.Fatalf("got first log index %d (%v), want the plugin entries compacted", first, err)
	}
	cfg := testConfig(t, t.TempDir(), false)
	cfg.ID = "node2"
	follower := openStore(t, cfg)
	mustJoin(t, leader, "node2", follower.Addr())
	// raft records the installed snapshot just after the FSM has restored it: wait for both.
	waitFor(t, "follower has the plugin from an installed snapshot", func() bool {
		return follower.State().Plugins["hdr@1.0.0"] != nil && follower.lastSnapshotIndex() != 0
	})
	if !bytes.Equal(follower.State().Blobs[sha(wasm)], wasm) {
		t.Errorf("got a follower blob of %d bytes, want the module byte-identical", len(follower.State().Blobs[sha(wasm)]))
	}
	if follower.lastSnapshotIndex() == 0 {
		t.Errorf("got no snapshot on the follower, want it installed from the leader")
	}
}
