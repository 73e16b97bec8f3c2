package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"portico/raftstore/state"
)

// Deployed answers a deploy. Index is the raft index of the change; Propagation says which nodes serve it, when the
// deploy waited for them.
type Deployed struct {
	Name        string       `json:"name"`
	Version     string       `json:"version"`
	Context     string       `json:"context"`
	Lifecycle   string       `json:"lifecycle"`
	Revision    int          `json:"revision"`
	Changed     bool         `json:"changed"`
	URLs        []string     `json:"urls"`
	Index       uint64       `json:"index,omitempty"`
	Propagation *Propagation `json:"propagation,omitempty"`
}

// Wait modes of a deploy: return once all nodes, a quorum of voters or only the leader serve the change.
const (
	WaitAll    = "all"
	WaitQuorum = "quorum"
	WaitNone   = "none"
)

// Propagation is how far a deployed change has reached the nodes; Complete is false when the wait ran out first.
type Propagation struct {
	Wait     string    `json:"wait"`
	Complete bool      `json:"complete"`
	Nodes    []NodeLag `json:"nodes"`
}

// NodeLag is whether one node serves a change, and how long it took.
type NodeLag struct {
	ID          string  `json:"id"`
	ServedIndex uint64  `json:"servedIndex,omitempty"`
	LagMs       float64 `json:"lagMs,omitempty"`
	OK          bool    `json:"ok"`
	Error       string  `json:"error,omitempty"`
}

// APISummary is an API version in a listing.
type APISummary struct {
	Name      string   `json:"name"`
	Version   string   `json:"version"`
	Context   string   `json:"context"`
	Lifecycle string   `json:"lifecycle"`
	Revision  int      `json:"revision"`
	URLs      []string `json:"urls"`
}

// API is a whole API version with its invocation URLs.
type API struct {
	state.API
	URLs []string `json:"urls"`
}

// App is an application: its owner and the users it is shared with (read-only).
type App struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Owner       string   `json:"owner"`
	SharedWith  []string `json:"sharedWith,omitempty"`
	CreatedAt   int64    `json:"createdAt"`
}

// Key is an API key in a listing: never the key itself.
type Key struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	App       string `json:"app"`
	AppID     string `json:"appId"`
	API       string `json:"api"`
	Major     int    `json:"major"`
	Env       string `json:"env"`
	CreatedAt int64  `json:"createdAt"`
	ExpiresAt int64  `json:"expiresAt,omitempty"`
}

// CreatedKey is a new API key: the only time its value is shown.
type CreatedKey struct {
	Key
	Value        string `json:"key"`
	Subscription string `json:"subscription"`
}

// KeyRequest asks for a new API key. Major nil means the API's highest deployed major version.
type KeyRequest struct {
	App   string `json:"app"`
	API   string `json:"api"`
	Major *int   `json:"major,omitempty"`
	Env   string `json:"env,omitempty"`
	Name  string `json:"name,omitempty"`
	Plan  string `json:"plan,omitempty"`
}

// Deleted answers a delete.
type Deleted struct {
	ID      string `json:"id,omitempty"`
	Name    string `json:"name,omitempty"`
	Version string `json:"version,omitempty"`
	Deleted bool   `json:"deleted"`
}

// OpenAPIOptions are what an OpenAPI document does not say about the API to create from it.
type OpenAPIOptions struct {
	Name, Version, Context, Backend, Lifecycle string
	Security                                   []string
}

// Deploy creates or updates an API version from an API file; ctype is application/yaml or application/json. wait is
// WaitAll, WaitQuorum or WaitNone ("" = WaitNone): with all or quorum the answer says which nodes serve the change.
func (c *Client) Deploy(ctx context.Context, file []byte, ctype, wait string) (*Deployed, error) {
	return one[Deployed](ctx, c, call{method: http.MethodPost, path: "/v1/apis", query: waitQuery(nil, wait),
		ctype: ctype, body: file})
}

