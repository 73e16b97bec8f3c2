package state

// Application is a logical client of APIs.
type Application struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Owner       string `json:"owner,omitempty"`
	CreatedAt   int64  `json:"createdAt"`
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

// Admin roles.
const (
	RoleAdmin = "admin"
)

// AdminToken is a bearer token for the admin API. Only its SHA-256 is kept.
type AdminToken struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Role      string `json:"role"`
	Hash      []byte `json:"hash"`
	CreatedAt int64  `json:"createdAt"`
}
