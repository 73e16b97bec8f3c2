// Package sdk is what policy authors import to write a Portico policy in plain Go. A policy is a wasm guest that the
// gateway runs on every request of the operations it is attached to: the gateway calls the policy's request handler
// before the upstream call and, if the handler asked for it, its response handler after. The SDK hides the guest ABI
// (the http-wasm "http_handler" host module plus Portico's "portico_v1", see package portico/plugins/abi).
//
// # Building
//
// A policy is a main package compiled as a WASI reactor:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -buildvcs=false -ldflags='-s -w -buildid=' -o policy.wasm .
//
// The handlers, views and host services exist only for GOOS=wasip1, so every file of a policy carries the
// //go:build wasip1 constraint (host builds of ./... then skip the policy). On other platforms this package holds
// only its pure helpers, tested with a plain go test.
//
// # Lifecycle
//
// main is never called. The policy's init functions are the setup hook: the host runs them once per instance,
// when it creates the instance, with the policy's configuration readable through [Config]. Register the handlers
// there:
//
//	func init() {
//		cfg := sdk.Config() // the JSON config of this attachment, or empty
//		...
//		sdk.HandleRequest(handle)
//	}
//
//	func handle(req sdk.Request, resp sdk.Response) (next bool, reqCtx uint32) {
//		if _, ok := req.Header("x-token"); !ok {
//			resp.WriteError(401, "unauthorized", "missing token")
//			return false, 0
//		}
//		return true, 0
//	}
//
// A panic in init makes the host refuse the policy attachment (for example on a bad config), with the panic message
// in the gateway's log; a panic in a handler fails the request and the host discards the instance.
//
// # Rules
//
// An instance serves one request at a time and is reused for later requests, so package-level variables persist
// between requests of the same instance but are not shared between instances: keep nothing request-specific in them
// past the handler's return, and use host services (properties, credential lookups) for anything shared. A response
// handler registered with [HandleResponse] runs on the instance that ran the request handler, which stays reserved
// for the request until then; one registered with [HandleResponseAnyInstance] gets what it needs through reqCtx and
// the request's headers, and lets the instance serve other requests while the upstream call runs. The SDK is
// synchronous: do not start goroutines or timers, and do not block waiting for anything; no code of the guest runs
// between calls.
//
// Values returned by the views are copies and stay valid after the call, except those of [Headers.Peek] and
// [PeekProperty]: they are views of the SDK's read buffer, valid until the next call into the SDK, and save the copy
// on a hot path that only inspects a value or hands it straight back to the host ([AuthenticateBytes]). The request
// can only be edited in the request handler (the host fails the request otherwise); edits apply to the request sent
// upstream.
//
// Each view method is a host call that copies data across the wasm boundary: on the hot path read only what the
// policy needs, for example [Request.Header] rather than listing all headers. Guest code is slower than the same Go
// on the host: with the call deadlines the host enforces, every jump the guest takes (each loop iteration, each
// taken branch, the entry into most functions) exits to a deadline check of about 30 ns, and an allocation makes
// dozens of them. Prefer the Peek views on the hot path, avoid allocating there, and loop over words rather than
// bytes.
package sdk
