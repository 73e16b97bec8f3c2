package raftstore

import (
	"maps"
	"regexp"

	"portico/raftstore/state"
)

// docNameRE is the form of a document name.
var docNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// putDocument creates or replaces a document of an existing API version.
func putDocument(next *state.State, c *PutDocument, rec *state.Request) (any, error) {
	if _, ok := next.APIs[c.API]; !ok {
		return nil, notFound("api %q", c.API)
	}
	if !docNameRE.MatchString(c.Doc.Name) {
		return nil, invalid("document name: %q must be 1 to 128 characters of [A-Za-z0-9._-]", c.Doc.Name)
	}
	doc := c.Doc
	docs := make(map[string]*state.Document, len(next.Documents[c.API])+1)
	maps.Copy(docs, next.Documents[c.API])
	docs[doc.Name] = &doc
	next.Documents = maps.Clone(next.Documents)
	next.Documents[c.API] = docs
	rec.Ref = c.API
	return PutDocumentResult{Doc: &doc}, nil
}

// deleteDocument removes a document of an API version.
func deleteDocument(next *state.State, c *DeleteDocument, _ *state.Request) (any, error) {
	if _, ok := next.Documents[c.API][c.Name]; !ok {
		return nil, notFound("document %q of api %q", c.Name, c.API)
	}
	next.Documents = maps.Clone(next.Documents)
	docs := maps.Clone(next.Documents[c.API])
	delete(docs, c.Name)
	if len(docs) == 0 {
		delete(next.Documents, c.API)
	} else {
		next.Documents[c.API] = docs
	}
	return DeleteResult{Deleted: true}, nil
}

// replayPutDocument answers a retried PutDocument with the stored document, or the command's if it has changed since.
func replayPutDocument(cur *state.State, c *PutDocument, _ state.Request) any {
	if d, ok := cur.Document(c.API, c.Doc.Name); ok && *d == c.Doc {
		return PutDocumentResult{Doc: d}
	}
	doc := c.Doc
	return PutDocumentResult{Doc: &doc}
}
