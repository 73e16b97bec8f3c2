package oauth

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"portico/node/token"
)

func TestRevoke(t *testing.T) {
	cases := []struct {
		name        string
		tok         func(f *fixture) (string, string) // the token to revoke and its use
		hint        string
		auth        auth
		wantRevoked bool
	}{
		{"own access token", func(f *fixture) (string, string) {
			return passwordTokens(f, "alice").AccessToken, token.UseAccess
		}, "", basicAuth(confID, confSecret), true},
		{"own refresh token", func(f *fixture) (string, string) {
			return passwordTokens(f, "alice").RefreshToken, token.UseRefresh
		}, "", basicAuth(confID, confSecret), true},
		{"own refresh token with hint", func(f *fixture) (string, string) {
			return passwordTokens(f, "alice").RefreshToken, token.UseRefresh
		}, "refresh_token", formAuth(confID, confSecret), true},
		{"access token with a wrong hint", func(f *fixture) (string, string) {
			return passwordTokens(f, "alice").AccessToken, token.UseAccess
		}, "refresh_token", basicAuth(confID, confSecret), true},
		{"another client's token", func(f *fixture) (string, string) {
			return passwordTokens(f, "alice").AccessToken, token.UseAccess
		}, "", basicAuth(bobID, bobSecret), false},
		{"another client's token, public client", func(f *fixture) (string, string) {
			return passwordTokens(f, "alice").RefreshToken, token.UseRefresh
		}, "", formAuth(publicID, ""), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			raw, use := tc.tok(f)
			w := f.post(pathRevoke, form("token", raw, "token_type_hint", tc.hint), tc.auth)
			if w.Code != http.StatusOK || w.Body.Len() != 0 || w.Header().Get("Cache-Control") != "no-store" {
				t.Fatalf("got %d %q Cache-Control %q, want 200, empty, no-store", w.Code, w.Body.String(),
					w.Header().Get("Cache-Control"))
			}
			_, err := f.verify(raw, use)
			if revoked := errors.Is(err, token.ErrRevoked); revoked != tc.wantRevoked {
				t.Errorf("got revoked %v (%v), want %v", revoked, err, tc.wantRevoked)
			}
			if want := map[bool]int{true: 1, false: 0}[tc.wantRevoked]; f.prop.count() != want {
				t.Errorf("got %d proposals, want %d", f.prop.count(), want)
			}
		})
	}
}

// TestRevokeRefreshTokenRevokesItsGrant: RFC 7009 §2.1 — revoking a refresh token revokes the access tokens of the
// same grant (issued with it or refreshed from it), and nothing of another grant; revoking an access token leaves
// its refresh token alone.
func TestRevokeRefreshTokenRevokesItsGrant(t *testing.T) {
	f := newFixture(t)
	first := passwordTokens(f, "alice")
	second := f.mustToken(form("grant_type", "refresh_token", "refresh_token", first.RefreshToken),
		basicAuth(confID, confSecret))
	other := passwordTokens(f, "alice")
	if w := f.post(pathRevoke, form("token", other.AccessToken), basicAuth(confID, confSecret)); w.Code != http.StatusOK {
		t.Fatalf("revoke: got %d, want 200", w.Code)
	}
	if _, err := f.verify(other.RefreshToken, token.UseRefresh); err != nil {
		t.Fatalf("refresh token after its access token was revoked: got %v, want valid", err)
	}
	if w := f.post(pathRevoke, form("token", second.RefreshToken), basicAuth(confID, confSecret)); w.Code != http.StatusOK {
		t.Fatalf("revoke: got %d, want 200", w.Code)
	}
	for name, tok := range map[string]string{"first": first.AccessToken, "second": second.AccessToken} {
		if _, err := f.verify(tok, token.UseAccess); !errors.Is(err, token.ErrRevoked) {
			t.Errorf("%s access token of the revoked grant: got %v, want revoked", name, err)
		}
	}
	if _, err := f.verify(other.RefreshToken, token.UseRefresh); err != nil {
		t.Errorf("another grant's refresh token: got %v, want valid", err)
	}
}

func TestRevokeRefusals(t *testing.T) {
	cases := []struct {
		name       string
		req        func(f *fixture) *httptest.ResponseRecorder
		wantStatus int
		wantCode   string
	}{
		{"garbage token", func(f *fixture) *httptest.ResponseRecorder {
			return f.post(pathRevoke, form("token", "not-a-token"), basicAuth(confID, confSecret))
		}, 200, ""},
		{"expired token", func(f *fixture) *httptest.ResponseRecorder {
			raw := passwordTokens(f, "alice").AccessToken
			f.advance(601e9)
			return f.post(pathRevoke, form("token", raw), basicAuth(confID, confSecret))
		}, 200, ""},
		{"authorization code", func(f *fixture) *httptest.ResponseRecorder {
			code := f.code(publicAuthorize(newPKCE("v-")), "alice")
			return f.post(pathRevoke, form("token", code), formAuth(publicID, ""))
		}, 200, ""},
		{"no client authentication", func(f *fixture) *httptest.ResponseRecorder {
			return f.post(pathRevoke, form("token", passwordTokens(f, "alice").AccessToken), auth{})
		}, 401, "invalid_client"},
		{"wrong secret", func(f *fixture) *httptest.ResponseRecorder {
			return f.post(pathRevoke, form("token", passwordTokens(f, "alice").AccessToken), basicAuth(confID, "x"))
		}, 401, "invalid_client"},
		{"missing token", func(f *fixture) *httptest.ResponseRecorder {
			return f.post(pathRevoke, form("token_type_hint", "access_token"), basicAuth(confID, confSecret))
		}, 400, "invalid_request"},
		{"token in the query", func(f *fixture) *httptest.ResponseRecorder {
			r := tokenPost(form("client_id", publicID))
			r.URL.Path = pathRevoke
			r.URL.RawQuery = "token=abc"
			return f.serve(r)
		}, 400, "invalid_request"},
		{"GET", func(f *fixture) *httptest.ResponseRecorder {
			return f.serve(httptest.NewRequest(http.MethodGet, pathRevoke, nil))
		}, 405, "invalid_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			w := tc.req(f)
			if w.Code != tc.wantStatus {
				t.Fatalf("got %d, want %d: %s", w.Code, tc.wantStatus, w.Body.String())
			}
			if tc.wantCode != "" {
				wantError(t, decodeToken(t, w), tc.wantStatus, tc.wantCode)
			}
			if f.prop.count() != 0 {
				t.Errorf("got %d proposals, want none", f.prop.count())
			}
		})
	}
}

