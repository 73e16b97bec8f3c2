package apifile

import "gopkg.in/yaml.v3"

// file mirrors the API file. Decode checks a document against these types (the yaml tags are the only known field
// names) before decoding it strictly into them; Encode writes them back.
type file struct {
	Name           string          `yaml:"name"`
	Version        string          `yaml:"version"`
	Context        string          `yaml:"context"`
	Lifecycle      string          `yaml:"lifecycle,omitempty"`
	Visibility     string          `yaml:"visibility,omitempty"`
	VisibleRoles   []string        `yaml:"visibleRoles,omitempty"`
	AccessMode     string          `yaml:"accessMode,omitempty"`
	BusinessOwner  *fileContact    `yaml:"businessOwner,omitempty"`
	TechnicalOwner *fileContact    `yaml:"technicalOwner,omitempty"`
	Security       []string        `yaml:"security,omitempty"`
	Scopes         []fileScope     `yaml:"scopes,omitempty"`
	OAuth2         *fileOAuth2     `yaml:"oauth2,omitempty"`
	Timeout        string          `yaml:"timeout,omitempty"`
	Endpoints      fileEndpoints   `yaml:"endpoints"`
	CORS           *fileCORS       `yaml:"cors,omitempty"`
	Policies       *filePolicies   `yaml:"policies,omitempty"`
	Operations     []fileOperation `yaml:"operations"`
}

// fileContact is a business or technical owner.
type fileContact struct {
	Name  string `yaml:"name,omitempty"`
	Email string `yaml:"email,omitempty"`
}

// fileScope declares a scope of the API and the roles that may obtain it (none: any subscribed application).
type fileScope struct {
	Name  string   `yaml:"name"`
	Roles []string `yaml:"roles,omitempty"`
}

// fileOAuth2 lists the external token issuers the API trusts.
type fileOAuth2 struct {
	Issuers []fileIssuer `yaml:"issuers"`
}

type fileIssuer struct {
	Issuer     string   `yaml:"issuer"`
	JWKSURL    string   `yaml:"jwksUrl"`
	Audience   string   `yaml:"audience"`
	Algorithms []string `yaml:"algorithms"`
}

type fileEndpoints struct {
	Production []string `yaml:"production"`
	Sandbox    []string `yaml:"sandbox,omitempty"`
}

type fileCORS struct {
	Origins     []string `yaml:"origins"`
	Methods     []string `yaml:"methods,omitempty"`
	Headers     []string `yaml:"headers,omitempty"`
	Credentials bool     `yaml:"credentials,omitempty"`
	MaxAge      int      `yaml:"maxAge,omitempty"`
}

type filePolicies struct {
	Request  []filePolicyRef `yaml:"request,omitempty"`
	Response []filePolicyRef `yaml:"response,omitempty"`
	Fault    []filePolicyRef `yaml:"fault,omitempty"`
}

type filePolicyRef struct {
	Name    string    `yaml:"name"`
	Version string    `yaml:"version,omitempty"`
	Config  yaml.Node `yaml:"config,omitempty"`
}

type fileOperation struct {
	Method   string        `yaml:"method"`
	Path     string        `yaml:"path"`
	Scopes   []string      `yaml:"scopes,omitempty"`
	Security []string      `yaml:"security,omitempty"`
	Policies *filePolicies `yaml:"policies,omitempty"`
}
