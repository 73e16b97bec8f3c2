// Package openapi turns an OpenAPI 3.x or Swagger 2.0 document into an API version, for `portico deploy --openapi`
// and the admin API's POST /v1/apis/openapi. It sits at the start of the config flow beside package apifile: document
// → Convert → state.API (validated by apifile's rules) → admin API → Raft.
//
// What is taken from the document: one operation per path and method (in document order); security from the
// security requirements (apiKey → api-key; oauth2, openIdConnect and http bearer → oauth2; `security: []` or an empty
// alternative → none), and an operation's scopes from the OAuth2 requirements that apply to it. A document that
// declares no security at all gets apifile's default, [api-key]. Parameters, schemas and responses are not used.
package openapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"

	"portico/node/apifile"
	"portico/node/route"
	"portico/raftstore/state"
)

// Options are the values given beside the document; an empty field is derived from the document (Name from
// info.title, Version from info.version, Context from basePath or the first server URL's path, Backend from the
// first absolute server URL or schemes[0]://host+basePath). Lifecycle defaults to Published; Security, if set,
// replaces the document's top-level security requirement and its scopes (operation-level requirements still apply).
type Options struct {
	Name, Version, Context, Backend, Lifecycle string
	Security                                   []string
}

// methods are the operation keys of a path item, in the order OpenAPI lists them.
var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// spec is a parsed document.
type spec struct {
	root    *yaml.Node
	swagger bool              // Swagger 2.0 rather than OpenAPI 3.x
	schemes map[string]string // security scheme name → Portico security value, "" if unsupported
}

// Convert reads an OpenAPI 3.x or Swagger 2.0 document (YAML or JSON) and returns the API it describes, validated by
// the same rules as an API file. Errors name what is wrong: `paths./x.get: ...`, `openapi: unsupported version "4.0"`.
func Convert(doc []byte, opts Options) (state.API, error) {
	s, err := parse(doc)
	if err != nil {
		return state.API{}, err
	}
	api, err := s.api(opts)
	if err != nil {
		return state.API{}, err
	}
	return validate(api)
}

// parse reads one YAML or JSON document and identifies its OpenAPI version.
func parse(doc []byte) (*spec, error) {
	dec := yaml.NewDecoder(bytes.NewReader(doc))
	var n yaml.Node
	if err := dec.Decode(&n); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("document is empty")
		}
		return nil, fmt.Errorf("parsing document: %w", err)
	}
	root := &n
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		root = deref(n.Content[0])
	}
	if root.Kind != yaml.MappingNode {
		return nil, errors.New("not an OpenAPI document: not a mapping")
	}
	s := &spec{root: root}
	if err := s.detect(); err != nil {
		return nil, err
	}
	return s, s.loadSchemes()
}

// detect reads the openapi or swagger field.
func (s *spec) detect() error {
	if v := get(s.root, "openapi"); v != nil {
		if ver := str(v); !strings.HasPrefix(ver, "3.") {
			return fmt.Errorf("openapi: unsupported version %q (want 3.x)", ver)
		}
		return nil
	}
	if v := get(s.root, "swagger"); v != nil {
		if ver := str(v); ver != "2.0" {
			return fmt.Errorf("swagger: unsupported version %q (want 2.0)", ver)
		}
		s.swagger = true
		return nil
	}
	return errors.New("not an OpenAPI document: no \"openapi\" or \"swagger\" field")
}

// api builds the API from the document and opts.
func (s *spec) api(opts Options) (state.API, error) {
	api := state.API{Name: opts.Name, Version: opts.Version, Context: opts.Context, Lifecycle: opts.Lifecycle,
		Security: opts.Security}
	steps := []func(*state.API) error{s.identity, s.context, func(a *state.API) error { return s.backend(a, opts.Backend) }}
	for _, step := range steps {
		if err := step(&api); err != nil {
			return state.API{}, err
		}
	}
	global, err := s.globalSecurity(&api)
	if err != nil {
		return state.API{}, err
	}
	api.Operations, err = s.operations(global)
	return api, err
}

// validate runs the API file rules over api by writing it as an API file and reading it back.
func validate(api state.API) (state.API, error) {
	data, err := apifile.Encode(api)
	if err != nil {
		return state.API{}, err
	}
	out, err := apifile.Decode(data)
	if err != nil {
		return state.API{}, fmt.Errorf("converted API is invalid: %w", err)
	}
	return out, nil
}

// globalSecurity reads the top-level security requirement and makes it the API's. opts.Security, if given, replaces
// it entirely: the API gets opts.Security and operations without their own requirement get no scopes from it.
func (s *spec) globalSecurity(api *state.API) (*requirement, error) {
	n := get(s.root, "security")
	if n == nil || api.Security != nil {
		return nil, nil
	}
	r, err := s.requirement(n, "security")
	if err != nil {
		return nil, err
	}
	api.Security = r.security
	return &r, nil
}

// operations reads every path and method in document order.
func (s *spec) operations(global *requirement) ([]state.Operation, error) {
	paths, err := pairs(get(s.root, "paths"), "paths")
	if err != nil {
		return nil, err
	}
	var ops []state.Operation
	seen := map[string]string{}
	for _, p := range paths {
		if strings.HasPrefix(p.key, "x-") {
			continue
		}
		more, err := s.pathItem(p, global, seen)
		if err != nil {
			return nil, err
		}
		ops = append(ops, more...)
	}
	if len(ops) == 0 {
		return nil, errors.New("paths: no operations")
	}
	return ops, nil
}

// pathItem reads the operations of one path.
func (s *spec) pathItem(p pair, global *requirement, seen map[string]string) ([]state.Operation, error) {
	field := "paths." + p.key
	if get(p.value, "$ref") != nil {
		return nil, fmt.Errorf("%s: $ref path items are not supported", field)
	}
	entries, err := pairs(p.value, field)
	if err != nil {
		return nil, err
	}
	tmpl, err := route.ParseTemplate(p.key)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	var ops []state.Operation
	for _, e := range entries {
		if !isMethod(e.key) {
			continue
		}
		f := field + "." + e.key
		method := strings.ToUpper(e.key)
		if prev, dup := seen[method+" "+tmpl.Key()]; dup {
			return nil, fmt.Errorf("%s: same operation as %s", f, prev)
		}
		seen[method+" "+tmpl.Key()] = f
		op, err := s.operation(e.value, method, p.key, global, f)
		if err != nil {
			return nil, err
		}
		ops = append(ops, op)
	}
	return ops, nil
}

func isMethod(key string) bool {
	for _, m := range methods {
		if key == m {
			return true
		}
	}
	return false
}

// operation converts one operation object.
func (s *spec) operation(n *yaml.Node, method, path string, global *requirement, field string) (state.Operation, error) {
	if n.Kind != yaml.MappingNode && !(n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null") {
		return state.Operation{}, fmt.Errorf("%s: must be a mapping", field)
	}
	op := state.Operation{Method: method, Path: path}
	effective := global
	if sec := get(n, "security"); sec != nil {
		r, err := s.requirement(sec, field+".security")
		if err != nil {
			return state.Operation{}, err
		}
		op.Security, effective = r.security, &r
	}
	if effective != nil {
		op.Scopes = effective.scopes
	}
	return op, nil
}
