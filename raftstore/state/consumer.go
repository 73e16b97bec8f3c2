package state

import "slices"

// Application is a logical client of APIs.
type Application struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Owner       string `json:"owner,omitempty"` // user name of the creator; "" = an admin or legacy
	CreatedAt   int64  `json:"createdAt"`

	// SharedWith are the user names with read-only access.
	SharedWith []string `json:"sharedWith,omitempty"`
	// Credentials are the OAuth2 client credentials by environment (Production, Sandbox).
	Credentials map[string]*ClientCredential `json:"credentials,omitempty"`
}

// OAuth2 grant types a client credential may be allowed.
const (
	GrantClientCredentials = "client_credentials"
	GrantPassword          = "password"
	GrantRefreshToken      = "refresh_token"
	GrantAuthorizationCode = "authorization_code"
)

// GrantTypes lists every grant type a client credential may be allowed.
var GrantTypes = []string{GrantClientCredentials, GrantPassword, GrantRefreshToken, GrantAuthorizationCode}

// Default token lifetimes of a client credential, in seconds.
const (
	DefaultAccessTTL  = 900
	DefaultRefreshTTL = 86400
)

// ClientIDPrefix starts every OAuth2 client ID: "cl_" and 24 lowercase hex digits.
const ClientIDPrefix = "cl_"

// ClientCredential is an application's OAuth2 client in one environment. Only the SHA-256 of the secret is kept.
type ClientCredential struct {
	ClientID     string   `json:"clientId"`             // "cl_" + 24 hex, unique across the cluster
	SecretHash   []byte   `json:"secretHash,omitempty"` // SHA-256 of the secret; nil for a public client
	Env          string   `json:"env"`
	GrantTypes   []string `json:"grantTypes"`
	RedirectURIs []string `json:"redirectUris,omitempty"` // for authorization_code
	AccessTTL    int64    `json:"accessTtl"`              // seconds
	RefreshTTL   int64    `json:"refreshTtl"`             // seconds
	Public       bool     `json:"public,omitempty"`
	PKCERequired bool     `json:"pkceRequired,omitempty"`
	CreatedAt    int64    `json:"createdAt"`
}

// AllowsGrant reports whether the credential may use a grant type.
func (c *ClientCredential) AllowsGrant(grant string) bool {
	return slices.Contains(c.GrantTypes, grant)
}

// Subscription statuses.
const (
	SubActive  = "active"
	SubBlocked = "blocked"
)

// Subscription lets an application call every minor version of one API major version under a plan.
type Subscription struct {
	ID        string `json:"id"`
	AppID     string `json:"app"`
	API       string `json:"api"` // API name
	Major     int    `json:"major"`
	Plan      string `json:"plan"`
	Status    string `json:"status"`
	CreatedAt int64  `json:"createdAt"`
}

// APIKey is an API key credential. Only the SHA-256 of the key is kept.
type APIKey struct {
	ID        string `json:"id"`
	Name      string `json:"name,omitempty"`
	AppID     string `json:"app"`
	API       string `json:"api"` // API name the key is for
	Major     int    `json:"major"`
	Env       string `json:"env"`
	Hash      []byte `json:"hash"`
	CreatedAt int64  `json:"createdAt"`
	// ExpiresAt, when non-zero, is the unix-millisecond instant after which the key is no longer valid
	// (set on the old key when a key is regenerated with a grace period).
	ExpiresAt int64 `json:"expiresAt,omitempty"`
}

// Roles of users and admin tokens.
const (
	RoleAdmin      = "admin"
	RolePublisher  = "publisher"
	RoleSubscriber = "subscriber"
)

// Roles lists every role.
var Roles = []string{RoleAdmin, RolePublisher, RoleSubscriber}

// AdminToken is a bearer token for the admin API. Only its SHA-256 is kept.
type AdminToken struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Role      string `json:"role"`
	Hash      []byte `json:"hash"`
	CreatedAt int64  `json:"createdAt"`
	// User is the owner's user name; "" for a bootstrap token, which acts as an admin.
	User string `json:"user,omitempty"`
	// ExpiresAt is the unix-millisecond instant after which the token is refused; 0 = never.
	ExpiresAt int64 `json:"expiresAt,omitempty"`
}
