package raftstore

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"

	"portico/raftstore/state"
)

// PluginCommands splits wasm into PutPluginChunk commands of at most MaxChunk bytes and a final PutPlugin; it fills
// p.SHA256 and p.Size. uploadID names the upload (the caller passes its idempotency key). Each command is applied
// with its own request ID, in order.
func PluginCommands(uploadID string, p state.Plugin, wasm []byte) ([]Command, error) {
	if uploadID == "" || p.Name == "" || p.Version == "" {
		return nil, invalid("upload id, plugin name and version are required")
	}
	if len(wasm) == 0 || len(wasm) > MaxPluginSize {
		return nil, invalid("plugin module is %d bytes, want 1 to %d", len(wasm), MaxPluginSize)
	}
	sum := sha256.Sum256(wasm)
	p.SHA256, p.Size = hex.EncodeToString(sum[:]), int64(len(wasm))
	total := (len(wasm) + MaxChunk - 1) / MaxChunk
	cmds := make([]Command, 0, total+1)
	for seq := range total {
		data := wasm[seq*MaxChunk : min((seq+1)*MaxChunk, len(wasm))]
		cmds = append(cmds, &PutPluginChunk{
			UploadID: uploadID, SHA256: p.SHA256, Size: p.Size, Seq: seq, Total: total, Data: data,
		})
	}
	return append(cmds, &PutPlugin{Plugin: p, UploadID: uploadID}), nil
}

const (
	// uploadWindow is how many log indices an upload may take from its first chunk to its PutPlugin; older uploads
	// are dropped when a plugin command is applied.
	uploadWindow = 1000
	// maxUploads bounds the uploads in progress at once.
	maxUploads = 16
	// maxChunks is the most chunks an upload may have.
	maxChunks = (MaxPluginSize + MaxChunk - 1) / MaxChunk
	// maxPluginName bounds a plugin's name and version.
	maxPluginName = 128
)

// putPluginChunk adds one chunk to an upload, starting the upload with its first chunk. A chunk already received is
// ignored.
func putPluginChunk(next *state.State, c *PutPluginChunk, rec *state.Request) (any, error) {
	pruneUploads(next, rec.Index)
	if err := checkChunk(c); err != nil {
		return nil, err
	}
	rec.Ref = c.UploadID
	up := next.Uploads[c.UploadID]
	if up == nil {
		if len(next.Uploads) >= maxUploads {
			return nil, conflict("%d plugin uploads are in progress; retry later", len(next.Uploads))
		}
		up = &state.Upload{SHA256: c.SHA256, Size: c.Size, Total: c.Total, Chunks: make([][]byte, c.Total),
			StartIndex: rec.Index}
	}
	if up.SHA256 != c.SHA256 || up.Size != c.Size || up.Total != c.Total {
		return nil, conflict("chunk of upload %q (sha256 %s, %d bytes, %d chunks) does not match the upload "+
			"(sha256 %s, %d bytes, %d chunks)", c.UploadID, c.SHA256, c.Size, c.Total, up.SHA256, up.Size, up.Total)
	}
	if up.Chunks[c.Seq] == nil {
		nu := *up
		nu.Chunks = slices.Clone(up.Chunks)
		nu.Chunks[c.Seq] = c.Data
		next.Uploads = maps.Clone(next.Uploads)
		next.Uploads[c.UploadID] = &nu
		up = &nu
	}
	return chunkResult(up), nil
}

// checkChunk validates a chunk on its own.
func checkChunk(c *PutPluginChunk) error {
	switch {
	case c.UploadID == "":
		return invalid("plugin chunk: upload id is required")
	case !isSHA256(c.SHA256):
		return invalid("plugin chunk: sha256 %q is not 64 lowercase hex digits", c.SHA256)
	case c.Size <= 0 || c.Size > MaxPluginSize:
		return invalid("plugin chunk: module size %d is not within 1 to %d bytes", c.Size, MaxPluginSize)
	case c.Total <= 0 || c.Total > maxChunks || int64(c.Total) > c.Size || int64(c.Total)*MaxChunk < c.Size:
		return invalid("plugin chunk: %d chunks cannot carry %d bytes of at most %d each", c.Total, c.Size, MaxChunk)
	case c.Seq < 0 || c.Seq >= c.Total:
		return invalid("plugin chunk: seq %d is not within [0, %d)", c.Seq, c.Total)
	case len(c.Data) == 0 || len(c.Data) > MaxChunk:
		return invalid("plugin chunk: %d bytes of data, want 1 to %d", len(c.Data), MaxChunk)
	}
	return nil
}

