package oauth

import (
	"net/http"
	"net/url"

	"portico/raftstore/state"
)

// clientAuthMethods are the client authentication methods of every endpoint that authenticates clients.
var clientAuthMethods = []string{"client_secret_basic", "client_secret_post", "none"}

// metadata is the RFC 8414 authorization server metadata.
type metadata struct {
	Issuer                        string   `json:"issuer"`
	AuthorizationEndpoint         string   `json:"authorization_endpoint"`
	TokenEndpoint                 string   `json:"token_endpoint"`
	RevocationEndpoint            string   `json:"revocation_endpoint"`
	IntrospectionEndpoint         string   `json:"introspection_endpoint"`
	JWKSURI                       string   `json:"jwks_uri"`
	GrantTypes                    []string `json:"grant_types_supported"`
	ResponseTypes                 []string `json:"response_types_supported"`
	ResponseModes                 []string `json:"response_modes_supported"`
	CodeChallengeMethods          []string `json:"code_challenge_methods_supported"`
	TokenEndpointAuthMethods      []string `json:"token_endpoint_auth_methods_supported"`
	RevocationEndpointAuthMethods []string `json:"revocation_endpoint_auth_methods_supported"`
	IntrospectionAuthMethods      []string `json:"introspection_endpoint_auth_methods_supported"`
}

// serveJWKS is GET /.well-known/jwks.json: the public keys of every signing key in the state.
func (s *Server) serveJWKS(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return methodNotAllowed("GET, HEAD")
	}
	w.Header().Set("Cache-Control", "public, max-age=60")
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(s.keys.JWKS())
	return nil
}

// serveMetadata is GET /.well-known/oauth-authorization-server: the endpoints on the host the request came to.
func (s *Server) serveMetadata(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return methodNotAllowed("GET, HEAD")
	}
	base := url.URL{Scheme: "http", Host: r.Host}
	if r.TLS != nil {
		base.Scheme = "https"
	}
	at := func(path string) string { u := base; u.Path = path; return u.String() }
	writeJSON(w, http.StatusOK, metadata{
		Issuer: s.issuer, AuthorizationEndpoint: at(pathAuthorize), TokenEndpoint: at(pathToken),
		RevocationEndpoint: at(pathRevoke), IntrospectionEndpoint: at(pathIntrospect), JWKSURI: at(pathJWKS),
		GrantTypes: state.GrantTypes, ResponseTypes: []string{"code"}, ResponseModes: []string{"query"},
		CodeChallengeMethods: []string{pkceS256, pkcePlain}, TokenEndpointAuthMethods: clientAuthMethods,
		RevocationEndpointAuthMethods: clientAuthMethods, IntrospectionAuthMethods: clientAuthMethods,
	})
	return nil
}
