package client

import (
	"context"
	"net/http"
	"net/url"
)

// Token is an admin token in a listing: never its value or hash. User "" is the cluster's bootstrap token;
// ExpiresAt 0 = never.
type Token struct {
	ID        string `json:"id"`
	User      string `json:"user"`
	Name      string `json:"name"`
	Role      string `json:"role"`
	CreatedAt int64  `json:"createdAt"`
	ExpiresAt int64  `json:"expiresAt"`
}

// PasswordChanged answers a password change.
type PasswordChanged struct {
	Name    string `json:"name"`
	Changed bool   `json:"changed"`
}

// SetPassword sets user name's password. current is the password the user has now: required when changing one's own
// password, "" when an admin sets another user's.
func (c *Client) SetPassword(ctx context.Context, name, password, current string) (*PasswordChanged, error) {
	body := map[string]string{"password": password}
	if current != "" {
		body["currentPassword"] = current
	}
	return send[PasswordChanged](ctx, c, http.MethodPost, "/v1/users/"+url.PathEscape(name)+"/password",
		"the password change", body)
}

// Logout revokes the client's own admin token.
func (c *Client) Logout(ctx context.Context) error {
	return c.do(ctx, call{method: http.MethodPost, path: "/v1/logout"})
}

// ListTokens lists the admin tokens the client's user may see: their own, or every one for an admin.
func (c *Client) ListTokens(ctx context.Context) ([]Token, error) {
	return list[Token](ctx, c, call{method: http.MethodGet, path: "/v1/tokens"})
}

// RevokeToken deletes an admin token at once.
func (c *Client) RevokeToken(ctx context.Context, id string) error {
	return c.do(ctx, call{method: http.MethodDelete, path: "/v1/tokens/" + url.PathEscape(id)})
}
