//go:build wasip1

// Command apikey is the built-in "apikey" policy: in the request phase of an API secured with api-key, it
// authenticates the caller by the API key in a request header, checks that the key belongs to the called API and
// that the application's subscription is active, and tells the gateway who the caller is through the auth.*
// properties. The key header never reaches the backend. See README.md.
package main

import (
	"crypto/sha256"

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
	key, _ := req.Header(header)
	if key == "" {
		return reject(resp, 401, "unauthorized", "missing API key")
	}
	id, ok := abi.ParseAPIKey(key)
	if !ok {
		return reject(resp, 401, "unauthorized", "invalid API key")
	}
	cred, ok := sdk.LookupAPIKey(id, sha256.Sum256([]byte(key)))
	if !ok {
		return reject(resp, 401, "unauthorized", "invalid API key")
	}
	if msg := authorize(cred, sdk.Property(abi.PropAPIName), sdk.Property(abi.PropAPIMajor)); msg != "" {
		return reject(resp, 403, "forbidden", msg)
	}
	sdk.SetProperty(abi.PropAuthApp, cred.App)
	sdk.SetProperty(abi.PropAuthEnv, cred.Env)
	sdk.SetProperty(abi.PropAuthKeyID, id)
	sdk.SetProperty(abi.PropAuthSub, cred.Subscription)
	sdk.SetProperty(abi.PropAuthPlan, cred.Plan)
	req.Headers().Remove(header)
	return true, 0
}

func reject(resp sdk.Response, status uint32, code, message string) (next bool, reqCtx uint32) {
	resp.WriteError(status, code, message)
	return false, 0
}
