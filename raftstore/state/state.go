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

	Documents   map[string]map[string]*Document `json:"documents"`   // API ID → document name → document
	Users       map[string]*User                `json:"users"`       // by name
	ClientIndex map[string]string               `json:"clientIndex"` // OAuth2 client ID → application ID, kept by the FSM
	Plans       map[string]*Plan                `json:"plans"`       // custom plans by name (built-in ones are BuiltinPlans)
	SigningKeys map[string]*SigningKey          `json:"signingKeys"` // by KID
	// Revoked maps a revoked token ID (jti, or a spent authorization code or refresh token) to its expiry in unix
	// seconds: the token is refused until then, and the entry is dropped afterwards.
	Revoked map[string]int64 `json:"revoked"`
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
	Prev     string `json:"prev,omitempty"`     // api.lifecycle: the lifecycle state left
	Count    int    `json:"count,omitempty"`    // token.revoke: how many token IDs were added
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
		Documents:     map[string]map[string]*Document{},
		Users:         map[string]*User{},
		ClientIndex:   map[string]string{},
		Plans:         map[string]*Plan{},
		SigningKeys:   map[string]*SigningKey{},
		Revoked:       map[string]int64{},
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

// AppByName finds an application by name, whatever its owner (names were unique cluster-wide until CreateApp
// payload version 2; they are unique per owner since).
func (s *State) AppByName(name string) (*Application, bool) {
	for _, a := range s.Apps {
		if a.Name == name {
			return a, true
		}
	}
	return nil, false
}

// OwnedApp finds the application of owner with this name.
func (s *State) OwnedApp(owner, name string) (*Application, bool) {
	for _, a := range s.Apps {
		if a.Name == name && a.Owner == owner {
			return a, true
		}
	}
	return nil, false
}

// AppsNamed returns the applications with this name, of any owner, sorted by ID.
func (s *State) AppsNamed(name string) []*Application {
	var out []*Application
	for _, a := range s.Apps {
		if a.Name == name {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Subscription returns the application's subscription to an API major version, if any.
func (s *State) Subscription(appID, api string, major int) (*Subscription, bool) {
	sub, ok := s.Subscriptions[s.SubIndex[SubKey(appID, api, major)]]
	return sub, ok
}

// ClientByID finds an OAuth2 client credential and its application by client ID.
func (s *State) ClientByID(clientID string) (*Application, *ClientCredential, bool) {
	app, ok := s.Apps[s.ClientIndex[clientID]]
	if !ok {
		return nil, nil, false
	}
	for _, c := range app.Credentials {
		if c.ClientID == clientID {
			return app, c, true
		}
	}
	return nil, nil, false
}

// Plan returns a built-in or custom plan by name.
func (s *State) Plan(name string) (Plan, bool) {
	if p, ok := BuiltinPlan(name); ok {
		return p, true
	}
	if p, ok := s.Plans[name]; ok {
		return *p, true
	}
	return Plan{}, false
}

// PlanNames returns the names of every plan: the built-in ones in their order, then the custom ones sorted.
func (s *State) PlanNames() []string {
	out := make([]string, 0, len(BuiltinPlans)+len(s.Plans))
	for _, p := range BuiltinPlans {
		out = append(out, p.Name)
	}
	custom := make([]string, 0, len(s.Plans))
	for name := range s.Plans {
		custom = append(custom, name)
	}
	sort.Strings(custom)
	return append(out, custom...)
}

// CurrentSigningKey returns the signing key new tokens are signed with: the one not retired.
func (s *State) CurrentSigningKey() (*SigningKey, bool) {
	for _, k := range s.SigningKeys {
		if k.RetiredAt == 0 {
			return k, true
		}
	}
	return nil, false
}

// IsRevoked reports whether a token ID is revoked and not yet past its expiry (nowSec in unix seconds).
func (s *State) IsRevoked(tokenID string, nowSec int64) bool {
	exp, ok := s.Revoked[tokenID]
	return ok && nowSec <= exp
}

// Document returns a document of an API version.
func (s *State) Document(apiID, name string) (*Document, bool) {
	d, ok := s.Documents[apiID][name]
	return d, ok
}
