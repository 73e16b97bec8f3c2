//go:build wasip1

package sdk

// Host functions imported from the http_handler and portico_v1 modules. The names and signatures are those listed in
// package portico/plugins/abi (the directives need literal names). Pointer and string arguments are only read or
// written during the call, hence go:noescape.

//go:wasmimport http_handler enable_features
func enableFeatures(features uint32) uint32

//go:wasmimport http_handler get_config
//go:noescape
func getConfig(buf *byte, limit uint32) uint32

//go:wasmimport http_handler log
//go:noescape
func logMessage(level int32, msg string)

//go:wasmimport http_handler log_enabled
func logEnabled(level int32) uint32

//go:wasmimport http_handler get_method
//go:noescape
func getMethod(buf *byte, limit uint32) uint32

//go:wasmimport http_handler set_method
//go:noescape
func setMethod(method string)

//go:wasmimport http_handler get_uri
//go:noescape
func getURI(buf *byte, limit uint32) uint32

//go:wasmimport http_handler set_uri
//go:noescape
func setURI(uri string)

//go:wasmimport http_handler get_protocol_version
//go:noescape
func getProtocolVersion(buf *byte, limit uint32) uint32

//go:wasmimport http_handler get_source_addr
//go:noescape
func getSourceAddr(buf *byte, limit uint32) uint32

//go:wasmimport http_handler get_header_names
//go:noescape
func getHeaderNames(kind uint32, buf *byte, limit uint32) uint64

//go:wasmimport http_handler get_header_values
//go:noescape
func getHeaderValues(kind uint32, name string, buf *byte, limit uint32) uint64

//go:wasmimport http_handler set_header_value
//go:noescape
func setHeaderValue(kind uint32, name, value string)

//go:wasmimport http_handler add_header_value
//go:noescape
func addHeaderValue(kind uint32, name, value string)

//go:wasmimport http_handler remove_header
//go:noescape
func removeHeader(kind uint32, name string)

//go:wasmimport http_handler read_body
//go:noescape
func readBody(kind uint32, buf *byte, limit uint32) uint64

//go:wasmimport http_handler write_body
//go:noescape
func writeBody(kind uint32, buf *byte, n uint32)

//go:wasmimport http_handler get_status_code
func getStatusCode() uint32

//go:wasmimport http_handler set_status_code
func setStatusCode(code uint32)

//go:wasmimport portico_v1 get_property
//go:noescape
func getProperty(key string, buf *byte, limit uint32) uint32

//go:wasmimport portico_v1 set_property
//go:noescape
func setProperty(key, value string)

//go:wasmimport portico_v1 lookup_credential
//go:noescape
func lookupCredential(kind uint32, id string, hash *byte, hashLen uint32, buf *byte, limit uint32) int32

//go:wasmimport portico_v1 authenticate
//go:noescape
func authenticate(kind uint32, credential string) int32

//go:wasmimport portico_v1 skip_response
func skipResponse()

//go:wasmimport portico_v1 response_any_instance
func responseAnyInstance()
