package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"portico/node/httperr"
)

// Request body limits.
const (
	maxAPIFile  = 1 << 20  // an API file
	maxOpenAPI  = 4 << 20  // an OpenAPI or Swagger document
	maxJSONBody = 64 << 10 // a JSON request object
)

// Media types a request body may have.
var (
	jsonTypes = []string{"application/json"}
	docTypes  = []string{"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "application/json"}
)

// readBody checks the request's media type against allowed and reads at most limit bytes of its body.
func readBody(r *http.Request, allowed []string, limit int64) ([]byte, error) {
	if err := checkMediaType(r.Header.Get("Content-Type"), allowed); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, httperr.Wrap(http.StatusBadRequest, "reading the request body failed", err)
	}
	if int64(len(data)) > limit {
		return nil, httperr.New(http.StatusRequestEntityTooLarge,
			fmt.Sprintf("request body is larger than %d bytes", limit))
	}
	return data, nil
}

func checkMediaType(contentType string, allowed []string) error {
	mt, _, err := mime.ParseMediaType(contentType)
	if err == nil {
		for _, a := range allowed {
			if mt == a {
				return nil
			}
		}
	}
	return httperr.New(http.StatusUnsupportedMediaType,
		fmt.Sprintf("Content-Type %q is not supported: use one of %v", contentType, allowed))
}

// decodeJSON reads one JSON object of at most maxJSONBody bytes into v. Unknown fields and trailing data are refused.
func decodeJSON(r *http.Request, v any) error {
	data, err := readBody(r, jsonTypes, maxJSONBody)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return httperr.New(http.StatusBadRequest, jsonMessage(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return httperr.New(http.StatusBadRequest, "request body must hold a single JSON object")
	}
	return nil
}

// jsonMessage turns a decoding error into a message that names the field or the offset at fault.
func jsonMessage(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("request body is not valid JSON (at byte %d): %v", syntax.Offset, err)
	case errors.As(err, &typ) && typ.Field != "":
		return fmt.Sprintf("%s: expected %s, got JSON %s", typ.Field, typ.Type, typ.Value)
	case errors.As(err, &typ):
		return fmt.Sprintf("request body must be a JSON object, got JSON %s", typ.Value)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "request body is empty or truncated: a JSON object is required"
	}
	// encoding/json reports unknown fields as `json: unknown field "x"`.
	if msg, ok := bytes.CutPrefix([]byte(err.Error()), []byte("json: ")); ok {
		return string(msg)
	}
	return err.Error()
}
