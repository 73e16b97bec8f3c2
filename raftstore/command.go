package raftstore

import "portico/raftstore/state"

// Command is a typed change to the replicated state. Every field a command needs (IDs, times, hashes) is filled in by
// the proposer, so that applying it is deterministic on every node.
type Command interface {
	// Kind is the command's type tag in the log.
	Kind() string
}

// PutAPI creates an API version or updates it. If the new definition equals the current one (ignoring the fields the
// cluster assigns) nothing changes and the current revision is returned; otherwise the revision increases by one. A
// new API version may start in any lifecycle state; an update that changes the lifecycle must follow the lifecycle
// table like SetLifecycle.
type PutAPI struct {
	API state.API `json:"api"`
}

// DeleteAPI removes an API version. Its API keys stay (they are bound to the API name and major), its revisions and
// documents go.
type DeleteAPI struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// CreateApp creates an application; Owner is set by the proposer. The name must be unique among the owner's
// applications (payload version 2; version 1 entries in old logs required it unique cluster-wide).
type CreateApp struct {
	App state.Application `json:"app"`
}

// DeleteApp removes an application with its keys, subscriptions and client credentials.
type DeleteApp struct {
	ID string `json:"id"`
}

// CreateKey stores a new API key. If Subscription is set and the application has no subscription to the key's API
// major version, the subscription is created in the same step under the rules of CreateSubscription (API lifecycle,
// plan).
type CreateKey struct {
	Key          state.APIKey        `json:"key"`
	Subscription *state.Subscription `json:"subscription,omitempty"`
}

// DeleteKey revokes an API key at once.
type DeleteKey struct {
	ID string `json:"id"`
}

// CreateAdminToken stores a new admin token (hashed). A token with a User acts as that user, who must exist; one
// without is a bootstrap token and acts as an admin.
type CreateAdminToken struct {
	Token state.AdminToken `json:"token"`
}

// Kind implementations: the tags written to the log. Never change a tag once released.
func (PutAPI) Kind() string           { return "api.put" }
func (DeleteAPI) Kind() string        { return "api.delete" }
func (CreateApp) Kind() string        { return "app.create" }
func (DeleteApp) Kind() string        { return "app.delete" }
func (CreateKey) Kind() string        { return "key.create" }
func (DeleteKey) Kind() string        { return "key.delete" }
func (CreateAdminToken) Kind() string { return "admintoken.create" }

// RegisterNode records (or updates) a cluster member in the node registry. Registering the same values again changes
// nothing.
type RegisterNode struct {
	Node state.Node `json:"node"`
}

// DeregisterNode removes a cluster member from the node registry.
type DeregisterNode struct {
	ID string `json:"id"`
}

// Limits of pushed plugin modules.
const (
	// MaxChunk is the most module bytes one PutPluginChunk carries: base64 in JSON keeps the entry under the 512 KiB
	// entry limit.
	MaxChunk = 256 << 10
	// MaxPluginSize is the largest module accepted.
	MaxPluginSize = 16 << 20
)

// PutPluginChunk carries one piece of a module upload. Every chunk of an upload repeats the module's SHA256, Size
// and the number of chunks (Total); Seq is in [0, Total). A chunk received again is ignored.
type PutPluginChunk struct {
	UploadID string `json:"uploadId"`
	SHA256   string `json:"sha256"`
	Size     int64  `json:"size"`
	Seq      int    `json:"seq"`
	Total    int    `json:"total"`
	Data     []byte `json:"data"`
}

// PutPlugin completes an upload and stores the plugin version. UploadID may be empty if a module with the same
// SHA256 is already stored.
type PutPlugin struct {
	Plugin   state.Plugin `json:"plugin"`
	UploadID string       `json:"uploadId,omitempty"`
}

// DeletePlugin removes a plugin version, refused while an API's policy uses it.
type DeletePlugin struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Kind implementations of the cluster and plugin commands.
func (RegisterNode) Kind() string   { return "node.register" }
func (DeregisterNode) Kind() string { return "node.deregister" }
func (PutPluginChunk) Kind() string { return "plugin.chunk" }
func (PutPlugin) Kind() string      { return "plugin.put" }
func (DeletePlugin) Kind() string   { return "plugin.delete" }
