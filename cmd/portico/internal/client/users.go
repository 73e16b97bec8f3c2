package client

import (
	"context"
	"net/http"
	"net/url"
)

// User is a cluster user in a listing.
type User struct {
	Name      string `json:"name"`
	Role      string `json:"role"`
	CreatedAt int64  `json:"createdAt"`
}

// CreatedUser is a new user with its first admin token: the only time the token is shown.
type CreatedUser struct {
	Name  string `json:"name"`
	Role  string `json:"role"`
	Token string `json:"token"`
}

// UserRequest asks for a new user; a user without a password cannot log in, only use its first token.
type UserRequest struct {
	Name     string `json:"name"`
	Role     string `json:"role"`
	Password string `json:"password,omitempty"`
}

// Session is a logged-in user's new admin token, valid until ExpiresAt (unix milliseconds).
type Session struct {
	Token     string `json:"token"`
	ExpiresAt int64  `json:"expiresAt"`
	User      string `json:"user"`
	Role      string `json:"role"`
}

// Identity is who the client's token belongs to: User "" is the cluster's bootstrap token.
type Identity struct {
	User string `json:"user"`
	Role string `json:"role"`
}

// SigningKey is a key that signs the cluster's access tokens: never its private half. RetiredAt 0 = the current key.
type SigningKey struct {
	KID       string `json:"kid"`
	Alg       string `json:"alg"`
	CreatedAt int64  `json:"createdAt"`
	RetiredAt int64  `json:"retiredAt"`
}

// RotatedKey answers a rotation: the new current key and the KID of the one it retired ("" when there was none).
type RotatedKey struct {
	KID       string `json:"kid"`
	CreatedAt int64  `json:"createdAt"`
	Retired   string `json:"retired"`
}

// CreateUser creates a user and its first admin token.
func (c *Client) CreateUser(ctx context.Context, r UserRequest) (*CreatedUser, error) {
	return send[CreatedUser](ctx, c, http.MethodPost, "/v1/users", "the user", r)
}

// ListUsers lists the cluster's users.
func (c *Client) ListUsers(ctx context.Context) ([]User, error) {
	return list[User](ctx, c, call{method: http.MethodGet, path: "/v1/users"})
}

// DeleteUser removes a user and its admin tokens.
func (c *Client) DeleteUser(ctx context.Context, name string) error {
	return c.do(ctx, call{method: http.MethodDelete, path: "/v1/users/" + url.PathEscape(name)})
}

// Login exchanges a user's name and password for a new admin token. It needs no token of its own.
func (c *Client) Login(ctx context.Context, user, password string) (*Session, error) {
	return send[Session](ctx, c, http.MethodPost, "/v1/login", "the login",
		map[string]string{"username": user, "password": password})
}

// WhoAmI says whose token the client sends, and its role.
func (c *Client) WhoAmI(ctx context.Context) (*Identity, error) {
	return one[Identity](ctx, c, call{method: http.MethodGet, path: "/v1/whoami"})
}

// RotateSigningKey makes a new token signing key current; the old one keeps verifying until its tokens expire.
func (c *Client) RotateSigningKey(ctx context.Context) (*RotatedKey, error) {
	return one[RotatedKey](ctx, c, call{method: http.MethodPost, path: "/v1/signing-keys/rotate"})
}

// ListSigningKeys lists the token signing keys.
func (c *Client) ListSigningKeys(ctx context.Context) ([]SigningKey, error) {
	return list[SigningKey](ctx, c, call{method: http.MethodGet, path: "/v1/signing-keys"})
}
