package oauth

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"portico/node/token"
	"portico/raftstore"
	"portico/raftstore/state"
)

func TestClientCredentialsGrant(t *testing.T) {
	cases := []struct {
		name      string
		auth      auth
		scope     string
		wantScope string
		wantTTL   int64
		wantEnv   string
		wantApp   string
	}{
		{"basic auth, all allowed scopes", basicAuth(confID, confSecret), "", "read write", 600, "production", "app-alice"},
		{"form auth", formAuth(confID, confSecret), "", "read write", 600, "production", "app-alice"},
		{"requested scopes intersected", basicAuth(confID, confSecret),
			"write unknown stock:read v2:read admin:all write", "write", 600, "production", "app-alice"},
		{"nothing allowed of the request", basicAuth(confID, confSecret), "stock:read", "", 600, "production", "app-alice"},
		{"owner role unlocks role-bound scopes", basicAuth(carolID, carolSec), "", "admin:all publish read write", 900,
			"production", "app-carol"},
		{"role-bound scope requested by a publisher's app", basicAuth(carolID, carolSec), "publish read", "publish read",
			900, "production", "app-carol"},
		{"default lifetime", basicAuth(bobID, bobSecret), "", "read write", 900, "production", "app-bob"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			fm := form("grant_type", "client_credentials")
			if tc.scope != "" {
				fm.Set("scope", tc.scope)
			}
			res := f.mustToken(fm, tc.auth)
			if res.TokenType != "Bearer" || res.ExpiresIn != tc.wantTTL || res.Scope != tc.wantScope {
				t.Errorf("got type %q ttl %d scope %q, want Bearer %d %q", res.TokenType, res.ExpiresIn, res.Scope,
					tc.wantTTL, tc.wantScope)
			}
			if res.RefreshToken != "" {
				t.Errorf("got a refresh token for client_credentials, want none")
			}
			c, err := f.verify(res.AccessToken, token.UseAccess)
			if err != nil {
				t.Fatalf("verifying the access token: %v", err)
			}
			if c.Subject != tc.auth.id || c.ClientID != tc.auth.id || c.Env != tc.wantEnv || c.App != tc.wantApp ||
				c.Scope != tc.wantScope {
				t.Errorf("got claims sub %q client %q env %q app %q scope %q, want %q %q %q %q %q", c.Subject, c.ClientID,
					c.Env, c.App, c.Scope, tc.auth.id, tc.auth.id, tc.wantEnv, tc.wantApp, tc.wantScope)
			}
			if got := c.ExpiresAt.Sub(c.IssuedAt.Time); got.Seconds() != float64(tc.wantTTL) {
				t.Errorf("got lifetime %v, want %ds", got, tc.wantTTL)
			}
		})
	}
}

