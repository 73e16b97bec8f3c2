package apifile

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"time"

	"gopkg.in/yaml.v3"

	"portico/raftstore/state"
)

// Encode writes api as an API file (YAML) that Decode reads back into the same value, less the cluster-assigned
// fields (Revision, CreatedAt, UpdatedAt). Lifecycle and security are always written out.
func Encode(api state.API) ([]byte, error) {
	f := file{
		Name:      api.Name,
		Version:   api.Version,
		Context:   api.Context,
		Lifecycle: api.Lifecycle,
		Security:  api.Security,
		Endpoints: fileEndpoints{Production: api.Endpoints.Production, Sandbox: api.Endpoints.Sandbox},
	}
	encodeSettings(api, &f)
	if api.TimeoutMS > 0 {
		f.Timeout = (time.Duration(api.TimeoutMS) * time.Millisecond).String()
	}
	if c := api.CORS; c != nil {
		f.CORS = &fileCORS{Origins: c.Origins, Methods: c.Methods, Headers: c.Headers, Credentials: c.Credentials, MaxAge: c.MaxAge}
	}
	var err error
	if f.Policies, err = encodePolicies(api.Policies, "policies"); err != nil {
		return nil, err
	}
	for i, op := range api.Operations {
		fo := fileOperation{Method: op.Method, Path: op.Path, Scopes: op.Scopes, Security: op.Security}
		if fo.Policies, err = encodePolicies(op.Policies, fmt.Sprintf("operations[%d].policies", i)); err != nil {
			return nil, err
		}
		f.Operations = append(f.Operations, fo)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&f); err != nil {
		return nil, fmt.Errorf("encoding api file: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encoding api file: %w", err)
	}
	return buf.Bytes(), nil
}

// encodePolicies converts policy attachments; nil when there are none.
func encodePolicies(p state.Policies, field string) (*filePolicies, error) {
	if len(p.Request)+len(p.Response)+len(p.Fault) == 0 {
		return nil, nil
	}
	var out filePolicies
	var err error
	if out.Request, err = encodeRefs(p.Request, field+".request"); err != nil {
		return nil, err
	}
	if out.Response, err = encodeRefs(p.Response, field+".response"); err != nil {
		return nil, err
	}
	if out.Fault, err = encodeRefs(p.Fault, field+".fault"); err != nil {
		return nil, err
	}
	return &out, nil
}

func encodeRefs(refs []state.PolicyRef, field string) ([]filePolicyRef, error) {
	var out []filePolicyRef
	for i, r := range refs {
		cfg, err := configValue(r.Config)
		if err != nil {
			return nil, fmt.Errorf("encoding api file: %s[%d].config: %w", field, i, err)
		}
		out = append(out, filePolicyRef{Name: r.Name, Version: r.Version, Config: cfg})
	}
	return out, nil
}

// encodeSettings writes the consumer-facing settings: declared scopes sorted by name.
func encodeSettings(api state.API, f *file) {
	f.Visibility, f.VisibleRoles, f.AccessMode = api.Visibility, api.VisibleRoles, api.AccessMode
	f.BusinessOwner, f.TechnicalOwner = encodeContact(api.Business), encodeContact(api.Technical)
	for _, name := range slices.Sorted(maps.Keys(api.ScopeRoles)) {
		f.Scopes = append(f.Scopes, fileScope{Name: name, Roles: api.ScopeRoles[name]})
	}
	if o := api.OAuth2; o != nil {
		f.OAuth2 = &fileOAuth2{}
		for _, is := range o.Issuers {
			f.OAuth2.Issuers = append(f.OAuth2.Issuers, fileIssuer{Issuer: is.Issuer, JWKSURL: is.JWKSURL,
				Audience: is.Audience, Algorithms: is.Algorithms})
		}
	}
}

func encodeContact(c state.Contact) *fileContact {
	if c == (state.Contact{}) {
		return nil
	}
	return &fileContact{Name: c.Name, Email: c.Email}
}
