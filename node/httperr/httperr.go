// Package httperr is the wire form of every error the gateway and the admin API produce: an HTTP status and a JSON
// body {"error": code, "message": text, "requestId": id}. Handlers return *Error values; only the top of a handler
// chain writes them, once.
package httperr

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
)

// Error is a typed HTTP error. Cause, if set, is logged by the caller but never sent to the client.
type Error struct {
	Status  int
	Code    string
	Message string
	Cause   error
	// Header holds extra response headers (for example Allow on 405, Retry-After on 429).
	Header http.Header
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return e.Code + ": " + e.Message + ": " + e.Cause.Error()
	}
	return e.Code + ": " + e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Cause }

// codes maps statuses to the wire code used when an error is built with New.
var codes = map[int]string{
	http.StatusBadRequest:                   "invalid_request",
	http.StatusUnauthorized:                 "unauthorized",
	http.StatusForbidden:                    "forbidden",
	http.StatusNotFound:                     "not_found",
	http.StatusMethodNotAllowed:             "method_not_allowed",
	http.StatusConflict:                     "conflict",
	http.StatusGone:                         "gone",
	http.StatusRequestEntityTooLarge:        "payload_too_large",
	http.StatusUnsupportedMediaType:         "unsupported_media_type",
	http.StatusRequestHeaderFieldsTooLarge:  "header_too_large",
	http.StatusTooManyRequests:              "rate_limited",
	http.StatusInternalServerError:          "internal",
	http.StatusBadGateway:                   "bad_gateway",
	http.StatusServiceUnavailable:           "unavailable",
	http.StatusGatewayTimeout:               "gateway_timeout",
	http.StatusPreconditionFailed:           "precondition_failed",
	http.StatusUnprocessableEntity:          "unprocessable",
	http.StatusRequestTimeout:               "request_timeout",
	http.StatusNotImplemented:               "not_implemented",
	http.StatusMisdirectedRequest:           "misdirected_request",
	http.StatusRequestedRangeNotSatisfiable: "range_not_satisfiable",
}

// Code returns the wire code for a status.
func Code(status int) string {
	if c, ok := codes[status]; ok {
		return c
	}
	return "error"
}

// New builds an error with the standard code for status.
func New(status int, message string) *Error {
	return &Error{Status: status, Code: Code(status), Message: message}
}

// Wrap builds an error with the standard code for status and a cause kept for logs.
func Wrap(status int, message string, cause error) *Error {
	return &Error{Status: status, Code: Code(status), Message: message, Cause: cause}
}

// As returns err as an *Error; any other error becomes a 500 with a generic message (its text is not exposed).
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Wrap(http.StatusInternalServerError, "internal error", err)
}

type body struct {
	Error     string `json:"error"`
	Message   string `json:"message"`
	RequestID string `json:"requestId,omitempty"`
}

// Write renders err on w as JSON with requestID. Non-*Error values are rendered as 500 without their text.
func Write(w http.ResponseWriter, requestID string, err error) {
	e := As(err)
	h := w.Header()
	for k, v := range e.Header {
		h[k] = v
	}
	b, _ := json.Marshal(body{Error: e.Code, Message: e.Message, RequestID: requestID})
	b = append(b, '\n')
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(e.Status)
	_, _ = w.Write(b)
}
