package oauth

import (
	"encoding/json"
	"errors"
	"net/http"
)

// Error codes of RFC 6749 §5.2 and §4.1.2.1, and the ones this server adds for routing errors.
const (
	codeInvalidRequest          = "invalid_request"
	codeInvalidClient           = "invalid_client"
	codeInvalidGrant            = "invalid_grant"
	codeUnauthorizedClient      = "unauthorized_client"
	codeUnsupportedGrantType    = "unsupported_grant_type"
	codeUnsupportedResponseType = "unsupported_response_type"
	codeAccessDenied            = "access_denied"
	codeServerError             = "server_error"
	codeUnavailable             = "temporarily_unavailable"
	codeNotFound                = "not_found"
	codeRateLimited             = "rate_limited" // 429: too many failed sign-ins (not in RFC 6749)
)

// oauthError is an error answered in the RFC 6749 §5.2 form. Cause is logged, never sent.
type oauthError struct {
	Status      int
	Code        string
	Description string
	Cause       error
	// Basic asks for WWW-Authenticate: Basic on a 401 (the client tried HTTP Basic authentication).
	Basic bool
	// Header holds extra response headers (Allow on 405).
	Header http.Header
}

func (e *oauthError) Error() string {
	if e.Cause != nil {
		return e.Code + ": " + e.Description + ": " + e.Cause.Error()
	}
	return e.Code + ": " + e.Description
}

// Unwrap returns the cause.
func (e *oauthError) Unwrap() error { return e.Cause }

// badRequest builds a 400 error.
func badRequest(code, description string) *oauthError {
	return &oauthError{Status: http.StatusBadRequest, Code: code, Description: description}
}

// invalidClient builds the 401 invalid_client error; basic adds the WWW-Authenticate challenge.
func invalidClient(description string, basic bool) *oauthError {
	return &oauthError{Status: http.StatusUnauthorized, Code: codeInvalidClient, Description: description, Basic: basic}
}

// invalidGrant builds the 400 invalid_grant error with a cause kept for the log.
func invalidGrant(description string, cause error) *oauthError {
	return &oauthError{Status: http.StatusBadRequest, Code: codeInvalidGrant, Description: description, Cause: cause}
}

// serverError builds a 500 (or 503 when the cluster could not apply a change) error.
func serverError(status int, cause error) *oauthError {
	code := codeServerError
	if status == http.StatusServiceUnavailable {
		code = codeUnavailable
	}
	return &oauthError{Status: status, Code: code, Description: "the authorization server could not complete the request",
		Cause: cause}
}

// asOAuthError returns err as an *oauthError; any other error becomes a 500.
func asOAuthError(err error) *oauthError {
	var e *oauthError
	if errors.As(err, &e) {
		return e
	}
	return serverError(http.StatusInternalServerError, err)
}

// noStore sets the headers every response of the server carries (RFC 6749 §5.1).
func noStore(h http.Header) {
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
}

// writeJSON writes v with status and the no-store headers.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"server_error"}`)
	}
	noStore(w.Header())
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeError writes e in the RFC 6749 §5.2 form.
func writeError(w http.ResponseWriter, e *oauthError) {
	for k, vs := range e.Header {
		w.Header()[k] = vs
	}
	if e.Status == http.StatusUnauthorized && e.Basic {
		w.Header().Set("WWW-Authenticate", `Basic realm="portico"`)
	}
	body := map[string]string{"error": e.Code}
	if e.Description != "" {
		body["error_description"] = e.Description
	}
	writeJSON(w, e.Status, body)
}
