package state

import (
	"encoding/json"
	"fmt"
)

// Lifecycle states of an API version.
const (
	Created     = "Created"
	PreReleased = "Pre-released"
	Published   = "Published"
	Blocked     = "Blocked"
	Deprecated  = "Deprecated"
	Retired     = "Retired"
)

// Lifecycles lists every lifecycle state in order.
var Lifecycles = []string{Created, PreReleased, Published, Blocked, Deprecated, Retired}

// Security schemes an API or operation may require.
const (
	SecurityAPIKey = "api-key"
	SecurityOAuth2 = "oauth2"
	SecurityNone   = "none"
)

// Environments a credential and an endpoint list belong to.
const (
	Production = "production"
	Sandbox    = "sandbox"
)

// API is one version of an API as deployed: the decoded API file plus what the cluster assigned (revision, times).
type API struct {
	Name       string      `json:"name"`
	Version    string      `json:"version"` // "major.minor"
	Major      int         `json:"major"`
	Minor      int         `json:"minor"`
	Context    string      `json:"context"` // "/greet"
	Lifecycle  string      `json:"lifecycle"`
	Security   []string    `json:"security"`
	Endpoints  Endpoints   `json:"endpoints"`
	TimeoutMS  int64       `json:"timeoutMs,omitempty"` // upstream response-header timeout; 0 = default
	CORS       *CORS       `json:"cors,omitempty"`
	Policies   Policies    `json:"policies"`
	Operations []Operation `json:"operations"`

	// Assigned by the cluster.
	Revision  int   `json:"revision"`
	CreatedAt int64 `json:"createdAt"` // unix milliseconds, set by the proposer
	UpdatedAt int64 `json:"updatedAt"`
}

// Endpoints are the backend base URLs per environment.
type Endpoints struct {
	Production []string `json:"production"`
	Sandbox    []string `json:"sandbox,omitempty"`
}

// For returns the endpoint list of an environment, falling back to production when sandbox has none.
func (e Endpoints) For(env string) []string {
	if env == Sandbox && len(e.Sandbox) > 0 {
		return e.Sandbox
	}
	return e.Production
}

// CORS is an API's cross-origin configuration.
type CORS struct {
	Origins     []string `json:"origins"`
	Methods     []string `json:"methods,omitempty"`
	Headers     []string `json:"headers,omitempty"`
	Credentials bool     `json:"credentials,omitempty"`
	MaxAge      int      `json:"maxAge,omitempty"`
}

// Policies are the policy attachments per phase.
type Policies struct {
	Request  []PolicyRef `json:"request,omitempty"`
	Response []PolicyRef `json:"response,omitempty"`
	Fault    []PolicyRef `json:"fault,omitempty"`
}

// PolicyRef attaches a plugin (built-in or pushed) by name and version with its JSON config.
type PolicyRef struct {
	Name    string          `json:"name"`
	Version string          `json:"version,omitempty"`
	Config  json.RawMessage `json:"config,omitempty"`
}

// Operation is a method and path template with its own requirements and policies.
type Operation struct {
	Method   string   `json:"method"`
	Path     string   `json:"path"` // template, e.g. /items/{id}
	Scopes   []string `json:"scopes,omitempty"`
	Security []string `json:"security,omitempty"` // nil: inherit the API's
	Policies Policies `json:"policies"`
}

// ID is the API version's identity within the cluster: name@version.
func (a *API) ID() string { return APIID(a.Name, a.Version) }

// APIID builds the identity of an API version.
func APIID(name, version string) string { return name + "@" + version }

// EffectiveSecurity is the operation's security if it sets one, otherwise the API's.
func (a *API) EffectiveSecurity(op int) []string {
	if s := a.Operations[op].Security; s != nil {
		return s
	}
	return a.Security
}

// URLs are the invocation paths of the API on any gateway: the major-version URL and the exact-version URL.
func (a *API) URLs() []string {
	return []string{
		fmt.Sprintf("%s/v%d", a.Context, a.Major),
		fmt.Sprintf("%s/v%d.%d", a.Context, a.Major, a.Minor),
	}
}

// RevisionRecord keeps an earlier revision of an API version.
type RevisionRecord struct {
	Revision int   `json:"revision"`
	API      API   `json:"api"`
	At       int64 `json:"at"`
}
