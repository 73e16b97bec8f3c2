// Package apifile reads and writes the declarative API file (api.yaml, or the same document as JSON) that `portico
// deploy -f` sends and the admin API validates before proposing it to Raft. It sits at the start of the config flow:
// file → Decode → state.API → admin API → Raft → route table. Decoding is strict: unknown fields, duplicate keys,
// several documents and every invalid value are refused with an error naming the field (`operations[1].path: ...`).
//
// Defaults for omitted fields: lifecycle is Published, security is [api-key], visibility is public and accessMode is
// external. An operation without security inherits the API's. Empty lists are stored as absent. The declared
// `scopes` list becomes the API's scope → roles map.
package apifile

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"portico/raftstore/state"
)

// Decode parses and validates an API file (YAML or JSON) into a state.API with Major and Minor filled. The cluster
// fields (Revision, CreatedAt, UpdatedAt) are left zero. The first error found is returned as a *FieldError; checks run
// in a fixed order, so the same file always gives the same error.
func Decode(data []byte) (state.API, error) {
	doc, err := parse(data)
	if err != nil {
		return state.API{}, err
	}
	sh := newShape()
	if err := sh.check(doc, reflect.TypeFor[file](), ""); err != nil {
		return state.API{}, err
	}
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return state.API{}, fromYAMLError(err, sh.lines)
	}
	v := &validator{lines: sh.lines}
	api := v.api(&f)
	if v.err != nil {
		return state.API{}, v.err
	}
	return api, nil
}

// parse reads exactly one YAML document whose root is a mapping.
func parse(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &FieldError{Msg: "api file is empty"}
		}
		return nil, &FieldError{Msg: "parsing api file: " + err.Error()}
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		return nil, &FieldError{Line: next.Line, Msg: "api file holds more than one YAML document"}
	}
	root := &doc
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		root = doc.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return nil, &FieldError{Line: root.Line, Msg: "api file must be a mapping of fields"}
	}
	return root, nil
}

var yamlLine = regexp.MustCompile(`line (\d+): (?:field (\S+) not found)?`)

// fromYAMLError turns a yaml.v3 decoding error into a FieldError, naming the field when its line is known. The shape
// check refuses the same documents first, so this only guards against the two disagreeing.
func fromYAMLError(err error, lines map[string]int) error {
	m := yamlLine.FindStringSubmatch(err.Error())
	if m == nil {
		return &FieldError{Msg: "decoding api file: " + err.Error()}
	}
	line, _ := strconv.Atoi(m[1])
	field := ""
	for path, l := range lines {
		if l == line && (field == "" || path < field) {
			field = path
		}
	}
	if m[2] != "" {
		if field != "" {
			field = joinPath(parentPath(field), m[2])
		} else {
			field = m[2]
		}
		return &FieldError{Field: field, Line: line, Msg: "unknown field"}
	}
	return &FieldError{Field: field, Line: line, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
}

// parentPath drops the last element of a field path.
func parentPath(path string) string {
	if i := strings.LastIndexAny(path, ".["); i >= 0 {
		return path[:i]
	}
	return ""
}
