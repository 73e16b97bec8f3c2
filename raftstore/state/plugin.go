package state

// Plugin is a pushed WebAssembly policy module: its identity (name and version) and the SHA-256 of its bytes, which
// are kept once in State.Blobs however many versions share them.
type Plugin struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	SHA256    string `json:"sha256"` // lowercase hex of the module bytes
	Size      int64  `json:"size"`
	CreatedAt int64  `json:"createdAt"` // unix milliseconds, set by the proposer
}

// PluginKey is the State.Plugins key of a plugin version: name@version.
func PluginKey(name, version string) string { return name + "@" + version }

// Upload is a chunked module upload in progress: the log carries a module in several entries, each below raft's
// entry size limit, and the FSM assembles them here until the plugin is put.
type Upload struct {
	SHA256     string   `json:"sha256"`
	Size       int64    `json:"size"`
	Total      int      `json:"total"`      // number of chunks
	Chunks     [][]byte `json:"chunks"`     // by sequence number; nil where not received yet
	StartIndex uint64   `json:"startIndex"` // log index of the first chunk received; stale uploads are dropped
}
