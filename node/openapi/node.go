package openapi

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// deref follows an alias.
func deref(n *yaml.Node) *yaml.Node {
	if n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

// get returns the value of key in mapping m, or nil.
func get(m *yaml.Node, key string) *yaml.Node {
	m = deref(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return deref(m.Content[i+1])
		}
	}
	return nil
}

// str returns the text of a scalar, "" if n is absent, null or not a scalar.
func str(n *yaml.Node) string {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		return ""
	}
	return n.Value
}

// list returns the items of a sequence; absent or null is an empty list, any other kind an error naming field.
func list(n *yaml.Node, field string) ([]*yaml.Node, error) {
	n = deref(n)
	switch {
	case n == nil || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null":
		return nil, nil
	case n.Kind != yaml.SequenceNode:
		return nil, fmt.Errorf("%s: must be a list", field)
	}
	return n.Content, nil
}

// pair is one key and value of a mapping.
type pair struct {
	key   string
	value *yaml.Node
}

// pairs returns the entries of a mapping in document order; absent or null is empty, any other kind an error.
func pairs(n *yaml.Node, field string) ([]pair, error) {
	n = deref(n)
	switch {
	case n == nil || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null":
		return nil, nil
	case n.Kind != yaml.MappingNode:
		return nil, fmt.Errorf("%s: must be a mapping", field)
	}
	out := make([]pair, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, pair{n.Content[i].Value, deref(n.Content[i+1])})
	}
	return out, nil
}