func TestRevokeProposerFailure(t *testing.T) {
	f := newFixture(t)
	raw := passwordTokens(f, "alice").AccessToken
	f.prop.fail = true
	w := f.post(pathRevoke, form("token", raw), basicAuth(confID, confSecret))
	wantError(t, decodeToken(t, w), 503, "temporarily_unavailable")
	if _, err := f.verify(raw, token.UseAccess); err != nil {
		t.Errorf("got %v, want the token still valid after a failed revocation", err)
	}
}

func TestIntrospect(t *testing.T) {
	f := newFixture(t)
	pair := passwordTokens(f, "alice")
	cc := f.mustToken(form("grant_type", "client_credentials", "scope", "read"), basicAuth(confID, confSecret))
	revoked := passwordTokens(f, "alice").AccessToken
	if w := f.post(pathRevoke, form("token", revoked), basicAuth(confID, confSecret)); w.Code != http.StatusOK {
		t.Fatalf("revoke: got %d, want 200", w.Code)
	}
	code := f.code(publicAuthorize(newPKCE("v-")), "alice")
	expiredSoon := f.mustToken(form("grant_type", "client_credentials"), basicAuth(bobID, bobSecret)).AccessToken
	iat := f.now().Unix()

	cases := []struct {
		name string
		tok  string
		hint string
		auth auth
		want introspection
	}{
		{"access token of a user", pair.AccessToken, "", basicAuth(confID, confSecret), introspection{Active: true,
			Scope: "read write", ClientID: confID, Sub: "alice", Exp: iat + 600, Iat: iat, Nbf: iat, Iss: "portico",
			Aud: "portico", TokenType: "Bearer", Env: "production"}},
		{"client credentials token", cc.AccessToken, "access_token", formAuth(confID, confSecret), introspection{
			Active: true, Scope: "read", ClientID: confID, Sub: confID, Exp: iat + 600, Iat: iat, Nbf: iat,
			Iss: "portico", Aud: "portico", TokenType: "Bearer", Env: "production"}},
		{"refresh token", pair.RefreshToken, "refresh_token", basicAuth(confID, confSecret), introspection{Active: true,
			Scope: "read write", ClientID: confID, Sub: "alice", Exp: iat + 3600, Iat: iat, Nbf: iat, Iss: "portico",
			Aud: token.AudienceRefresh, TokenType: "refresh_token", Env: "production"}},
		{"another client's token", pair.AccessToken, "", basicAuth(bobID, bobSecret), introspection{}},
		{"revoked", revoked, "", basicAuth(confID, confSecret), introspection{}},
		{"authorization code", code, "", formAuth(publicID, ""), introspection{}},
		{"garbage", "a.b.c", "", basicAuth(confID, confSecret), introspection{}},
		{"expired", expiredSoon, "", basicAuth(bobID, bobSecret), introspection{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "expired" { // the last case
				f.advance(901e9)
			}
			w := f.post(pathIntrospect, form("token", tc.tok, "token_type_hint", tc.hint), tc.auth)
			if w.Code != http.StatusOK || w.Header().Get("Cache-Control") != "no-store" {
				t.Fatalf("got %d Cache-Control %q, want 200 no-store", w.Code, w.Header().Get("Cache-Control"))
			}
			var got introspection
			if err := jsonDecode(w.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if got.Active {
				if got.Jti == "" {
					t.Errorf("got no jti, want one")
				}
				got.Jti = ""
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if !tc.want.Active && w.Body.String() != `{"active":false}` {
				t.Errorf("got body %s, want {\"active\":false}", w.Body.String())
			}
		})
	}
}

func TestIntrospectRefusals(t *testing.T) {
	cases := []struct {
		name       string
		auth       auth
		fm         func(f *fixture) map[string]string
		wantStatus int
		wantCode   string
	}{
		{"no client authentication", auth{}, func(f *fixture) map[string]string {
			return map[string]string{"token": passwordTokens(f, "alice").AccessToken}
		}, 401, "invalid_client"},
		{"wrong secret", basicAuth(confID, bobSecret), func(f *fixture) map[string]string {
			return map[string]string{"token": passwordTokens(f, "alice").AccessToken}
		}, 401, "invalid_client"},
		{"missing token", basicAuth(confID, confSecret), func(f *fixture) map[string]string { return nil }, 400,
			"invalid_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			fm := form()
			for k, v := range tc.fm(f) {
				fm.Set(k, v)
			}
			wantError(t, decodeToken(t, f.post(pathIntrospect, fm, tc.auth)), tc.wantStatus, tc.wantCode)
		})
	}
}
