//go:build wasip1

// Command oauth2 is the built-in "oauth2" policy: in the request phase of an API secured with oauth2, it
// authenticates the caller by the OAuth2 access token of an "Authorization: Bearer" header through the host's
// portico_v1.authenticate, answers 401 or 403 (RFC 6750) for a token that is not valid for the called API or lacks a
// scope the operation requires, and lets a valid request continue without the Authorization header, which never
// reaches the backend. See README.md.
package main

import (
	"strings"

	"portico/plugins/abi"
	"portico/policies/oauth2/internal/bearer"
	"portico/sdk"
)

// required are the scopes the operation requires, from the config.
var required []string

// scopeChallenge is the WWW-Authenticate value of an insufficient_scope refusal, naming every required scope.
var scopeChallenge string

func init() {
	cfg, err := parseConfig(sdk.Config())
	if err != nil {
		panic(err) // the host refuses the policy attachment
	}
	required = cfg.Scopes
	scopeChallenge = challenge + `, error="insufficient_scope", scope="` + strings.Join(required, " ") + `"`
	sdk.HandleRequest(handleRequest)
}

// main is never called: the policy is a reactor and init is its setup hook.
func main() {}

// The WWW-Authenticate challenges (RFC 6750 section 3).
const (
	challenge      = `Bearer realm="portico"`
	invalidRequest = challenge + `, error="invalid_request"`
	invalidToken   = challenge + `, error="invalid_token"`
)

// authorization is the request header carrying the token, lower-cased.
const authorization = "authorization"

// Messages of the 401 responses; none tells more about a token than that it is not valid.
const (
	msgMissing      = "an OAuth2 access token is required (Authorization: Bearer ...)"
	msgInvalidToken = "invalid, expired or revoked access token"
)

// handleRequest runs on every request. The token stays a view of the SDK's read buffer, handed to the host without
// a copy: a guest allocation costs most of a microsecond. The scope list is read only when a scope is required.
func handleRequest(req sdk.Request, resp sdk.Response) (next bool, reqCtx uint32) {
	token, p := bearer.Token(req.Headers().Peek(authorization))
	if p != bearer.Found {
		return refuseHeader(resp, p)
	}
	if len(token) > bearer.MaxTokenLen {
		return reject(resp, 401, "unauthorized", msgInvalidToken, invalidToken)
	}
	if verdict := sdk.AuthenticateBytes(abi.CredentialBearer, token); verdict != abi.AuthOK {
		return refuse(resp, verdict)
	}
	if len(required) > 0 {
		if missing, ok := missingScope(); !ok {
			return reject(resp, 403, "insufficient_scope",
				`the access token does not grant the required scope "`+missing+`"`, scopeChallenge)
		}
	}
	req.Headers().Remove(authorization)
	return true, 0
}

// refuseHeader answers an Authorization header without a usable Bearer token.
func refuseHeader(resp sdk.Response, p bearer.Presence) (next bool, reqCtx uint32) {
	switch p {
	case bearer.Several:
		return reject(resp, 401, "invalid_request", "more than one Authorization header", invalidRequest)
	case bearer.Malformed:
		return reject(resp, 401, "invalid_request", "malformed Bearer access token", invalidRequest)
	}
	return reject(resp, 401, "unauthorized", msgMissing, challenge)
}

// refuse answers a verdict of portico_v1.authenticate other than AuthOK: 403 for a valid token that may not call
// this API, 401 invalid_token otherwise. An unknown verdict fails closed with 401.
func refuse(resp sdk.Response, verdict int32) (next bool, reqCtx uint32) {
	switch verdict {
	case abi.AuthWrongAPI:
		return reject(resp, 403, "forbidden", "access token is not valid for this API", "")
	case abi.AuthNotSubscribed:
		return reject(resp, 403, "forbidden", "application is not subscribed to this API", "")
	case abi.AuthInactive:
		return reject(resp, 403, "forbidden", "subscription is blocked", "")
	}
	return reject(resp, 401, "unauthorized", msgInvalidToken, invalidToken)
}

// missingScope returns the first required scope the token does not grant (the auth.scope property the host set).
func missingScope() (scope string, ok bool) {
	granted := sdk.PeekProperty(abi.PropAuthScope)
	for _, s := range required {
		if !bearer.HasScope(granted, s) {
			return s, false
		}
	}
	return "", true
}

// reject writes the gateway's JSON error with a WWW-Authenticate challenge when there is one.
func reject(resp sdk.Response, status uint32, code, message, wwwAuthenticate string) (next bool, reqCtx uint32) {
	resp.WriteError(status, code, message)
	if wwwAuthenticate != "" {
		resp.Headers().Set("www-authenticate", wwwAuthenticate)
	}
	return false, 0
}