func chunkResult(up *state.Upload) PutPluginChunkResult {
	n := 0
	for _, ch := range up.Chunks {
		if ch != nil {
			n++
		}
	}
	return PutPluginChunkResult{Received: n, Total: up.Total}
}

// pruneUploads drops the uploads started uploadWindow or more indices before index.
func pruneUploads(next *state.State, index uint64) {
	next.Uploads = deleteWhere(next.Uploads, func(u *state.Upload) bool { return u.StartIndex+uploadWindow <= index })
}

// putPlugin stores a plugin version with its module, taken from the blobs if the same module is stored already,
// else assembled from the completed upload.
func putPlugin(next *state.State, c *PutPlugin, rec *state.Request) (any, error) {
	pruneUploads(next, rec.Index)
	p := c.Plugin
	if err := checkPlugin(&p); err != nil {
		return nil, err
	}
	key := state.PluginKey(p.Name, p.Version)
	rec.Ref = key
	if cur, ok := next.Plugins[key]; ok {
		if cur.SHA256 != p.SHA256 {
			return nil, conflict("plugin %s already exists with another module; push a new version", key)
		}
		dropUpload(next, c.UploadID)
		return PutPluginResult{Plugin: *cur, Changed: false}, nil
	}
	if err := storeBlob(next, &p, c.UploadID); err != nil {
		return nil, err
	}
	next.Plugins = maps.Clone(next.Plugins)
	next.Plugins[key] = &p
	rec.Changed = true
	return PutPluginResult{Plugin: p, Changed: true}, nil
}

// checkPlugin validates a plugin's identity and module digest.
func checkPlugin(p *state.Plugin) error {
	if err := checkName("name", p.Name); err != nil {
		return err
	}
	if err := checkName("version", p.Version); err != nil {
		return err
	}
	key := state.PluginKey(p.Name, p.Version)
	if !isSHA256(p.SHA256) {
		return invalid("plugin %s: sha256 %q is not 64 lowercase hex digits", key, p.SHA256)
	}
	if p.Size <= 0 || p.Size > MaxPluginSize {
		return invalid("plugin %s: module size %d is not within 1 to %d bytes", key, p.Size, MaxPluginSize)
	}
	return nil
}

func checkName(field, v string) error {
	if v == "" || len(v) > maxPluginName || strings.ContainsFunc(v, badNameRune) {
		return invalid("plugin %s %q: want 1 to %d characters without '@', '/', spaces or control characters",
			field, v, maxPluginName)
	}
	return nil
}

func badNameRune(r rune) bool {
	return r == '@' || r == '/' || unicode.IsSpace(r) || unicode.IsControl(r)
}

func isSHA256(s string) bool {
	return len(s) == sha256.Size*2 && !strings.ContainsFunc(s, func(r rune) bool {
		return (r < '0' || r > '9') && (r < 'a' || r > 'f')
	})
}

