package gateway

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"portico/node/route"
	"portico/node/token"
	"portico/plugins"
	"portico/plugins/abi"
	"portico/raftstore/state"
)

// fakeJWT returns a token shaped like a JWT whose payload holds iss and jti; the fakes below key on the whole string.
func fakeJWT(iss, jti string) string {
	return jwtWith(map[string]any{"iss": iss, "jti": jti})
}

// jwtWith returns a token shaped like a JWT with the given payload claims.
func jwtWith(claims map[string]any) string {
	payload, _ := json.Marshal(claims)
	return "eyJhbGciOiJFUzI1NiJ9." + base64.RawURLEncoding.EncodeToString(payload) + ".c2ln"
}

// fakeTokens is a TokenVerifier that knows a fixed set of tokens. It refuses any other use than access and any
// state other than st, so a test fails if the gateway verifies against the wrong state or for the wrong use.
type fakeTokens struct {
	st     *state.State
	claims map[string]*token.Claims
}

func (f *fakeTokens) Verify(st *state.State, tok, use string) (*token.Claims, error) {
	switch {
	case use != token.UseAccess:
		return nil, fmt.Errorf("use %q: %w", use, token.ErrInvalid)
	case st != f.st:
		return nil, fmt.Errorf("verified against another state: %w", token.ErrInvalid)
	}
	if cl, ok := f.claims[tok]; ok {
		return cl, nil
	}
	return nil, fmt.Errorf("unknown token: %w", token.ErrInvalid)
}

// fakeExternal is an ExternalVerifier that knows a fixed set of tokens and records the issuers it was given.
type fakeExternal struct {
	mu      sync.Mutex
	claims  map[string]*token.Claims
	calls   int
	issuers []state.ExternalIssuer
}

func (f *fakeExternal) Verify(_ context.Context, issuers []state.ExternalIssuer, tok string) (*token.Claims, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.issuers = issuers
	if cl, ok := f.claims[tok]; ok {
		return cl, nil
	}
	return nil, fmt.Errorf("unknown token: %w", token.ErrInvalid)
}

func (f *fakeExternal) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// clusterClaims are the claims of a cluster access token.
func clusterClaims(jti, app, env, clientID string) *token.Claims {
	return &token.Claims{
		RegisteredClaims: jwt.RegisteredClaims{Issuer: DefaultIssuer, Subject: "alice", ID: jti},
		ClientID:         clientID, Scope: "items:read items:write", Env: env, App: app, Use: token.UseAccess,
	}
}

// tokenState is a key state whose applications also hold OAuth2 client credentials, with the tokens a fake verifier
// accepts.
type tokenState struct {
	keyState
	tokens *fakeTokens
	jwt    map[string]string // fixture name → token
}

func newTokenState(index uint64, apis ...*state.API) tokenState {
	ts := tokenState{keyState: newKeyState(index, apis...), jwt: map[string]string{}}
	ts.tokens = &fakeTokens{st: ts.st, claims: map[string]*token.Claims{}}
	cred := func(app, env, id string) {
		a := ts.st.Apps[app]
		if a.Credentials == nil {
			a.Credentials = map[string]*state.ClientCredential{}
		}
		a.Credentials[env] = &state.ClientCredential{ClientID: id, Env: env}
		ts.st.ClientIndex[id] = app
	}
	cred("app1", state.Production, "cl_app1prod")
	cred("app1", state.Sandbox, "cl_app1sand")
	cred("app2", state.Production, "cl_app2prod")
	cred("app3", state.Production, "cl_app3prod")
	for _, tk := range []struct{ name, app, env, client string }{
		{"prod", "app1", state.Production, "cl_app1prod"},
		{"sandbox", "app1", state.Sandbox, "cl_app1sand"},
		{"unsubscribed", "app2", state.Production, "cl_app2prod"},
		{"blocked", "app3", state.Production, "cl_app3prod"},
		{"deleted app", "app9", state.Production, "cl_app9prod"},
		{"deleted credential", "app2", state.Sandbox, "cl_app2sand"},
		{"replaced credential", "app1", state.Production, "cl_app1old"},
	} {
		tok := fakeJWT(DefaultIssuer, "jti-"+strings.ReplaceAll(tk.name, " ", "-"))
		ts.jwt[tk.name] = tok
		ts.tokens.claims[tok] = clusterClaims("jti-"+tk.name, tk.app, tk.env, tk.client)
	}
	return ts
}

