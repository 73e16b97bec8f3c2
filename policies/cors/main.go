//go:build wasip1

// Command cors is the built-in "cors" policy: the gateway attaches it first to every operation of an API with a
// cors block. It answers CORS preflight requests itself (204 with the Access-Control-* headers, or 403 without any)
// and, in the response phase, adds Access-Control-Allow-Origin (and -Allow-Credentials) to the responses of
// requests from an allowed origin; requests from other origins proceed without CORS headers. See README.md.
package main

import (
	"portico/plugins/abi"
	"portico/sdk"
)

// cfg is the checked config.
var cfg *policy

func init() {
	var err error
	if cfg, err = parseConfig(sdk.Config()); err != nil {
		panic(err) // the host refuses the policy attachment
	}
	// Response headers can only be set after the upstream call with buffer_response; the host does not hold the
	// body back for it.
	sdk.EnableFeatures(abi.FeatureBufferResponse)
	sdk.HandleRequest(handleRequest)
	// The response needs only reqCtx and the request's Origin header: any instance can run it, and none is held
	// while the upstream call runs.
	sdk.HandleResponseAnyInstance(handleResponse)
}

// main is never called: the policy is a reactor and init is its setup hook.
func main() {}

// Request contexts handed to the response handler of an allowed request.
const (
	ctxAnyOrigin  uint32 = 1 // answer Access-Control-Allow-Origin: *
	ctxEchoOrigin uint32 = 2 // answer the request's Origin
)

// Request and response header names, lower-cased.
const (
	hdrOrigin           = "origin"
	hdrRequestMethod    = "access-control-request-method"
	hdrRequestHeaders   = "access-control-request-headers"
	hdrAllowOrigin      = "access-control-allow-origin"
	hdrAllowMethods     = "access-control-allow-methods"
	hdrAllowHeaders     = "access-control-allow-headers"
	hdrAllowCredentials = "access-control-allow-credentials"
	hdrMaxAge           = "access-control-max-age"
	hdrVary             = "vary"
)

// varyPreflight is the Vary value of preflight responses: the answer depends on each of these request headers.
const varyPreflight = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"

func handleRequest(req sdk.Request, resp sdk.Response) (next bool, reqCtx uint32) {
	origin, hasOrigin := req.Header(hdrOrigin)
	if hasOrigin && req.Method() == "OPTIONS" {
		if method, ok := req.Header(hdrRequestMethod); ok {
			preflight(req, resp, origin, method)
			return false, 0
		}
	}
	if !hasOrigin || !cfg.allowsOrigin(origin) {
		sdk.SkipResponse()
		return true, 0
	}
	if cfg.anyOrigin && !cfg.credentials {
		return true, ctxAnyOrigin
	}
	return true, ctxEchoOrigin
}

// handleResponse adds the CORS headers of an allowed origin to the response: the upstream's, or the response of a
// later policy that answered the request itself (a 401, for example), so that the browser lets the page read it.
func handleResponse(reqCtx uint32, req sdk.Request, resp sdk.Response, isError bool) {
	if isError {
		return // the gateway answers with its own error response
	}
	h := resp.Headers()
	if reqCtx == ctxAnyOrigin {
		h.Set(hdrAllowOrigin, "*")
	} else {
		origin, _ := req.Header(hdrOrigin)
		h.Set(hdrAllowOrigin, origin)
	}
	if cfg.credentials {
		h.Set(hdrAllowCredentials, "true")
	}
	if !varies(h.Values(hdrVary), hdrOrigin) {
		h.Add(hdrVary, "Origin")
	}
}

// preflight answers a CORS preflight request: 204 with the Access-Control-* headers when the origin, the method and
// every requested header are allowed, else 403 without any.
func preflight(req sdk.Request, resp sdk.Response, origin, method string) {
	h := resp.Headers()
	h.Set(hdrVary, varyPreflight)
	if reason := cfg.refusal(origin, method, req.Headers().Values(hdrRequestHeaders)); reason != "" {
		resp.WriteError(403, "forbidden", "CORS preflight refused: "+reason)
		return
	}
	resp.SetStatus(204)
	h.Set(hdrAllowOrigin, cfg.allowOrigin(origin))
	h.Set(hdrAllowMethods, cfg.allowMethods)
	if cfg.allowHeaders != "" {
		h.Set(hdrAllowHeaders, cfg.allowHeaders)
	}
	if cfg.maxAge != "" {
		h.Set(hdrMaxAge, cfg.maxAge)
	}
	if cfg.credentials {
		h.Set(hdrAllowCredentials, "true")
	}
}