// DeployOpenAPI creates or updates an API version from an OpenAPI 3 or Swagger 2 document; wait is as for Deploy.
func (c *Client) DeployOpenAPI(ctx context.Context, doc []byte, ctype, wait string, o OpenAPIOptions) (*Deployed,
	error) {
	q := url.Values{"name": {o.Name}, "version": {o.Version}, "context": {o.Context}, "backend": {o.Backend}}
	if o.Lifecycle != "" {
		q.Set("lifecycle", o.Lifecycle)
	}
	if len(o.Security) > 0 {
		q.Set("security", strings.Join(o.Security, ","))
	}
	return one[Deployed](ctx, c, call{method: http.MethodPost, path: "/v1/apis/openapi", query: waitQuery(q, wait),
		ctype: ctype, body: doc})
}

// waitQuery adds wait to q unless it is none, the server's default.
func waitQuery(q url.Values, wait string) url.Values {
	if wait == "" || wait == WaitNone {
		return q
	}
	if q == nil {
		q = url.Values{}
	}
	q.Set("wait", wait)
	return q
}

// ListAPIs lists every API version, sorted by name and version.
func (c *Client) ListAPIs(ctx context.Context) ([]APISummary, error) {
	return list[APISummary](ctx, c, call{method: http.MethodGet, path: "/v1/apis"})
}

// GetAPI returns one API version.
func (c *Client) GetAPI(ctx context.Context, name, version string) (*API, error) {
	return one[API](ctx, c, call{method: http.MethodGet, path: apiPath(name, version)})
}

// DeleteAPI removes one API version.
func (c *Client) DeleteAPI(ctx context.Context, name, version string) (*Deleted, error) {
	return one[Deleted](ctx, c, call{method: http.MethodDelete, path: apiPath(name, version)})
}

func apiPath(name, version string) string {
	return "/v1/apis/" + url.PathEscape(name) + "/" + url.PathEscape(version)
}

// CreateApp creates an application.
func (c *Client) CreateApp(ctx context.Context, name, description string) (*App, error) {
	body, err := json.Marshal(map[string]string{"name": name, "description": description})
	if err != nil {
		return nil, fmt.Errorf("encoding the application: %w", err)
	}
	return one[App](ctx, c, call{method: http.MethodPost, path: "/v1/apps", ctype: "application/json", body: body})
}

// ListApps lists the applications.
func (c *Client) ListApps(ctx context.Context) ([]App, error) {
	return list[App](ctx, c, call{method: http.MethodGet, path: "/v1/apps"})
}

// DeleteApp removes an application (by name or ID) with its keys and subscriptions.
func (c *Client) DeleteApp(ctx context.Context, app string) (*Deleted, error) {
	return one[Deleted](ctx, c, call{method: http.MethodDelete, path: "/v1/apps/" + url.PathEscape(app)})
}

// CreateKey creates an API key.
func (c *Client) CreateKey(ctx context.Context, r KeyRequest) (*CreatedKey, error) {
	body, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encoding the key request: %w", err)
	}
	return one[CreatedKey](ctx, c, call{method: http.MethodPost, path: "/v1/keys", ctype: "application/json",
		body: body})
}

// ListKeys lists API keys, of one application (name or ID) if app is not empty.
func (c *Client) ListKeys(ctx context.Context, app string) ([]Key, error) {
	return list[Key](ctx, c, call{method: http.MethodGet, path: "/v1/keys", query: appQuery(app)})
}

// DeleteKey revokes an API key.
func (c *Client) DeleteKey(ctx context.Context, id string) (*Deleted, error) {
	return one[Deleted](ctx, c, call{method: http.MethodDelete, path: "/v1/keys/" + url.PathEscape(id)})
}

// one makes a call answered by a JSON object.
func one[T any](ctx context.Context, c *Client, cl call) (*T, error) {
	var out T
	cl.out = &out
	if err := c.do(ctx, cl); err != nil {
		return nil, err
	}
	return &out, nil
}

// list makes a call answered by a JSON array; the result is never nil on success.
func list[T any](ctx context.Context, c *Client, cl call) ([]T, error) {
	out := []T{}
	cl.out = &out
	if err := c.do(ctx, cl); err != nil {
		return nil, err
	}
	if out == nil {
		out = []T{}
	}
	return out, nil
}
