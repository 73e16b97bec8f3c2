package client

import (
	"context"
	"net/http"
	"net/url"
)

// Plugin is a wasm module stored in the cluster.
type Plugin struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	SHA256    string `json:"sha256"`
	Size      int64  `json:"size"`
	CreatedAt int64  `json:"createdAt"`
}

// PushedPlugin answers a push; Changed is false when the cluster already held these bytes.
type PushedPlugin struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	SHA256  string `json:"sha256"`
	Size    int64  `json:"size"`
	Changed bool   `json:"changed"`
}

// DeletedPlugin answers the deletion of a plugin: "name@version".
type DeletedPlugin struct {
	Deleted string `json:"deleted"`
}

// PushPlugin stores a wasm module in the cluster as name@version.
func (c *Client) PushPlugin(ctx context.Context, name, version string, wasm []byte) (*PushedPlugin, error) {
	return one[PushedPlugin](ctx, c, call{method: http.MethodPut, path: pluginPath(name, version),
		ctype: "application/wasm", body: wasm})
}

// ListPlugins lists the stored plugins.
func (c *Client) ListPlugins(ctx context.Context) ([]Plugin, error) {
	return list[Plugin](ctx, c, call{method: http.MethodGet, path: "/v1/plugins"})
}

// DeletePlugin removes a stored plugin.
func (c *Client) DeletePlugin(ctx context.Context, name, version string) (*DeletedPlugin, error) {
	return one[DeletedPlugin](ctx, c, call{method: http.MethodDelete, path: pluginPath(name, version)})
}

func pluginPath(name, version string) string {
	return "/v1/plugins/" + url.PathEscape(name) + "/" + url.PathEscape(version)
}