func TestTokenRefusals(t *testing.T) {
	cc := form("grant_type", "client_credentials")
	cases := []struct {
		name       string
		req        func(f *fixture) *httptest.ResponseRecorder
		wantStatus int
		wantCode   string
		wantBasic  bool // WWW-Authenticate: Basic expected
	}{
		{"wrong secret with Basic", func(f *fixture) *httptest.ResponseRecorder {
			return f.post(pathToken, cc, basicAuth(confID, "wrong"))
		}, 401, "invalid_client", true},
		{"wrong secret in the form", func(f *fixture) *httptest.ResponseRecorder {
			return f.post(pathToken, cc, formAuth(confID, "wrong"))
		}, 401, "invalid_client", false},
		{"secret of another client", func(f *fixture) *httptest.ResponseRecorder {
			return f.post(pathToken, cc, basicAuth(confID, bobSecret))
		}, 401, "invalid_client", true},
		{"secret not form-url-encoded in Basic", func(f *fixture) *httptest.ResponseRecorder {
			r := tokenPost(cc)
			r.SetBasicAuth(confID, confSecret) // the raw "+" decodes to a space
			return f.serve(r)
		}, 401, "invalid_client", true},
		{"missing secret", func(f *fixture) *httptest.ResponseRecorder {
			return f.post(pathToken, cc, formAuth(confID, ""))
		}, 401, "invalid_client", false},
		{"unknown client", func(f *fixture) *httptest.ResponseRecorder {
			return f.post(pathToken, cc, basicAuth("cl_ffffffffffffffffffffffff", confSecret))
		}, 401, "invalid_client", true},
		{"no client authentication", func(f *fixture) *httptest.ResponseRecorder {
			return f.post(pathToken, cc, auth{})
		}, 401, "invalid_client", false},
		{"malformed Basic header", func(f *fixture) *httptest.ResponseRecorder {
			r := tokenPost(cc)
			r.Header.Set("Authorization", "Basic !!!")
			return f.serve(r)
		}, 401, "invalid_client", true},
		{"public client presenting a secret", func(f *fixture) *httptest.ResponseRecorder {
			return f.post(pathToken, form("grant_type", "authorization_code", "code", "x", "redirect_uri", publicRed),
				formAuth(publicID, "anything"))
		}, 401, "invalid_client", false},
		{"Basic and form secret at once", func(f *fixture) *httptest.ResponseRecorder {
			return f.post(pathToken, form("grant_type", "client_credentials", "client_secret", confSecret),
				basicAuth(confID, confSecret))
		}, 400, "invalid_request", false},
		{"Basic and another form client_id", func(f *fixture) *httptest.ResponseRecorder {
			return f.post(pathToken, form("grant_type", "client_credentials", "client_id", bobID),
				basicAuth(confID, confSecret))
		}, 400, "invalid_request", false},
		{"grant not allowed to the client", func(f *fixture) *httptest.ResponseRecorder {
			return f.post(pathToken, form("grant_type", "password", "username", "bob", "password", passwords["bob"]),
				basicAuth(bobID, bobSecret))
		}, 400, "unauthorized_client", false},
		{"public client with client_credentials", func(f *fixture) *httptest.ResponseRecorder {
			return f.post(pathToken, cc, formAuth(publicID, ""))
		}, 400, "unauthorized_client", false},
		{"unsupported grant type", func(f *fixture) *httptest.ResponseRecorder {
			return f.post(pathToken, form("grant_type", "implicit"), basicAuth(confID, confSecret))
		}, 400, "unsupported_grant_type", false},
		{"missing grant type", func(f *fixture) *httptest.ResponseRecorder {
			return f.post(pathToken, url.Values{}, basicAuth(confID, confSecret))
		}, 400, "invalid_request", false},
		{"JSON body", func(f *fixture) *httptest.ResponseRecorder {
			r := httptest.NewRequest(http.MethodPost, pathToken, strings.NewReader(`{"grant_type":"client_credentials"}`))
			r.Header.Set("Content-Type", "application/json")
			r.SetBasicAuth(confID, url.QueryEscape(confSecret))
			return f.serve(r)
		}, 400, "invalid_request", false},
		{"no content type", func(f *fixture) *httptest.ResponseRecorder {
			r := tokenPost(cc)
			r.Header.Del("Content-Type")
			return f.serve(r)
		}, 400, "invalid_request", false},
		{"body over 64 KiB", func(f *fixture) *httptest.ResponseRecorder {
			big := form("grant_type", "client_credentials", "scope", strings.Repeat("a", 70<<10))
			return f.post(pathToken, big, basicAuth(confID, confSecret))
		}, 400, "invalid_request", false},
		{"repeated parameter", func(f *fixture) *httptest.ResponseRecorder {
			fm := form("grant_type", "client_credentials")
			fm.Add("grant_type", "password")
			return f.post(pathToken, fm, basicAuth(confID, confSecret))
		}, 400, "invalid_request", false},
		{"secret in the URL query", func(f *fixture) *httptest.ResponseRecorder {
			r := tokenPost(form("grant_type", "client_credentials", "client_id", confID))
			r.URL.RawQuery = "client_secret=" + url.QueryEscape(confSecret)
			return f.serve(r)
		}, 400, "invalid_request", false},
		{"GET", func(f *fixture) *httptest.ResponseRecorder {
			return f.serve(httptest.NewRequest(http.MethodGet, pathToken, nil))
		}, 405, "invalid_request", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			w := tc.req(f)
			res := decodeToken(t, w)
			wantError(t, res, tc.wantStatus, tc.wantCode)
			challenge := w.Header().Get("WWW-Authenticate")
			if tc.wantBasic && challenge != `Basic realm="portico"` {
				t.Errorf("WWW-Authenticate: got %q, want the Basic challenge", challenge)
			}
			if !tc.wantBasic && challenge != "" {
				t.Errorf("WWW-Authenticate: got %q, want none", challenge)
			}
			if got := w.Header().Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control: got %q, want no-store", got)
			}
			if f.prop.count() != 0 {
				t.Errorf("got %d proposals, want none", f.prop.count())
			}
		})
	}
}