// storeBlob makes sure Blobs holds p's module: already there (the upload, if any, is dropped) or assembled from the
// completed upload, checked against p's size and digest.
func storeBlob(next *state.State, p *state.Plugin, uploadID string) error {
	key := state.PluginKey(p.Name, p.Version)
	if _, ok := next.Blobs[p.SHA256]; ok {
		dropUpload(next, uploadID)
		return nil
	}
	up, ok := next.Uploads[uploadID]
	if uploadID == "" || !ok {
		return invalid("plugin %s: module %s is not stored and upload %q is not in progress (never started or "+
			"expired)", key, p.SHA256, uploadID)
	}
	if up.SHA256 != p.SHA256 || up.Size != p.Size {
		return invalid("plugin %s: upload %q is for module %s of %d bytes, not %s of %d bytes", key, uploadID,
			up.SHA256, up.Size, p.SHA256, p.Size)
	}
	if res := chunkResult(up); res.Received != res.Total {
		return invalid("plugin %s: upload %q has %d of %d chunks", key, uploadID, res.Received, res.Total)
	}
	data := bytes.Join(up.Chunks, nil)
	if sum := sha256.Sum256(data); int64(len(data)) != p.Size || hex.EncodeToString(sum[:]) != p.SHA256 {
		return invalid("plugin %s: upload %q assembles %d bytes with sha256 %x, want %d bytes with sha256 %s", key,
			uploadID, len(data), sum, p.Size, p.SHA256)
	}
	next.Blobs = maps.Clone(next.Blobs)
	next.Blobs[p.SHA256] = data
	dropUpload(next, uploadID)
	return nil
}

func dropUpload(next *state.State, uploadID string) {
	if _, ok := next.Uploads[uploadID]; ok {
		next.Uploads = maps.Clone(next.Uploads)
		delete(next.Uploads, uploadID)
	}
}

// deletePlugin removes a plugin version no API uses, and its module once no other version shares it.
func deletePlugin(next *state.State, c *DeletePlugin, rec *state.Request) (any, error) {
	pruneUploads(next, rec.Index)
	key := state.PluginKey(c.Name, c.Version)
	p, ok := next.Plugins[key]
	if !ok {
		return nil, notFound("plugin %s", key)
	}
	if use := pluginUse(next, c.Name, c.Version); use != "" {
		return nil, conflict("plugin %s is used by %s", key, use)
	}
	next.Plugins = maps.Clone(next.Plugins)
	delete(next.Plugins, key)
	shared := false
	for _, o := range next.Plugins {
		shared = shared || o.SHA256 == p.SHA256
	}
	if _, ok := next.Blobs[p.SHA256]; ok && !shared {
		next.Blobs = maps.Clone(next.Blobs)
		delete(next.Blobs, p.SHA256)
	}
	return DeleteResult{Deleted: true}, nil
}

// pluginUse names the first API (by name and version) with a policy attachment of the plugin version and where it
// is attached, or "".
func pluginUse(st *state.State, name, version string) string {
	for _, a := range st.SortedAPIs() {
		if where := policiesUse(a.Policies, name, version); where != "" {
			return fmt.Sprintf("API %s %s (api %s policies)", a.Name, a.Version, where)
		}
		for i, op := range a.Operations {
			if where := policiesUse(op.Policies, name, version); where != "" {
				return fmt.Sprintf("API %s %s (operations[%d] %s policies)", a.Name, a.Version, i, where)
			}
		}
	}
	return ""
}

// policiesUse names the first phase attaching the plugin version, or "".
func policiesUse(p state.Policies, name, version string) string {
	uses := func(r state.PolicyRef) bool { return r.Name == name && r.Version == version }
	switch {
	case slices.ContainsFunc(p.Request, uses):
		return "request"
	case slices.ContainsFunc(p.Response, uses):
		return "response"
	case slices.ContainsFunc(p.Fault, uses):
		return "fault"
	}
	return ""
}

// Replays of the plugin commands, from the current state.

func replayPutPluginChunk(cur *state.State, c *PutPluginChunk, _ state.Request) any {
	if up, ok := cur.Uploads[c.UploadID]; ok {
		return chunkResult(up)
	}
	return PutPluginChunkResult{Received: c.Total, Total: c.Total} // completed (or expired) since
}

func replayPutPlugin(cur *state.State, c *PutPlugin, rec state.Request) any {
	p := c.Plugin
	if stored, ok := cur.Plugins[rec.Ref]; ok {
		p = *stored
	}
	return PutPluginResult{Plugin: p, Changed: rec.Changed}
}
