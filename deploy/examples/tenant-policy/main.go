//go:build wasip1

package main

import "portico/sdk"

func init() {
	sdk.HandleRequest(func(req sdk.Request, resp sdk.Response) (next bool, reqCtx uint32) {
		if _, ok := req.Header("x-tenant"); !ok {
			resp.WriteError(400, "invalid_request", "x-tenant header required")
			return false, 0
		}
		req.Headers().Set("x-from-gateway", "portico")
		return true, 0
	})
}

func main() {}
