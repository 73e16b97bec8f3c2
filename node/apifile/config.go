package apifile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"

	"gopkg.in/yaml.v3"
)

// maxDepth bounds the nesting of a policy config.
const maxDepth = 64

// configJSON converts the YAML mapping under a policy's `config` to compact JSON with sorted keys. The shape check
// has already refused duplicate keys, merge keys and excessive nesting.
func configJSON(n *yaml.Node) (json.RawMessage, error) {
	if n.Kind == 0 || isNull(n) {
		return nil, nil
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		return nil, errors.New("must be a mapping (a JSON object)")
	}
	v, err := jsonValue(n)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return json.RawMessage(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
}

// jsonValue converts a YAML node into the value encoding/json writes.
func jsonValue(n *yaml.Node) (any, error) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := jsonValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, e := range n.Content {
			v, err := jsonValue(e)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	}
	return jsonScalar(n)
}

// jsonScalar converts a scalar by its resolved YAML tag.
func jsonScalar(n *yaml.Node) (any, error) {
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool", "!!int":
		var v any
		err := n.Decode(&v)
		return v, err
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return nil, err
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("%q has no JSON form", n.Value)
		}
		return f + 0, nil // + 0 turns -0 into 0, which JSON round-trips
	}
	return n.Value, nil
}

// configValue turns stored config JSON back into a value yaml.v3 writes as the same mapping.
func configValue(raw json.RawMessage) (yaml.Node, error) {
	var n yaml.Node
	if len(raw) == 0 {
		return n, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return n, fmt.Errorf("config is not JSON: %w", err)
	}
	if _, ok := v.(map[string]any); !ok {
		return n, errors.New("config is not a JSON object")
	}
	err := n.Encode(numbers(v))
	return n, err
}

// numbers replaces every json.Number in v with an int64, uint64 or float64 so YAML writes it as a number.
func numbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = numbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = numbers(e)
		}
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return i
		}
		if u, err := strconv.ParseUint(string(x), 10, 64); err == nil {
			return u
		}
		f, _ := strconv.ParseFloat(string(x), 64)
		return f
	}
	return v
}
