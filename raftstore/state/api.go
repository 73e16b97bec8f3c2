package state

import (
	"encoding/json"
	"fmt"
	"slices"
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

// Visibility of an API to the users of the admin API and the developer portal.
const (
	VisibilityPublic     = "public"
	VisibilityPrivate    = "private"
	VisibilityRestricted = "restricted"
)

// Access modes: an external API is served on the gateway listener, an internal one only on the internal listener.
const (
	AccessExternal = "external"
	AccessInternal = "internal"
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

	// Consumer-facing settings.
	Visibility   string              `json:"visibility,omitempty"`   // VisibilityPublic (default), VisibilityPrivate, VisibilityRestricted
	VisibleRoles []string            `json:"visibleRoles,omitempty"` // roles that see a restricted API
	AccessMode   string              `json:"accessMode,omitempty"`   // AccessExternal (default) or AccessInternal
	Owner        string              `json:"owner,omitempty"`        // publisher who created it; "" = an admin or legacy
	Business     Contact             `json:"business,omitzero"`      // business owner
	Technical    Contact             `json:"technical,omitzero"`     // technical owner
	ScopeRoles   map[string][]string `json:"scopeRoles,omitempty"`   // scope → roles allowed to obtain it; absent = any subscribed app
	OAuth2       *OAuth2Settings     `json:"oauth2,omitempty"`       // external issuers trusted; nil = only the cluster's own tokens

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

// Contact is a business or technical owner of an API.
type Contact struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
}

// OAuth2Settings lists the external token issuers an API trusts besides the cluster itself.
type OAuth2Settings struct {
	Issuers []ExternalIssuer `json:"issuers,omitempty"`
}

// ExternalIssuer is a trusted external OAuth2 issuer: tokens must carry Issuer as iss and Audience as aud, and be
// signed with one of Algorithms by a key published at JWKSURL.
type ExternalIssuer struct {
	Issuer     string   `json:"issuer"`
	JWKSURL    string   `json:"jwksUrl"`
	Audience   string   `json:"audience,omitempty"`
	Algorithms []string `json:"algorithms,omitempty"`
}

// transitions is the lifecycle table: state → states it may move to, in display order.
var transitions = map[string][]string{
	Created:     {PreReleased, Published},
	PreReleased: {Published, Created},
	Published:   {Blocked, Deprecated},
	Blocked:     {Published, Deprecated, Retired},
	Deprecated:  {Retired},
	Retired:     nil,
}

// AllowedTransition reports whether an API version may move from one lifecycle state to another. Staying in the same
// state is not a transition.
func AllowedTransition(from, to string) bool {
	return slices.Contains(transitions[from], to)
}

// AllowedFrom returns the states an API version may move to from a lifecycle state (a new slice; nil if none or if
// from is not a lifecycle state).
func AllowedFrom(from string) []string {
	return slices.Clone(transitions[from])
}
