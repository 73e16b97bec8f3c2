package raftstore

import (
	"bytes"
	"encoding/json"
	"maps"

	"portico/raftstore/state"
)

// putAPI stores an API version. An identical definition keeps the current revision; a changed one gets the next
// revision, keeps CreatedAt from the first, and moves the current one into the revision history.
func putAPI(next *state.State, c *PutAPI, rec *state.Request) (any, error) {
	api := c.API
	if api.Name == "" || api.Version == "" || api.Context == "" {
		return nil, invalid("api name, version and context are required")
	}
	if err := checkAPISettings(&api); err != nil {
		return nil, err
	}
	if owner := contextOwner(next, api.Context, api.Name); owner != "" {
		return nil, conflict("context %q belongs to API %q", api.Context, owner)
	}
	id := api.ID()
	cur := next.APIs[id]
	if cur != nil {
		if err := checkTransition(cur, api.Lifecycle); err != nil {
			return nil, err
		}
	}
	*rec = state.Request{Index: rec.Index, Kind: rec.Kind, Ref: id}
	if cur != nil && sameDefinition(cur, &api) {
		rec.Revision = cur.Revision
		return PutAPIResult{API: cur, Changed: false}, nil
	}
	storeAPI(next, cur, &api)
	rec.Revision, rec.Changed = api.Revision, true
	return PutAPIResult{API: &api, Changed: true}, nil
}

// storeAPI stores api as the next revision of cur (nil for a new API version: revision 1), keeping CreatedAt from
// the first and moving cur into the revision history.
func storeAPI(next *state.State, cur, api *state.API) {
	api.Revision = 1
	if cur != nil {
		api.Revision = cur.Revision + 1
		api.CreatedAt = cur.CreatedAt
		next.Revisions = maps.Clone(next.Revisions)
		next.Revisions[api.ID()] = appendRevision(next.Revisions[api.ID()], state.RevisionRecord{
			Revision: cur.Revision, API: *cur, At: api.UpdatedAt,
		})
	}
	next.APIs = maps.Clone(next.APIs)
	next.APIs[api.ID()] = api
}

// contextOwner returns the smallest name of an API other than name that uses context, or "".
func contextOwner(st *state.State, context, name string) string {
	owner := ""
	for _, a := range st.APIs {
		if a.Context == context && a.Name != name && (owner == "" || a.Name < owner) {
			owner = a.Name
		}
	}
	return owner
}

// sameDefinition reports whether two API versions are equal apart from the fields the cluster assigns.
func sameDefinition(a, b *state.API) bool {
	return bytes.Equal(definition(a), definition(b))
}

func definition(a *state.API) []byte {
	d := *a
	d.Revision, d.CreatedAt, d.UpdatedAt = 0, 0, 0
	out, err := json.Marshal(&d)
	if err != nil { // only an invalid json.RawMessage can fail; such a definition never equals another
		return nil
	}
	return out
}

// appendRevision returns a new slice: old (never modified, it may be published) plus rec, trimmed to the newest
// state.MaxRevisions records.
func appendRevision(old []state.RevisionRecord, rec state.RevisionRecord) []state.RevisionRecord {
	start := max(0, len(old)+1-state.MaxRevisions)
	out := make([]state.RevisionRecord, 0, len(old)-start+1)
	out = append(out, old[start:]...)
	return append(out, rec)
}

// deleteAPI removes an API version with its revision history and documents. Keys bound to its name and major stay.
func deleteAPI(next *state.State, c *DeleteAPI, _ *state.Request) (any, error) {
	id := state.APIID(c.Name, c.Version)
	if _, ok := next.APIs[id]; !ok {
		return nil, notFound("api %q", id)
	}
	next.APIs = maps.Clone(next.APIs)
	delete(next.APIs, id)
	if _, ok := next.Revisions[id]; ok {
		next.Revisions = maps.Clone(next.Revisions)
		delete(next.Revisions, id)
	}
	if _, ok := next.Documents[id]; ok {
		next.Documents = maps.Clone(next.Documents)
		delete(next.Documents, id)
	}
	return DeleteResult{Deleted: true}, nil
}

// replayPutAPI answers a retried PutAPI with the revision the first application stored.
func replayPutAPI(cur *state.State, c *PutAPI, rec state.Request) any {
	return PutAPIResult{API: apiAtRevision(cur, rec.Ref, rec.Revision, &c.API), Changed: rec.Changed}
}

// apiAtRevision finds revision rev of an API version, current or kept; if neither (deleted or trimmed since), it
// rebuilds it from the retried command.
func apiAtRevision(st *state.State, id string, rev int, fallback *state.API) *state.API {
	if a := st.APIs[id]; a != nil && a.Revision == rev {
		return a
	}
	for i := range st.Revisions[id] {
		if r := &st.Revisions[id][i]; r.Revision == rev {
			return &r.API
		}
	}
	a := *fallback
	a.Revision = rev
	return &a
}

// replayDelete answers a retried delete: the first application deleted it.
func replayDelete[C any](*state.State, *C, state.Request) any {
	return DeleteResult{Deleted: true}
}