// bearerCall is the call of one request to operation 0 of api on a table of st.
func bearerCall(g *Gateway, st *state.State, api *state.API) *call {
	op := &operation{api: &apiEntry{api: api, major: "1"}, id: "GET /hello"}
	return &call{g: g, t: &table{st: st}, m: route.Match[*operation]{API: api, Value: op},
		in: httptest.NewRequest("GET", "/greet/v1/hello", nil), id: "req-1"}
}

const idp = "https://idp.example"

func TestAuthenticateBearer(t *testing.T) {
	trusting := testAPI("http://127.0.0.1:1", func(a *state.API) {
		a.OAuth2 = &state.OAuth2Settings{Issuers: []state.ExternalIssuer{
			{Issuer: "https://other.example", JWKSURL: "https://other.example/jwks"},
			{Issuer: idp, JWKSURL: idp + "/jwks", Audience: "greet", Algorithms: []string{"RS256"}},
		}}
	})
	plain := testAPI("http://127.0.0.1:1")
	ts := newTokenState(1, plain)
	ext := &fakeExternal{claims: map[string]*token.Claims{}}
	extToken := fakeJWT(idp, "ext-1")
	ext.claims[extToken] = &token.Claims{
		RegisteredClaims: jwt.RegisteredClaims{Issuer: idp, Subject: "bob", ID: "ext-1"},
		ClientID:         "spa", Scope: "items:read",
	}
	scpToken := jwtWith(map[string]any{"iss": idp, "jti": "ext-2", "scp": []string{"a", "b"}, "azp": "web"})
	ext.claims[scpToken] = &token.Claims{RegisteredClaims: jwt.RegisteredClaims{Issuer: idp, Subject: "carol",
		ID: "ext-2"}}
	full, err := New(Config{Tokens: ts.tokens, External: ext})
	if err != nil {
		t.Fatal(err)
	}
	bare, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	renamed, err := New(Config{Tokens: ts.tokens, External: ext, Issuer: "https://cluster.example"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		g        *Gateway
		api      *state.API
		kind     uint32
		token    string
		verdict  int32
		who      plugins.Identity
		external bool // the external verifier must have been called
	}{
		{"cluster token", full, plain, abi.CredentialBearer, ts.jwt["prod"], abi.AuthOK, plugins.Identity{
			App: "app1", Env: state.Production, Subscription: "s1", Plan: "Gold", Sub: "alice",
			Scope: "items:read items:write", ClientID: "cl_app1prod", TokenID: "jti-prod", Issuer: DefaultIssuer}, false},
		{"sandbox token", full, plain, abi.CredentialBearer, ts.jwt["sandbox"], abi.AuthOK, plugins.Identity{
			App: "app1", Env: state.Sandbox, Subscription: "s1", Plan: "Gold", Sub: "alice",
			Scope: "items:read items:write", ClientID: "cl_app1sand", TokenID: "jti-sandbox", Issuer: DefaultIssuer},
			false},
		{"unknown token", full, plain, abi.CredentialBearer, fakeJWT(DefaultIssuer, "nope"), abi.AuthUnknown,
			plugins.Identity{}, false},
		{"not a JWT", full, plain, abi.CredentialBearer, "opaque", abi.AuthUnknown, plugins.Identity{}, false},
		{"not subscribed", full, plain, abi.CredentialBearer, ts.jwt["unsubscribed"], abi.AuthNotSubscribed,
			plugins.Identity{}, false},
		{"blocked subscription", full, plain, abi.CredentialBearer, ts.jwt["blocked"], abi.AuthInactive,
			plugins.Identity{}, false},
		{"deleted application", full, plain, abi.CredentialBearer, ts.jwt["deleted app"], abi.AuthUnknown,
			plugins.Identity{}, false},
		{"deleted credential", full, plain, abi.CredentialBearer, ts.jwt["deleted credential"], abi.AuthUnknown,
			plugins.Identity{}, false},
		{"credential replaced by another client", full, plain, abi.CredentialBearer, ts.jwt["replaced credential"],
			abi.AuthUnknown, plugins.Identity{}, false},
		{"no token verifier", bare, plain, abi.CredentialBearer, ts.jwt["prod"], abi.AuthUnknown,
			plugins.Identity{}, false},
		{"unknown credential kind", full, plain, 7, ts.jwt["prod"], abi.AuthUnknown, plugins.Identity{}, false},
		{"external token", full, trusting, abi.CredentialBearer, extToken, abi.AuthOK, plugins.Identity{
			Env: state.Production, Sub: "bob", Scope: "items:read", ClientID: "spa", TokenID: "ext-1", Issuer: idp},
			true},
		{"external token with scp and azp", full, trusting, abi.CredentialBearer, scpToken, abi.AuthOK,
			plugins.Identity{Env: state.Production, Sub: "carol", Scope: "a b", ClientID: "web", TokenID: "ext-2",
				Issuer: idp}, true},
		{"external token refused", full, trusting, abi.CredentialBearer, fakeJWT(idp, "forged"), abi.AuthUnknown,
			plugins.Identity{}, true},
		{"issuer the API does not trust", full, trusting, abi.CredentialBearer, fakeJWT("https://evil.example", "x"),
			abi.AuthUnknown, plugins.Identity{}, false},
		{"no external verifier", bare, trusting, abi.CredentialBearer, extToken, abi.AuthUnknown,
			plugins.Identity{}, false},
		{"cluster token on an API trusting others", full, trusting, abi.CredentialBearer, ts.jwt["prod"],
			abi.AuthOK, plugins.Identity{App: "app1", Env: state.Production, Subscription: "s1", Plan: "Gold",
				Sub: "alice", Scope: "items:read items:write", ClientID: "cl_app1prod", TokenID: "jti-prod",
				Issuer: DefaultIssuer}, false},
		{"external token on an API trusting none", full, plain, abi.CredentialBearer, extToken, abi.AuthUnknown,
			plugins.Identity{}, false},
		{"cluster issuer from the config", renamed, trusting, abi.CredentialBearer, ts.jwt["prod"],
			abi.AuthUnknown, plugins.Identity{}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := ext.count()
			verdict, who := bearerCall(c.g, ts.st, c.api).Authenticate(c.kind, c.token)
			if verdict != c.verdict || who != c.who {
				t.Fatalf("got %d %+v, want %d %+v", verdict, who, c.verdict, c.who)
			}
			if called := ext.count() > before; called != c.external {
				t.Fatalf("external verifier called: got %v, want %v", called, c.external)
			}
			if c.external && !reflect.DeepEqual(ext.issuers, c.api.OAuth2.Issuers) {
				t.Fatalf("issuers given to the external verifier: got %+v, want the API's %+v", ext.issuers,
					c.api.OAuth2.Issuers)
			}
		})
	}
}

