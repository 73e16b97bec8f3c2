package oauth

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
)

// maxBody is the largest form body the endpoints read.
const maxBody = 64 << 10

// formContentType is the only request body type the endpoints take (RFC 6749 §3.2).
const formContentType = "application/x-www-form-urlencoded"

// secretParams may never travel in a URL query: a query ends up in logs and browser history (RFC 6749 §2.3.1).
var secretParams = []string{"client_secret", "password", "refresh_token", "code_verifier", "token"}

// readForm reads a POST body as a form: the method must be POST, the content type form-urlencoded, the body at most
// maxBody bytes, no parameter repeated (RFC 6749 §3.2), and no secret parameter in the URL query.
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	if r.Method != http.MethodPost {
		return nil, methodNotAllowed(http.MethodPost)
	}
	q := r.URL.Query()
	for _, p := range secretParams {
		if q.Has(p) {
			return nil, badRequest(codeInvalidRequest, "parameter "+p+" must not be sent in the URL query")
		}
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != formContentType {
		return nil, badRequest(codeInvalidRequest, "the request body must be "+formContentType)
	}
	return parseBody(w, r)
}

// parseBody reads and parses the form body, bounded by maxBody.
func parseBody(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, badRequest(codeInvalidRequest, "the request body is larger than 64 KiB")
		}
		return nil, badRequest(codeInvalidRequest, "reading the request body failed")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, badRequest(codeInvalidRequest, "the request body is not a valid form")
	}
	return form, unique(form)
}

// unique refuses a form that repeats a parameter.
func unique(form url.Values) error {
	for k, vs := range form {
		if len(vs) > 1 {
			return badRequest(codeInvalidRequest, "parameter "+k+" is repeated")
		}
	}
	return nil
}

// methodNotAllowed builds the 405 error with its Allow header.
func methodNotAllowed(allow string) *oauthError {
	return &oauthError{Status: http.StatusMethodNotAllowed, Code: codeInvalidRequest,
		Description: "method not allowed; use " + allow, Header: http.Header{"Allow": {allow}}}
}

// required returns a form parameter that must be present and non-empty.
func required(form url.Values, name string) (string, error) {
	v := form.Get(name)
	if v == "" {
		return "", badRequest(codeInvalidRequest, "parameter "+name+" is required")
	}
	return v, nil
}
