package state

import (
	"sort"
	"strconv"
)

// MaxRevisions is how many earlier revisions are kept per API version.
const MaxRevisions = 50

// State is one immutable snapshot of everything the cluster knows. The FSM copies the maps it changes and publishes a
// new State; nothing may modify a published State or anything reachable from it.
type State struct {
	// Index is the Raft index of the last entry applied to produce this State.
	Index uint64 `json:"index"`

	APIs          map[string]*API             `json:"apis"`      // by API.ID()
	Revisions     map[string][]RevisionRecord `json:"revisions"` // earlier revisions by API.ID(), oldest first
	Apps          map[string]*Application     `json:"apps"`      // by ID
	Keys          map[string]*APIKey          `json:"keys"`      // by ID
	Subscriptions map[string]*Subscription    `json:"subscriptions"`
	AdminTokens   map[string]*AdminToken      `json:"adminTokens"` // by ID
	Requests      map[string]Request          `json:"requests"`    // idempotency keys already applied

	// SubIndex maps SubKey(app, api, major) to a subscription ID; the FSM keeps it in step with Subscriptions.
	SubIndex map[string]string `json:"subIndex"`

	Nodes   map[string]*Node   `json:"nodes"`   // cluster members as registered, by ID
	Plugins map[string]*Plugin `json:"plugins"` // by PluginKey(name, version)
	Blobs   map[string][]byte  `json:"blobs"`   // module bytes by SHA256 (immutable); a blob no plugin uses is dropped
	Uploads map[string]*Upload `json:"uploads"` // chunked uploads in progress, by upload ID
}

// Request is what the FSM remembers of an applied idempotency key: enough to answer a retry with the result of the
// first application.
type Request struct {
	Index    uint64 `json:"index"`              // log index of the entry that applied it
	Kind     string `json:"kind"`               // command kind
	Ref      string `json:"ref,omitempty"`      // object the command produced: API ID, application, key or token ID
	SubRef   string `json:"subRef,omitempty"`   // key.create: the subscription used, if any
	Revision int    `json:"revision,omitempty"` // api.put: the revision stored
	Changed  bool   `json:"changed,omitempty"`  // api.put, node.register, plugin.put: whether the state changed
}

// SubKey is the SubIndex key of an application's subscription to an API major version.
func SubKey(appID, api string, major int) string {
	return appID + "\x00" + api + "\x00" + strconv.Itoa(major)
}

// Empty returns a State with every map allocated.
func Empty() *State {
	return &State{
		APIs:          map[string]*API{},
		Revisions:     map[string][]RevisionRecord{},
		Apps:          map[string]*Application{},
		Keys:          map[string]*APIKey{},
		Subscriptions: map[string]*Subscription{},
		AdminTokens:   map[string]*AdminToken{},
		Requests:      map[string]Request{},
		SubIndex:      map[string]string{},
		Nodes:         map[string]*Node{},
		Plugins:       map[string]*Plugin{},
		Blobs:         map[string][]byte{},
		Uploads:       map[string]*Upload{},
	}
}

// SortedAPIs returns the APIs ordered by name then version.
func (s *State) SortedAPIs() []*API {
	out := make([]*API, 0, len(s.APIs))
	for _, a := range s.APIs {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		if out[i].Major != out[j].Major {
			return out[i].Major < out[j].Major
		}
		return out[i].Minor < out[j].Minor
	})
	return out
}

// AppByName finds an application by name.
func (s *State) AppByName(name string) (*Application, bool) {
	for _, a := range s.Apps {
		if a.Name == name {
			return a, true
		}
	}
	return nil, false
}

// Subscription returns the application's subscription to an API major version, if any.
func (s *State) Subscription(appID, api string, major int) (*Subscription, bool) {
	sub, ok := s.Subscriptions[s.SubIndex[SubKey(appID, api, major)]]
	return sub, ok
}
