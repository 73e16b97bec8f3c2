// Package oauth serves the cluster's OAuth2 authorization server on every gateway listener: the token endpoint
// (client_credentials, password, refresh_token, authorization_code with PKCE), the authorization page, revocation
// (RFC 7009), introspection (RFC 7662), the JWKS and the RFC 8414 metadata. It sits beside the gateway in the request
// flow: the gateway routes the paths of Paths to it before matching APIs. It reads the node's applied state, issues
// and verifies tokens with node/token, and proposes the revocations it needs (spent codes, rotated refresh tokens,
// RFC 7009 requests) through the cluster's leader.
package oauth
