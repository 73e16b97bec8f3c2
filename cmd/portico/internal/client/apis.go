package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// Lifecycle answers a lifecycle change: the state the API version is in now and the one it left.
type Lifecycle struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	Lifecycle string `json:"lifecycle"`
	Previous  string `json:"previous"`
}

// Consumer is an application subscribed to an API, as the API's publisher sees it.
type Consumer struct {
	Subscription string `json:"subscription"`
	App          string `json:"app"`
	AppID        string `json:"appId"`
	Owner        string `json:"owner"`
	Plan         string `json:"plan"`
	Status       string `json:"status"`
	Major        int    `json:"major"`
}

// Doc is a document of an API version in a listing.
type Doc struct {
	Name      string `json:"name"`
	UpdatedAt int64  `json:"updatedAt"`
	Size      int64  `json:"size"`
}

// SavedDoc answers the storing of a document.
type SavedDoc struct {
	Name      string `json:"name"`
	UpdatedAt int64  `json:"updatedAt"`
}

// MaxDocSize bounds a document's body.
const MaxDocSize = 256 << 10

// SetLifecycle moves an API version to a lifecycle state.
func (c *Client) SetLifecycle(ctx context.Context, name, version, to string) (*Lifecycle, error) {
	return send[Lifecycle](ctx, c, http.MethodPost, apiPath(name, version)+"/lifecycle", "the lifecycle change",
		map[string]string{"state": to})
}

// ListConsumers lists the subscriptions to every major version of an API.
func (c *Client) ListConsumers(ctx context.Context, name string) ([]Consumer, error) {
	return list[Consumer](ctx, c, call{method: http.MethodGet, path: "/v1/apis/" + url.PathEscape(name) + "/consumers"})
}

// PutDoc stores a document of an API version; ctype is text/markdown or text/plain.
func (c *Client) PutDoc(ctx context.Context, name, version, doc string, body []byte, ctype string) (*SavedDoc,
	error) {
	return one[SavedDoc](ctx, c, call{method: http.MethodPut, path: docPath(name, version, doc), ctype: ctype,
		body: body})
}

// ListDocs lists the documents of an API version.
func (c *Client) ListDocs(ctx context.Context, name, version string) ([]Doc, error) {
	return list[Doc](ctx, c, call{method: http.MethodGet, path: apiPath(name, version) + "/docs"})
}

// GetDoc returns the body of a document, the Markdown as it was stored.
func (c *Client) GetDoc(ctx context.Context, name, version, doc string) ([]byte, error) {
	cl := call{method: http.MethodGet, path: docPath(name, version, doc),
		accept: "text/markdown, text/plain, application/json"}
	var body []byte
	err := c.exchange(ctx, cl, func(resp *http.Response) error {
		var err error
		if body, err = io.ReadAll(io.LimitReader(resp.Body, maxResponse)); err != nil {
			return c.transportError(cl.method, c.limit, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return body, nil
}

// DeleteDoc removes a document of an API version.
func (c *Client) DeleteDoc(ctx context.Context, name, version, doc string) error {
	return c.do(ctx, call{method: http.MethodDelete, path: docPath(name, version, doc)})
}

func docPath(name, version, doc string) string {
	return apiPath(name, version) + "/docs/" + url.PathEscape(doc)
}

// send makes a write whose request body is in as JSON (what names it in an error), answered by a JSON object.
func send[T any](ctx context.Context, c *Client, method, path, what string, in any) (*T, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("encoding %s: %w", what, err)
	}
	return one[T](ctx, c, call{method: method, path: path, ctype: "application/json", body: body})
}