// tokenPost is a form POST to the token endpoint without client authentication.
func tokenPost(fm url.Values) *http.Request {
	r := httptest.NewRequest(http.MethodPost, pathToken, strings.NewReader(fm.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	return r
}

func decodeToken(t *testing.T, w *httptest.ResponseRecorder) tokenResult {
	t.Helper()
	res := tokenResult{Status: w.Code, Header: w.Header()}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type: got %q, want application/json", ct)
	}
	if err := jsonDecode(w.Body.Bytes(), &res); err != nil {
		t.Fatalf("response %d is not JSON: %v", w.Code, err)
	}
	return res
}

func TestPasswordGrant(t *testing.T) {
	cases := []struct {
		name        string
		user        string
		password    string
		scope       string
		auth        auth
		wantStatus  int
		wantCode    string
		wantScope   string
		wantRefresh bool
	}{
		{"owner", "alice", passwords["alice"], "", basicAuth(confID, confSecret), 200, "", "read write", true},
		{"owner asks for a role-bound scope", "alice", passwords["alice"], "admin:all read", basicAuth(confID, confSecret),
			200, "", "read", true},
		{"shared publisher gets its role's scopes", "carol", passwords["carol"], "", basicAuth(confID, confSecret), 200, "",
			"admin:all publish read write", true},
		{"admin uses any application", "root", passwords["root"], "publish", basicAuth(confID, confSecret), 200, "",
			"publish", true},
		{"no refresh token without the refresh grant", "carol", passwords["carol"], "", basicAuth(carolID, carolSec), 200,
			"", "admin:all publish read write", false},
		{"user neither owner nor shared", "bob", passwords["bob"], "", basicAuth(confID, confSecret), 400,
			"invalid_grant", "", false},
		{"wrong password", "alice", "wrong", "", basicAuth(confID, confSecret), 400, "invalid_grant", "", false},
		{"another user's password", "alice", passwords["bob"], "", basicAuth(confID, confSecret), 400, "invalid_grant",
			"", false},
		{"unknown user", "mallory", passwords["alice"], "", basicAuth(confID, confSecret), 400, "invalid_grant", "", false},
		{"user without a password", "nopass", "anything", "", basicAuth(confID, confSecret), 400, "invalid_grant", "",
			false},
		{"missing password", "alice", "", "", basicAuth(confID, confSecret), 400, "invalid_request", "", false},
		{"missing user name", "", passwords["alice"], "", basicAuth(confID, confSecret), 400, "invalid_request", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			fm := form("grant_type", "password", "username", tc.user, "password", tc.password, "scope", tc.scope)
			res := f.token(fm, tc.auth)
			if tc.wantStatus != 200 {
				wantError(t, res, tc.wantStatus, tc.wantCode)
				return
			}
			if res.Status != 200 || res.Scope != tc.wantScope {
				t.Fatalf("got %d %s scope %q, want 200 scope %q", res.Status, res.Error, res.Scope, tc.wantScope)
			}
			c, err := f.verify(res.AccessToken, token.UseAccess)
			if err != nil || c.Subject != tc.user || c.ClientID != tc.auth.id {
				t.Fatalf("got claims %+v, %v; want sub %q client %q", c, err, tc.user, tc.auth.id)
			}
			if (res.RefreshToken != "") != tc.wantRefresh {
				t.Errorf("got refresh token %v, want %v", res.RefreshToken != "", tc.wantRefresh)
			}
		})
	}
}

