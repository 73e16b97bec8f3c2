//go:build wasip1

package sdk

import (
	"fmt"
	"unsafe"

	"portico/plugins/abi"
)

// Config returns the configuration of this policy attachment: the JSON written under "config" in the API file, or
// nil when there is none. Read it in init.
func Config() []byte {
	b := readBytes(getConfig)
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}

// EnableFeatures asks the host for the abi.Feature* flags and returns the set now in effect. Called from init it
// applies to every request of the instance; called from a request handler, to the current request only. Enable
// abi.FeatureBufferResponse in init to read the upstream response body in the response handler.
func EnableFeatures(features uint32) uint32 {
	return enableFeatures(features)
}

// Log writes msg to the gateway's log at level (abi.LogDebug, abi.LogInfo, abi.LogWarn or abi.LogError), scoped
// with the policy's name. Never log secrets.
func Log(level int32, msg string) {
	logMessage(level, msg)
}

// LogEnabled reports whether the gateway logs messages at level.
func LogEnabled(level int32) bool {
	return logEnabled(level) == 1
}

// Logf formats and logs a message when level is enabled.
func Logf(level int32, format string, args ...any) {
	if LogEnabled(level) {
		logMessage(level, fmt.Sprintf(format, args...))
	}
}

// Property returns the request property key (see the abi.Prop* constants, for example abi.PropAPIName or a value
// set by an earlier policy such as abi.PropAuthApp), or "" when it is not set.
func Property(key string) string {
	return strs.string(PeekProperty(key))
}

// PeekProperty is Property without copying: the value is a view of the SDK's read buffer, valid only until the
// next call into the SDK, and must not be modified.
func PeekProperty(key string) []byte {
	n := getProperty(key, &scratch[0], uint32(len(scratch)))
	if n <= uint32(len(scratch)) {
		return scratch[:n]
	}
	return readAgain(func(buf *byte, limit uint32) uint32 {
		return getProperty(key, buf, limit)
	}, n)
}

// SetProperty sets a request property that later policies and the gateway read. Only keys under "auth." may be set
// (abi.PropAuthPrefix); the host fails the request otherwise.
func SetProperty(key, value string) {
	setProperty(key, value)
}

// Authenticate asks the host to verify a presented credential against the API being called and returns an
// abi.Auth* verdict; on abi.AuthOK the host has set the auth.* properties. For kind abi.CredentialAPIKey the
// credential is the whole API key: the host hashes it and compares it with the stored hash in constant time, checks
// expiry, the API and major version the key is bound to, and the application's subscription. For kind
// abi.CredentialBearer it is an OAuth2 access token (what follows "Bearer "): the host verifies its signature,
// claims and revocation, then the application's subscription, and sets the token properties too (abi.PropAuthScope,
// abi.PropAuthSubject, ...). The policy decides what to answer for each verdict.
func Authenticate(kind uint32, credential string) int32 {
	return authenticate(kind, credential)
}

// AuthenticateBytes is Authenticate for a credential held in a byte slice, such as a view returned by
// [Headers.Peek]: the host reads it during the call only, so it is neither copied nor kept.
func AuthenticateBytes(kind uint32, credential []byte) int32 {
	return authenticate(kind, unsafe.String(unsafe.SliceData(credential), len(credential)))
}

// LookupAPIKey asks the host for the API key with public ID id (see abi.ParseAPIKey) whose SHA-256 hash of the whole
// key is hash. The host compares hashes in constant time. ok is false when there is no such key, the hash differs
// or the key has expired.
func LookupAPIKey(id string, hash [32]byte) (cred Credential, ok bool) {
	n := lookupCredential(abi.CredentialAPIKey, id, &hash[0], uint32(len(hash)), &scratch[0], uint32(len(scratch)))
	if n < 0 {
		return Credential{}, false
	}
	if n <= int32(len(scratch)) {
		return decodeCredential(scratch[:n]), true
	}
	buf := make([]byte, n)
	if m := lookupCredential(abi.CredentialAPIKey, id, &hash[0], uint32(len(hash)), &buf[0], uint32(n)); m != n {
		panic("sdk: credential record changed size between reads")
	}
	return decodeCredential(buf), true
}

// SkipResponse tells the host, from the request handler, that the response handler need not run for the current
// request: the instance is released before the upstream call. A policy without a response handler never needs it
// (the SDK skips for it); one with a response handler calls it for the requests it has nothing to do for.
func SkipResponse() {
	skipResponse()
}
