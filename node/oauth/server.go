package oauth

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"portico/node/signin"
	"portico/node/token"
	"portico/raftstore"
	"portico/raftstore/state"
)

// Paths served by the Server.
const (
	pathToken      = "/oauth2/token"
	pathAuthorize  = "/oauth2/authorize"
	pathRevoke     = "/oauth2/revoke"
	pathIntrospect = "/oauth2/introspect"
	pathJWKS       = "/.well-known/jwks.json"
	pathMetadata   = "/.well-known/oauth-authorization-server"
)

// Paths returns the paths the Server owns, for the gateway to route to it before matching APIs.
func Paths() []string {
	return []string{pathToken, pathAuthorize, pathRevoke, pathIntrospect, pathJWKS, pathMetadata}
}

// Proposer applies a command through the cluster's leader (the node wires it: locally on the leader, forwarded over
// the inter-node link otherwise) and returns once the leader applied it.
type Proposer interface {
	Propose(ctx context.Context, requestID string, cmd raftstore.Command) (any, error)
}

// Config configures a Server.
type Config struct {
	// State returns the node's current applied state (a lock-free read).
	State func() *state.State
	// Keys issues and verifies tokens; the node updates it on every new state.
	Keys *token.Keys
	// Proposer applies revocations through the leader.
	Proposer Proposer
	// Logger receives one line per refused or failed request; it never sees secrets, tokens, codes or passwords.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Issuer is the "iss" the node's token.Keys writes, announced in the RFC 8414 metadata; "" means "portico".
	Issuer string
	// PasswordCheck verifies a user's password; nil means VerifyPassword.
	PasswordCheck func(u *state.User, password string) bool
	// SignIn limits failed password sign-ins (password grant, sign-in form) and the derivations running at once;
	// nil = no limits. The node shares one with the admin API.
	SignIn *signin.Guard
}

// Server is the OAuth2 authorization server of one node. It is safe for concurrent use.
type Server struct {
	state    func() *state.State
	keys     *token.Keys
	proposer Proposer
	log      *slog.Logger
	now      func() time.Time
	issuer   string
	password func(u *state.User, password string) bool
	guard    *signin.Guard
	mux      map[string]func(http.ResponseWriter, *http.Request) error
	grants   map[string]grantFunc
}

// New builds a Server.
func New(cfg Config) (*Server, error) {
	if cfg.State == nil || cfg.Keys == nil || cfg.Proposer == nil {
		return nil, errors.New("building the oauth server: State, Keys and Proposer are required")
	}
	s := &Server{state: cfg.State, keys: cfg.Keys, proposer: cfg.Proposer, log: cfg.Logger, now: cfg.Now,
		issuer: cfg.Issuer, password: cfg.PasswordCheck, guard: cfg.SignIn}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("component", "oauth")
	if s.now == nil {
		s.now = time.Now
	}
	if s.issuer == "" {
		s.issuer = "portico"
	}
	if s.password == nil {
		s.password = VerifyPassword
	}
	s.mux = map[string]func(http.ResponseWriter, *http.Request) error{
		pathToken: s.serveToken, pathAuthorize: s.serveAuthorize, pathRevoke: s.serveRevoke,
		pathIntrospect: s.serveIntrospect, pathJWKS: s.serveJWKS, pathMetadata: s.serveMetadata,
	}
	s.grants = map[string]grantFunc{
		state.GrantClientCredentials: s.clientCredentialsGrant,
		state.GrantPassword:          s.passwordGrant,
		state.GrantRefreshToken:      s.refreshGrant,
		state.GrantAuthorizationCode: s.codeGrant,
	}
	return s, nil
}

// ServeHTTP serves the paths of Paths; any other path is a 404 JSON error.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, ok := s.mux[r.URL.Path]
	if !ok {
		writeError(w, &oauthError{Status: http.StatusNotFound, Code: codeNotFound, Description: "no such endpoint"})
		return
	}
	r = withClientAddr(r)
	if err := h(w, r); err != nil {
		e := asOAuthError(err)
		s.logRefusal(r, e)
		writeError(w, e)
	}
}

// logRefusal logs a refused or failed request: path, status, code and the cause; never a parameter value.
func (s *Server) logRefusal(r *http.Request, e *oauthError) {
	level := slog.LevelInfo
	if e.Status >= 500 {
		level = slog.LevelError
	}
	attrs := []any{"path", r.URL.Path, "status", e.Status, "error", e.Code}
	if e.Cause != nil {
		attrs = append(attrs, "cause", e.Cause.Error())
	}
	s.log.Log(r.Context(), level, "oauth request refused", attrs...)
}

var _ http.Handler = (*Server)(nil)
