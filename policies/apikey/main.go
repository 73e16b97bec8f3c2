//go:build wasip1

// Command apikey is the built-in "apikey" policy: in the request phase of an API secured with api-key, it
// authenticates the caller by the API key in a request header through the host's portico_v1.authenticate, answers
// 401 or 403 for a key that is not valid for the called API, and lets a valid request continue without the key
// header, which never reaches the backend. See README.md.
package main

import (
	"portico/plugins/abi"
	"portico/sdk"
)

// header is the lower-cased name of the header carrying the key, from the config.
var header string

func init() {
	cfg, err := parseConfig(sdk.Config())
	if err != nil {
		panic(err) // the host refuses the policy attachment
	}
	header = cfg.Header
	sdk.HandleRequest(handleRequest)
}

// main is never called: the policy is a reactor and init is its setup hook.
func main() {}

func handleRequest(req sdk.Request, resp sdk.Response) (next bool, reqCtx uint32) {
	key, n := req.Headers().Peek(header) // a view, handed straight to the host: no copy in the guest
	switch {
	case n > 1:
		return reject(resp, 401, "unauthorized", "more than one API key")
	case len(key) == 0:
		return reject(resp, 401, "unauthorized", "missing API key")
	}
	if verdict := sdk.AuthenticateBytes(abi.CredentialAPIKey, key); verdict != abi.AuthOK {
		status, code, msg := refusal(verdict)
		return reject(resp, status, code, msg)
	}
	req.Headers().Remove(header)
	return true, 0
}

func reject(resp sdk.Response, status uint32, code, message string) (next bool, reqCtx uint32) {
	resp.WriteError(status, code, message)
	return false, 0
}
