// Package token issues and verifies the cluster's JWT access tokens (and the refresh tokens and authorization codes
// of package node/oauth) from the replicated state. It sits on the request path of every oauth2-protected API (the
// gateway verifies a bearer token against the current state) and behind the token endpoint (node/oauth issues them).
// Signing keys are ES256 keys whose private half is replicated through Raft sealed with the cluster key, a secret
// file shared by every node; tokens of external identity providers are verified against their JWKS documents.
package token
