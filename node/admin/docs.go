package admin

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"unicode/utf8"

	"portico/node/httperr"
	"portico/raftstore"
	"portico/raftstore/state"
)

// maxDocument bounds one API document, in bytes.
const maxDocument = 256 << 10

// docTextTypes are the media types of a document's body.
var docTextTypes = []string{"text/markdown", "text/plain"}

// docInfo is a document in listings.
type docInfo struct {
	Name      string `json:"name"`
	UpdatedAt int64  `json:"updatedAt"`
	Size      int    `json:"size"`
}

// docRoutes registers the endpoints of API documents: the API's owner writes them, whoever sees the API reads them.
func (a *Admin) docRoutes() {
	a.handle("PUT /v1/apis/{name}/{version}/docs/{doc}", a.only("edit API documents", publishers, a.putDoc))
	a.handle("GET /v1/apis/{name}/{version}/docs", a.auth(a.listDocs))
	a.handle("GET /v1/apis/{name}/{version}/docs/{doc}", a.auth(a.getDoc))
	a.handle("DELETE /v1/apis/{name}/{version}/docs/{doc}", a.only("edit API documents", publishers, a.deleteDoc))
}

// putDoc creates or replaces a document of an API version (Markdown or plain text, UTF-8).
func (a *Admin) putDoc(w http.ResponseWriter, r *http.Request) error {
	name, err := docName(r)
	if err != nil {
		return err
	}
	api, err := a.findOwnAPI(r)
	if err != nil {
		return err
	}
	body, err := readBody(r, docTextTypes, maxDocument)
	if err != nil {
		return err
	}
	if !utf8.Valid(body) {
		return httperr.New(http.StatusBadRequest, "request body must be UTF-8 text")
	}
	doc := state.Document{Name: name, Body: string(body), UpdatedAt: a.now().UnixMilli()}
	res, err := a.apply(r, raftstore.PutDocument{API: api.ID(), Doc: doc})
	if err != nil {
		return err
	}
	put, err := result[raftstore.PutDocumentResult](res)
	if err != nil {
		return err
	}
	if put.Doc != nil {
		doc = *put.Doc
	}
	return writeJSON(w, http.StatusOK, map[string]any{"name": doc.Name, "updatedAt": doc.UpdatedAt})
}

// listDocs lists the documents of an API version by name.
func (a *Admin) listDocs(w http.ResponseWriter, r *http.Request) error {
	api, err := a.findAPI(r)
	if err != nil {
		return err
	}
	docs := a.store.State().Documents[api.ID()]
	out := make([]docInfo, 0, len(docs))
	for _, d := range docs {
		out = append(out, docInfo{Name: d.Name, UpdatedAt: d.UpdatedAt, Size: len(d.Body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return writeJSON(w, http.StatusOK, out)
}

// getDoc answers with a document's text as Markdown.
func (a *Admin) getDoc(w http.ResponseWriter, r *http.Request) error {
	name, err := docName(r)
	if err != nil {
		return err
	}
	api, err := a.findAPI(r)
	if err != nil {
		return err
	}
	doc, ok := a.store.State().Document(api.ID(), name)
	if !ok {
		return httperr.New(http.StatusNotFound, fmt.Sprintf("document %q of API %s %s not found", name, api.Name,
			api.Version))
	}
	h := w.Header()
	h.Set("Content-Type", "text/markdown; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(doc.Body)))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(doc.Body))
	return nil
}

// deleteDoc removes a document. Existence is checked by the state machine.
func (a *Admin) deleteDoc(w http.ResponseWriter, r *http.Request) error {
	name, err := docName(r)
	if err != nil {
		return err
	}
	api, err := a.findOwnAPI(r)
	if err != nil {
		return err
	}
	if _, err := a.apply(r, raftstore.DeleteDocument{API: api.ID(), Name: name}); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"name": name, "deleted": true})
}

// docName reads the document name of the path: 1 to 64 characters of [A-Za-z0-9._-].
func docName(r *http.Request) (string, error) {
	name := r.PathValue("doc")
	if !validToken(name, 64) {
		return "", httperr.New(http.StatusBadRequest,
			fmt.Sprintf("doc: %q must be 1 to 64 characters of [A-Za-z0-9._-]", name))
	}
	return name, nil
}
