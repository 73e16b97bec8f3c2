package apifile

import "gopkg.in/yaml.v3"

// file mirrors the API file. Decode checks a document against these types (the yaml tags are the only known field
// names) before decoding it strictly into them; Encode writes them back.
type file struct {
	Name       string          `yaml:"name"`
	Version    string          `yaml:"version"`
	Context    string          `yaml:"context"`
	Lifecycle  string          `yaml:"lifecycle,omitempty"`
	Security   []string        `yaml:"security,omitempty"`
	Timeout    string          `yaml:"timeout,omitempty"`
	Endpoints  fileEndpoints   `yaml:"endpoints"`
	CORS       *fileCORS       `yaml:"cors,omitempty"`
	Policies   *filePolicies   `yaml:"policies,omitempty"`
	Operations []fileOperation `yaml:"operations"`
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
