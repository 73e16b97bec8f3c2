// Package plugins is the node's WebAssembly host: it compiles policy modules, keeps bounded pools of guest instances
// and runs a policy's handle_request and handle_response exports for each request the gateway proxies.
//
// In the config flow, the gateway compiles each policy module once when a new route table is built (Host.Compile,
// keyed by the SHA-256 of the bytes) and takes a reference to the pool for its (module, config) pair (Host.Pool),
// which starts one warm instance. In the request flow, the gateway wraps the inbound request in an Exchange, runs
// Pool.Request for each policy of the operation's chain, proxies the (possibly edited) request upstream and runs
// Pending.Response in reverse order for the policies that asked for the response.
//
// Guests speak the http-wasm "http_handler" ABI plus Portico's "portico_v1" module (see package plugins/abi and
// WASM-ABI.md). The host follows the wazero practices for multi-tenant servers: one runtime per node with a
// compilation cache, anonymous instances of which each serves one request at a time, a deadline on every guest call
// enforced with close-on-context-done, a linear-memory cap, and an instance whose call failed is closed, never reused.
// A pool whose calls fail repeatedly is quarantined for a cooldown. A host function that sees a bad pointer, a bad
// length or a rule violation panics, which wazero turns into a trap: the call fails and the request fails closed.
package plugins
