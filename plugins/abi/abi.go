// Package abi holds the names and codes shared by the plugin host (package plugins) and guests (package sdk and the
// built-in policies): the http-wasm "http_handler" host module, Portico's own "portico_v1" host module, their enums,
// property keys and the credential record format. It has no dependencies so that guests compiled with
// GOOS=wasip1 can import it.
//
// Conventions (http-wasm): strings are (ptr i32, len i32) in the guest's exported "memory". Read functions take
// (buf i32, buf_limit i32), write the value only if it fits and always return its full length. Multi-value results are
// NUL-terminated ("a\x00b\x00") and returned as count<<32 | total_bytes. A bad pointer or a rule violation traps;
// "log" never traps.
package abi

// Host module names.
const (
	ModuleHTTPHandler = "http_handler"
	ModulePortico     = "portico_v1"
)

// Guest exports.
const (
	ExportMemory         = "memory"
	ExportHandleRequest  = "handle_request"  // () -> i64: low 32 bits next (1 continue, 0 responded), high 32 bits ctx
	ExportHandleResponse = "handle_response" // (req_ctx i32, is_error i32) -> ()
	ExportStart          = "_start"
	ExportInitialize     = "_initialize"
)

// http_handler host functions; signatures in comments (i32 unless noted).
const (
	FuncEnableFeatures     = "enable_features"      // (features) -> features
	FuncGetConfig          = "get_config"           // (buf, buf_limit) -> len
	FuncLog                = "log"                  // (level, msg, msg_len)
	FuncLogEnabled         = "log_enabled"          // (level) -> 0|1
	FuncGetMethod          = "get_method"           // (buf, buf_limit) -> len
	FuncSetMethod          = "set_method"           // (ptr, len)
	FuncGetURI             = "get_uri"              // (buf, buf_limit) -> len
	FuncSetURI             = "set_uri"              // (ptr, len)
	FuncGetProtocolVersion = "get_protocol_version" // (buf, buf_limit) -> len
	FuncGetSourceAddr      = "get_source_addr"      // (buf, buf_limit) -> len
	FuncGetHeaderNames     = "get_header_names"     // (kind, buf, buf_limit) -> i64 count_len
	FuncGetHeaderValues    = "get_header_values"    // (kind, name, name_len, buf, buf_limit) -> i64 count_len
	FuncSetHeaderValue     = "set_header_value"     // (kind, name, name_len, value, value_len)
	FuncAddHeaderValue     = "add_header_value"     // (kind, name, name_len, value, value_len)
	FuncRemoveHeader       = "remove_header"        // (kind, name, name_len)
	FuncReadBody           = "read_body"            // (kind, buf, buf_limit) -> i64 eof<<32 | n
	FuncWriteBody          = "write_body"           // (kind, ptr, len)
	FuncGetStatusCode      = "get_status_code"      // () -> status
	FuncSetStatusCode      = "set_status_code"      // (status)
)

// portico_v1 host functions; same conventions.
const (
	// FuncGetProperty reads a request property (see the Prop constants): (key, key_len, buf, buf_limit) -> len.
	// A missing property returns 0.
	FuncGetProperty = "get_property"
	// FuncSetProperty sets a request property that later policies and the gateway read:
	// (key, key_len, value, value_len). Only keys under "auth." may be set; anything else traps.
	FuncSetProperty = "set_property"
	// FuncLookupCredential looks up a credential by its public ID and compares the SHA-256 of the presented secret
	// with the stored hash in constant time: (kind, id, id_len, hash, hash_len, buf, buf_limit) -> len.
	// It returns -1 when there is no such credential, the hash differs or the credential has expired; otherwise the
	// length of the credential record (see EncodeRecord), written under the read-function rules.
	FuncLookupCredential = "lookup_credential"
	// FuncAuthenticate verifies a presented credential against the API being called:
	// (kind, credential, credential_len) -> verdict (see the Auth constants). The guest decides what to answer for
	// each verdict.
	//
	// For kind CredentialAPIKey the credential is the whole API key: the host finds it by its public ID, hashes it
	// with SHA-256 and compares it with the stored hash in constant time, checks expiry, the API and major version
	// the key is bound to, and the application's subscription. On AuthOK it sets auth.app, auth.env, auth.key,
	// auth.subscription and auth.plan.
	//
	// For kind CredentialBearer the credential is an OAuth2 access token (what follows "Bearer "): the host verifies
	// its signature, claims and revocation (or, for a token of an external issuer the API trusts, that issuer's
	// keys), then, for the cluster's own tokens, the application's subscription to the API's major version. On
	// AuthOK it sets auth.app, auth.env, auth.sub, auth.scope, auth.client, auth.token and auth.issuer, plus
	// auth.subscription and auth.plan for the cluster's own tokens.
	FuncAuthenticate = "authenticate"
	// FuncSkipResponse tells the host, during handle_request, that this guest does not need handle_response for the
	// current request, so its instance is returned to the pool before the upstream call: () -> ().
	FuncSkipResponse = "skip_response"
	// FuncResponseAnyInstance declares, while the guest initialises (_start or _initialize), that its handle_response
	// needs nothing from handle_request but req_ctx: no per-request state is kept in guest memory between the two.
	// The host then returns the instance to its pool as soon as handle_request returns, for other requests to use
	// during the upstream call, and runs handle_response on any instance of the pool: () -> (). Without it, the
	// instance that ran handle_request is held until its handle_response has run (http-wasm's behaviour), so a slow
	// upstream holds one instance per request in flight. Called at any other time, it traps.
	FuncResponseAnyInstance = "response_any_instance"
)

// Header kinds.
const (
	HeaderRequest          uint32 = 0
	HeaderResponse         uint32 = 1
	HeaderRequestTrailers  uint32 = 2
	HeaderResponseTrailers uint32 = 3
)

// Body kinds.
const (
	BodyRequest  uint32 = 0
	BodyResponse uint32 = 1
)

// Log levels.
const (
	LogDebug int32 = -1
	LogInfo  int32 = 0
	LogWarn  int32 = 1
	LogError int32 = 2
	LogNone  int32 = 3
)

// Features (bit flags).
const (
	FeatureBufferRequest  uint32 = 1
	FeatureBufferResponse uint32 = 2
	FeatureTrailers       uint32 = 4
)

// Credential kinds for lookup_credential and authenticate.
const (
	CredentialAPIKey uint32 = 0 // an API key (see ParseAPIKey)
	CredentialBearer uint32 = 1 // an OAuth2 access token (RFC 6750 bearer token); authenticate only
)

// Verdicts of authenticate.
const (
	AuthOK            int32 = 0 // valid for this API; auth.* properties set
	AuthUnknown       int32 = 1 // malformed, unknown, wrong secret, expired or revoked
	AuthWrongAPI      int32 = 2 // valid, but bound to another API or major version
	AuthNotSubscribed int32 = 3 // valid, but the application has no subscription to this API's major version
	AuthInactive      int32 = 4 // valid, but the subscription is not active (blocked)
)
