// Package route is the gateway's routing table: built once per replicated state off the hot path, it resolves a
// normalised request path (see package urlpath) and a method to an API version and one of its operations. It sits
// right after path normalisation in the request flow and before the policy chain of the matched operation.
//
// Invocation paths are /{context}/v{major}/rest (the latest routable minor of that major) or
// /{context}/v{major}.{minor}/rest (exactly that version). The rest is matched against the operations' templates
// segment by segment: a literal beats a {param}, and a param never matches an empty segment, so "/items/" does not
// match "/items" (nor "/items/{id}"); only the root template "/" also matches a trailing "/" after the version.
//
// A major-version URL routes by lifecycle: the latest Published minor, else the latest Deprecated, then Pre-released;
// a Blocked or Retired minor only when no served one exists (the gateway then refuses it per its state); Created
// never. Table.MatchPath matches a path whatever the method, for CORS preflights.
package route

import (
	"errors"
	"fmt"
	"strings"

	"portico/raftstore/state"
)

// MaxContextSegments bounds how many segments an API context may have.
const MaxContextSegments = 16

// Errors returned by Match. ErrNoAPI and ErrNoOperation mean 404.
var (
	ErrNoAPI       = errors.New("no API at this path")
	ErrNoOperation = errors.New("no operation at this path")
)

// MethodNotAllowedError reports a path that matches an operation template but not with this method (405). Allow lists
// the methods that would match, sorted; HEAD is listed when GET is. OPTIONS is listed only if an operation declares it.
type MethodNotAllowedError struct {
	Allow []string
}

func (e *MethodNotAllowedError) Error() string {
	return "method not allowed (allow: " + strings.Join(e.Allow, ", ") + ")"
}

// BuildError names the API version that made Build fail, so a caller can leave it out and build again.
type BuildError struct {
	API string // state.APIID of the API version at fault
	Err error
}

func (e *BuildError) Error() string { return fmt.Sprintf("routing api %s: %v", e.API, e.Err) }

// Unwrap returns the cause.
func (e *BuildError) Unwrap() error { return e.Err }

// Match is the result of a successful Table.Match.
type Match[V any] struct {
	API      *state.API
	Op       int // index into API.Operations
	Value    V
	Upstream string            // escaped path to append to the backend base URL: the rest after the version, "/" if empty
	Params   map[string]string // template parameters (decoded), nil if the template has none
}

// Table is an immutable routing table built from the APIs of one state; V is the gateway's per-operation value. It is
// safe for concurrent use.
type Table[V any] struct {
	contexts map[string]*apiContext[V] // by context without its leading "/"
	maxDepth int                       // most segments of any context
}

// apiContext holds the versions of the one API that owns a context.
type apiContext[V any] struct {
	name   string
	exact  map[version]*tree[V] // every version, by major.minor
	latest map[int]*tree[V]     // the routed version of each major
}

type version struct{ major, minor int }

var (
	_ error = (*MethodNotAllowedError)(nil)
	_ error = (*BuildError)(nil)
)