func TestPeekIssuer(t *testing.T) {
	b64 := base64.RawURLEncoding.EncodeToString
	cases := []struct {
		name, token, want string
		ok                bool
	}{
		{"iss", fakeJWT(idp, "x"), idp, true},
		{"no iss", "h." + b64([]byte(`{"sub":"a"}`)) + ".s", "", false},
		{"iss not a string", "h." + b64([]byte(`{"iss":1}`)) + ".s", "", false},
		{"one segment", "abc", "", false},
		{"two segments", "h." + b64([]byte(`{"iss":"a"}`)), "", false},
		{"bad base64", "h.!!!.s", "", false},
		{"not JSON", "h." + b64([]byte("iss")) + ".s", "", false},
		{"too long", "h." + b64([]byte(`{"iss":"a","pad":"`+strings.Repeat("x", token.MaxTokenSize)+`"}`)) + ".s",
			"", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := peekIssuer(c.token)
			if got != c.want || ok != c.ok {
				t.Fatalf("got %q %v, want %q %v", got, ok, c.want, c.ok)
			}
		})
	}
}

func TestExternalScopeClient(t *testing.T) {
	cases := []struct {
		name          string
		payload       map[string]any
		claims        token.Claims
		scope, client string
	}{
		{"scope and client_id", map[string]any{"scp": "x", "azp": "y"},
			token.Claims{Scope: "a b", ClientID: "c"}, "a b", "c"},
		{"scp string and azp", map[string]any{"scp": "a b", "azp": "web"}, token.Claims{}, "a b", "web"},
		{"scp array", map[string]any{"scp": []string{"a", "b", "c"}}, token.Claims{}, "a b c", ""},
		{"scp of another type", map[string]any{"scp": 7}, token.Claims{ClientID: "c"}, "", "c"},
		{"neither", map[string]any{"sub": "x"}, token.Claims{}, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			scope, client := externalScopeClient(jwtWith(c.payload), &c.claims)
			if scope != c.scope || client != c.client {
				t.Fatalf("got %q %q, want %q %q", scope, client, c.scope, c.client)
			}
		})
	}
}
