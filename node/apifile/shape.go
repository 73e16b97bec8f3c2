package apifile

import (
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxNodes bounds the nodes visited while checking a document, aliases included.
const maxNodes = 100_000

var nodeType = reflect.TypeFor[yaml.Node]()

// shape checks a parsed document against the file types before anything is decoded: every mapping key is a known
// field and appears once, and every value has the kind its field needs. It records the line of every non-null field
// it sees, which tells present fields from absent ones and places later errors.
type shape struct {
	lines  map[string]int
	budget int
}

func newShape() *shape { return &shape{lines: map[string]int{}, budget: maxNodes} }

// check walks n as a value of type t at path.
func (s *shape) check(n *yaml.Node, t reflect.Type, path string) error {
	n, err := s.resolve(n, path)
	if err != nil || isNull(n) {
		return err
	}
	if _, seen := s.lines[path]; !seen {
		s.lines[path] = n.Line
	}
	switch {
	case t == nodeType:
		return s.checkFree(n, path, 0)
	case t.Kind() == reflect.Pointer:
		return s.check(n, t.Elem(), path)
	case t.Kind() == reflect.Struct:
		return s.checkStruct(n, t, path)
	case t.Kind() == reflect.Slice:
		return s.checkSlice(n, t, path)
	}
	return s.checkScalar(n, t, path)
}

// resolve follows an alias and charges the node to the budget.
func (s *shape) resolve(n *yaml.Node, path string) (*yaml.Node, error) {
	if s.budget--; s.budget < 0 {
		return nil, &FieldError{Field: path, Line: n.Line, Msg: "document too large or too many aliases"}
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n, nil
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

// checkStruct checks a mapping against the yaml fields of struct type t.
func (s *shape) checkStruct(n *yaml.Node, t reflect.Type, path string) error {
	if n.Kind != yaml.MappingNode {
		return kindError(n, path, "a mapping")
	}
	fields := yamlFields(t)
	return eachPair(n, path, func(key string, v *yaml.Node) error {
		ft, ok := fields[key]
		if !ok {
			return &FieldError{Field: joinPath(path, key), Line: v.Line, Msg: "unknown field"}
		}
		return s.check(v, ft, joinPath(path, key))
	})
}

// eachPair calls f for every key and value of a mapping, refusing non-scalar and repeated keys.
func eachPair(n *yaml.Node, path string, f func(key string, v *yaml.Node) error) error {
	first := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return &FieldError{Field: path, Line: k.Line, Msg: "mapping keys must be plain strings"}
		}
		if line, dup := first[k.Value]; dup {
			return &FieldError{Field: joinPath(path, k.Value), Line: k.Line,
				Msg: fmt.Sprintf("duplicate key (first at line %d)", line)}
		}
		first[k.Value] = k.Line
		if err := f(k.Value, v); err != nil {
			return err
		}
	}
	return nil
}

// checkSlice checks a sequence whose elements have the element type of t.
func (s *shape) checkSlice(n *yaml.Node, t reflect.Type, path string) error {
	if n.Kind != yaml.SequenceNode {
		return kindError(n, path, "a list")
	}
	for i, e := range n.Content {
		if err := s.check(e, t.Elem(), indexPath(path, i)); err != nil {
			return err
		}
	}
	return nil
}

// checkScalar checks a scalar decodes into a value of type t.
func (s *shape) checkScalar(n *yaml.Node, t reflect.Type, path string) error {
	if n.Kind != yaml.ScalarNode {
		return kindError(n, path, "a single value")
	}
	if err := n.Decode(reflect.New(t).Interface()); err != nil {
		want := map[reflect.Kind]string{reflect.Int: "an integer", reflect.Bool: "true or false"}[t.Kind()]
		if want == "" {
			want = "a " + t.Kind().String()
		}
		return &FieldError{Field: path, Line: n.Line, Msg: fmt.Sprintf("must be %s, got %q", want, n.Value)}
	}
	return nil
}

// checkFree checks a free-form value (a policy config): keys are scalars and unique at every level.
func (s *shape) checkFree(n *yaml.Node, path string, depth int) error {
	if depth > maxDepth {
		return &FieldError{Field: path, Line: n.Line, Msg: fmt.Sprintf("nested deeper than %d levels", maxDepth)}
	}
	switch n.Kind {
	case yaml.MappingNode:
		return eachPair(n, path, func(key string, v *yaml.Node) error {
			if key == "<<" {
				return &FieldError{Field: joinPath(path, key), Line: v.Line, Msg: "merge keys are not supported"}
			}
			return s.checkFreeChild(v, joinPath(path, key), depth)
		})
	case yaml.SequenceNode:
		for i, e := range n.Content {
			if err := s.checkFreeChild(e, indexPath(path, i), depth); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *shape) checkFreeChild(n *yaml.Node, path string, depth int) error {
	n, err := s.resolve(n, path)
	if err != nil {
		return err
	}
	return s.checkFree(n, path, depth+1)
}

func kindError(n *yaml.Node, path, want string) error {
	got := map[yaml.Kind]string{yaml.MappingNode: "a mapping", yaml.SequenceNode: "a list", yaml.ScalarNode: "a single value"}[n.Kind]
	return &FieldError{Field: path, Line: n.Line, Msg: fmt.Sprintf("must be %s, got %s", want, got)}
}

// yamlFields maps the yaml names of a struct's fields to their types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		out[name] = f.Type
	}
	return out
}