// passwordTokens obtains alice's tokens through the password grant of the confidential client.
func passwordTokens(f *fixture, user string) tokenResult {
	f.t.Helper()
	return f.mustToken(form("grant_type", "password", "username", user, "password", passwords[user]),
		basicAuth(confID, confSecret))
}

func TestRefreshGrant(t *testing.T) {
	t.Run("rotation", func(t *testing.T) {
		f := newFixture(t)
		first := passwordTokens(f, "alice")
		second := f.mustToken(form("grant_type", "refresh_token", "refresh_token", first.RefreshToken),
			basicAuth(confID, confSecret))
		if second.RefreshToken == "" || second.RefreshToken == first.RefreshToken {
			t.Fatalf("got refresh token %v, want a new one", second.RefreshToken != "")
		}
		if c, err := f.verify(second.AccessToken, token.UseAccess); err != nil || c.Subject != "alice" ||
			c.Scope != "read write" {
			t.Errorf("got claims %+v, %v; want sub alice scope \"read write\"", c, err)
		}
		if _, err := f.verify(first.RefreshToken, token.UseRefresh); err == nil {
			t.Errorf("the rotated refresh token still verifies, want it revoked")
		}
		third := f.mustToken(form("grant_type", "refresh_token", "refresh_token", second.RefreshToken),
			basicAuth(confID, confSecret))
		grants := map[string]bool{}
		for _, tok := range []string{first.AccessToken, second.AccessToken, third.AccessToken} {
			c, err := f.verify(tok, token.UseAccess)
			if err != nil {
				t.Fatal(err)
			}
			grants[c.Grant] = true
		}
		if len(grants) != 1 || grants[""] {
			t.Fatalf("got grants %v, want one grant ID shared by every token refreshed from a sign-in", grants)
		}
	})
	t.Run("reuse revokes the grant", func(t *testing.T) {
		// RFC 9700 §4.14.2: a rotated refresh token presented again means one of two parties holds a stolen token;
		// every token of the grant stops working, those of other sign-ins do not.
		f := newFixture(t)
		first := passwordTokens(f, "alice")
		other := passwordTokens(f, "alice")
		second := f.mustToken(form("grant_type", "refresh_token", "refresh_token", first.RefreshToken),
			basicAuth(confID, confSecret))
		reused := f.token(form("grant_type", "refresh_token", "refresh_token", first.RefreshToken),
			basicAuth(confID, confSecret))
		wantError(t, reused, 400, "invalid_grant")
		for name, tok := range map[string]string{"first access": first.AccessToken, "second access": second.AccessToken,
			"second refresh": second.RefreshToken} {
			use := token.UseAccess
			if name == "second refresh" {
				use = token.UseRefresh
			}
			if _, err := f.verify(tok, use); !errors.Is(err, token.ErrRevoked) {
				t.Errorf("%s token after the reuse: got %v, want revoked", name, err)
			}
		}
		wantError(t, f.token(form("grant_type", "refresh_token", "refresh_token", second.RefreshToken),
			basicAuth(confID, confSecret)), 400, "invalid_grant")
		if _, err := f.verify(other.AccessToken, token.UseAccess); err != nil {
			t.Errorf("another sign-in's token: got %v, want valid", err)
		}
		f.mustToken(form("grant_type", "refresh_token", "refresh_token", other.RefreshToken), basicAuth(confID, confSecret))
	})
	t.Run("another client replaying a spent token revokes nothing", func(t *testing.T) {
		f := newFixture(t)
		first := passwordTokens(f, "alice")
		second := f.mustToken(form("grant_type", "refresh_token", "refresh_token", first.RefreshToken),
			basicAuth(confID, confSecret))
		wantError(t, f.token(form("grant_type", "refresh_token", "refresh_token", first.RefreshToken),
			formAuth(publicID, "")), 400, "invalid_grant")
		if _, err := f.verify(second.AccessToken, token.UseAccess); err != nil {
			t.Errorf("got %v, want the grant intact", err)
		}
	})
	cases := []struct {
		name      string
		scope     *string
		wantScope string
	}{
		{"same scope when none is asked", nil, "admin:all publish read write"},
		{"narrowed", ptr("publish read"), "publish read"},
		{"never widened", ptr("read v2:read stock:read"), "read"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			first := passwordTokens(f, "carol")
			fm := form("grant_type", "refresh_token", "refresh_token", first.RefreshToken)
			if tc.scope != nil {
				fm.Set("scope", *tc.scope)
			}
			if got := f.mustToken(fm, basicAuth(confID, confSecret)).Scope; got != tc.wantScope {
				t.Errorf("got scope %q, want %q", got, tc.wantScope)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestRefreshRefusals(t *testing.T) {
	cases := []struct {
		name      string
		setup     func(f *fixture, rt tokenResult) (url.Values, auth)
		wantCode  string
		wantStill bool // the refresh token still works for its client afterwards
	}{
		{"another client's refresh token", func(f *fixture, rt tokenResult) (url.Values, auth) {
			return form("grant_type", "refresh_token", "refresh_token", rt.RefreshToken), formAuth(publicID, "")
		}, "invalid_grant", true},
		{"access token as refresh token", func(f *fixture, rt tokenResult) (url.Values, auth) {
			return form("grant_type", "refresh_token", "refresh_token", rt.AccessToken), basicAuth(confID, confSecret)
		}, "invalid_grant", true},
		{"garbage", func(f *fixture, rt tokenResult) (url.Values, auth) {
			return form("grant_type", "refresh_token", "refresh_token", "abc.def.ghi"), basicAuth(confID, confSecret)
		}, "invalid_grant", true},
		{"missing", func(f *fixture, rt tokenResult) (url.Values, auth) {
			return form("grant_type", "refresh_token"), basicAuth(confID, confSecret)
		}, "invalid_request", true},
		{"user no longer shared", func(f *fixture, rt tokenResult) (url.Values, auth) {
			f.update(func(st *state.State) {
				a := *st.Apps["app-alice"]
				a.SharedWith = []string{"nopass"}
				st.Apps["app-alice"] = &a
			})
			return form("grant_type", "refresh_token", "refresh_token", rt.RefreshToken), basicAuth(confID, confSecret)
		}, "invalid_grant", false},
		{"user deleted", func(f *fixture, rt tokenResult) (url.Values, auth) {
			f.update(func(st *state.State) { delete(st.Users, "carol") })
			return form("grant_type", "refresh_token", "refresh_token", rt.RefreshToken), basicAuth(confID, confSecret)
		}, "invalid_grant", false},
		{"expired", func(f *fixture, rt tokenResult) (url.Values, auth) {
			f.advance(3601e9)
			return form("grant_type", "refresh_token", "refresh_token", rt.RefreshToken), basicAuth(confID, confSecret)
		}, "invalid_grant", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			rt := passwordTokens(f, "carol")
			fm, a := tc.setup(f, rt)
			wantError(t, f.token(fm, a), 400, tc.wantCode)
			if f.prop.count() != 0 {
				t.Errorf("got %d proposals, want none", f.prop.count())
			}
			if !tc.wantStill {
				return
			}
			f.mustToken(form("grant_type", "refresh_token", "refresh_token", rt.RefreshToken), basicAuth(confID, confSecret))
		})
	}
}

func TestProposerResultShapes(t *testing.T) {
	// A lagging node sees the refresh token as valid twice; the leader's answer decides, in whatever form the
	// proposer returns it. A proposer that returns no result (a forwarded proposal) cannot tell, and the redemption
	// goes through.
	cases := []struct {
		name       string
		shape      func(raftstore.RevokeResult) any
		wantSecond int
	}{
		{"value", func(r raftstore.RevokeResult) any { return r }, 400},
		{"pointer", func(r raftstore.RevokeResult) any { return &r }, 400},
		{"no result", func(raftstore.RevokeResult) any { return nil }, 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			rt := passwordTokens(f, "alice")
			f.prop.lag, f.prop.shape = true, tc.shape
			fm := form("grant_type", "refresh_token", "refresh_token", rt.RefreshToken)
			f.mustToken(fm, basicAuth(confID, confSecret))
			if got := f.token(fm, basicAuth(confID, confSecret)); got.Status != tc.wantSecond {
				t.Errorf("second redemption: got %d %s, want %d", got.Status, got.Error, tc.wantSecond)
			}
		})
	}
}

func TestProposerFailure(t *testing.T) {
	f := newFixture(t)
	rt := passwordTokens(f, "alice")
	f.prop.fail = true
	res := f.token(form("grant_type", "refresh_token", "refresh_token", rt.RefreshToken), basicAuth(confID, confSecret))
	wantError(t, res, 503, "temporarily_unavailable")
	f.prop.fail = false
	f.mustToken(form("grant_type", "refresh_token", "refresh_token", rt.RefreshToken), basicAuth(confID, confSecret))
}

func TestNoSigningKey(t *testing.T) {
	f := newFixture(t)
	f.update(func(st *state.State) { st.SigningKeys = map[string]*state.SigningKey{} })
	if err := f.keys.Update(f.st.Load()); err != nil {
		t.Fatal(err)
	}
	res := f.token(form("grant_type", "client_credentials"), basicAuth(confID, confSecret))
	wantError(t, res, 503, "temporarily_unavailable")
}

// TestNoClusterKeyKeepsOneTimeTokens: a node without the cluster key can verify tokens but not sign them; a refresh
// token or authorization code redeemed there is refused with 503 and not spent, so the client can redeem it on a node
// that has the key.
func TestNoClusterKeyKeepsOneTimeTokens(t *testing.T) {
	p := newPKCE("verifier-")
	cases := []struct {
		name   string
		redeem func(f *fixture) (url.Values, auth)
	}{
		{"refresh token", func(f *fixture) (url.Values, auth) {
			rt := passwordTokens(f, "alice").RefreshToken
			return form("grant_type", "refresh_token", "refresh_token", rt), basicAuth(confID, confSecret)
		}},
		{"authorization code", func(f *fixture) (url.Values, auth) {
			return redeemForm(f.code(publicAuthorize(p), "alice"), publicRed, p.verifier), formAuth(publicID, "")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			fm, a := tc.redeem(f)
			keyless := token.NewKeys(token.Config{Now: f.now}) // verifies with the state's public keys only
			if err := keyless.Update(f.st.Load()); err != nil {
				t.Fatal(err)
			}
			srv, err := New(Config{State: f.st.Load, Keys: keyless, Proposer: f.prop, Now: f.now, Logger: f.srv.log})
			if err != nil {
				t.Fatal(err)
			}
			keylessNode := &fixture{t: t, srv: srv, keys: keyless, prop: f.prop, logs: f.logs}
			wantError(t, keylessNode.token(fm, a), 503, "temporarily_unavailable")
			if n := f.prop.count(); n != 0 {
				t.Fatalf("got %d proposals, want none: nothing spent", n)
			}
			f.mustToken(fm, a)
		})
	}
}
