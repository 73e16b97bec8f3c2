package oauth

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"portico/node/token"
	"portico/raftstore/state"
)

// pkce is a verifier with its challenges.
type pkce struct{ verifier, s256 string }

func newPKCE(seed string) pkce {
	v := strings.Repeat(seed, 50/len(seed)+1)[:50]
	sum := sha256.Sum256([]byte(v))
	return pkce{verifier: v, s256: base64.RawURLEncoding.EncodeToString(sum[:])}
}

// authorizeParams returns the parameters of an authorization request of the public client with S256.
func publicAuthorize(p pkce) url.Values {
	return form("response_type", "code", "client_id", publicID, "redirect_uri", publicRed, "scope", "read",
		"state", "xyz-state", "code_challenge", p.s256, "code_challenge_method", "S256")
}

// postAuthorize sends the sign-in form.
func (f *fixture) postAuthorize(params url.Values, user, password string) *httptest.ResponseRecorder {
	fm := cloneValues(params)
	fm.Set("username", user)
	fm.Set("password", password)
	return f.post(pathAuthorize, fm, auth{})
}

// code signs in and returns the code the redirect carries, checking the redirect's target and state.
func (f *fixture) code(params url.Values, user string) string {
	f.t.Helper()
	w := f.postAuthorize(params, user, passwords[user])
	if w.Code != http.StatusFound {
		f.t.Fatalf("authorize: got %d, want 302: %s", w.Code, w.Body.String())
	}
	loc, err := url.Parse(w.Header().Get("Location"))
	if err != nil {
		f.t.Fatal(err)
	}
	q := loc.Query()
	if base := strings.SplitN(loc.String(), "?", 2)[0]; !strings.HasPrefix(params.Get("redirect_uri"), base) {
		f.t.Fatalf("redirected to %q, want %q", base, params.Get("redirect_uri"))
	}
	if q.Get("state") != params.Get("state") || q.Get("code") == "" {
		f.t.Fatalf("redirect query %v: want a code and state %q", q, params.Get("state"))
	}
	f.addSecrets(q.Get("code"))
	return q.Get("code")
}

func TestAuthorizationCodeFlow(t *testing.T) {
	p := newPKCE("verifier-")
	cases := []struct {
		name      string
		params    url.Values
		user      string
		redeem    url.Values
		auth      auth
		wantScope string
		wantEnv   string
	}{
		{"public client with S256", publicAuthorize(p), "alice",
			form("code_verifier", p.verifier, "redirect_uri", publicRed), formAuth(publicID, ""), "read", "sandbox"},
		{"public client with plain", func() url.Values {
			v := publicAuthorize(p)
			v.Set("code_challenge", p.verifier)
			v.Set("code_challenge_method", "plain")
			return v
		}(), "carol", form("code_verifier", p.verifier, "redirect_uri", publicRed), formAuth(publicID, ""), "read",
			"sandbox"},
		{"plain is the default method", func() url.Values {
			v := publicAuthorize(p)
			v.Set("code_challenge", p.verifier)
			v.Del("code_challenge_method")
			v.Del("scope")
			return v
		}(), "carol", form("code_verifier", p.verifier, "redirect_uri", publicRed), formAuth(publicID, ""),
			"admin:all publish read write", "sandbox"},
		{"confidential client without PKCE", form("response_type", "code", "client_id", confID, "redirect_uri",
			confRedir, "scope", "write admin:all", "state", "s1"), "alice", form("redirect_uri", confRedir),
			basicAuth(confID, confSecret), "write", "production"},
		{"redirect URI with a query", form("response_type", "code", "client_id", confID, "redirect_uri",
			"https://shop.example/cb?from=portico", "state", "s2"), "root",
			form("redirect_uri", "https://shop.example/cb?from=portico"), basicAuth(confID, confSecret),
			"publish read write", "production"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			code := f.code(tc.params, tc.user)
			redeem := cloneValues(tc.redeem)
			redeem.Set("grant_type", "authorization_code")
			redeem.Set("code", code)
			res := f.mustToken(redeem, tc.auth)
			if res.Scope != tc.wantScope || res.RefreshToken == "" {
				t.Errorf("got scope %q refresh %v, want %q with a refresh token", res.Scope, res.RefreshToken != "",
					tc.wantScope)
			}
			c, err := f.verify(res.AccessToken, token.UseAccess)
			if err != nil || c.Subject != tc.user || c.ClientID != tc.auth.id || c.Env != tc.wantEnv {
				t.Fatalf("got claims %+v, %v; want sub %q client %q env %q", c, err, tc.user, tc.auth.id, tc.wantEnv)
			}
			again := f.token(redeem, tc.auth)
			wantError(t, again, 400, "invalid_grant")
			// §4.1.2: a code used twice revokes the tokens issued for it.
			if _, err := f.verify(res.AccessToken, token.UseAccess); !errors.Is(err, token.ErrRevoked) {
				t.Errorf("access token after its code was reused: got %v, want revoked", err)
			}
			if _, err := f.verify(res.RefreshToken, token.UseRefresh); !errors.Is(err, token.ErrRevoked) {
				t.Errorf("refresh token after its code was reused: got %v, want revoked", err)
			}
		})
	}
}

func TestCodeRedemptionRefusals(t *testing.T) {
	p := newPKCE("verifier-")
	cases := []struct {
		name     string
		redeem   func(f *fixture, code string) (url.Values, auth)
		wantCode string
		spent    bool // the code is spent by the refused attempt
	}{
		{"wrong verifier", func(f *fixture, code string) (url.Values, auth) {
			return redeemForm(code, publicRed, newPKCE("other-").verifier), formAuth(publicID, "")
		}, "invalid_grant", false},
		{"missing verifier", func(f *fixture, code string) (url.Values, auth) {
			return redeemForm(code, publicRed, ""), formAuth(publicID, "")
		}, "invalid_grant", false},
		{"challenge sent as verifier", func(f *fixture, code string) (url.Values, auth) {
			return redeemForm(code, publicRed, p.s256), formAuth(publicID, "")
		}, "invalid_grant", false},
		{"wrong redirect_uri", func(f *fixture, code string) (url.Values, auth) {
			return redeemForm(code, "http://127.0.0.1:8765/other", p.verifier), formAuth(publicID, "")
		}, "invalid_grant", false},
		{"missing redirect_uri", func(f *fixture, code string) (url.Values, auth) {
			return redeemForm(code, "", p.verifier), formAuth(publicID, "")
		}, "invalid_request", false},
		{"another client", func(f *fixture, code string) (url.Values, auth) {
			return redeemForm(code, publicRed, p.verifier), basicAuth(confID, confSecret)
		}, "invalid_grant", false},
		{"expired", func(f *fixture, code string) (url.Values, auth) {
			f.advance(61e9)
			return redeemForm(code, publicRed, p.verifier), formAuth(publicID, "")
		}, "invalid_grant", true},
		{"user no longer allowed", func(f *fixture, code string) (url.Values, auth) {
			f.update(func(st *state.State) {
				a := *st.Apps["app-alice"]
				a.Owner = "bob"
				st.Apps["app-alice"] = &a
			})
			return redeemForm(code, publicRed, p.verifier), formAuth(publicID, "")
		}, "invalid_grant", true},
		{"reused", func(f *fixture, code string) (url.Values, auth) {
			f.mustToken(redeemForm(code, publicRed, p.verifier), formAuth(publicID, ""))
			return redeemForm(code, publicRed, p.verifier), formAuth(publicID, "")
		}, "invalid_grant", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			code := f.code(publicAuthorize(p), "alice")
			fm, a := tc.redeem(f, code)
			wantError(t, f.token(fm, a), 400, tc.wantCode)
			if tc.spent {
				return
			}
			f.mustToken(redeemForm(code, publicRed, p.verifier), formAuth(publicID, ""))
		})
	}
}

func redeemForm(code, redirectURI, verifier string) url.Values {
	v := form("grant_type", "authorization_code", "code", code, "redirect_uri", redirectURI)
	if verifier != "" {
		v.Set("code_verifier", verifier)
	}
	return v
}

func TestCodeWithoutChallenge(t *testing.T) {
	// Codes minted without a challenge (the authorization endpoint never does so for these clients) are refused at
	// the token endpoint for a public or PKCE-required client; a verifier sent for a code without challenge is refused.
	cases := []struct {
		name     string
		clientID string
		auth     auth
		redirect string
		verifier string
	}{
		{"public client", publicID, formAuth(publicID, ""), publicRed, ""},
		{"public client with a verifier", publicID, formAuth(publicID, ""), publicRed, newPKCE("x-").verifier},
		{"confidential client with a stray verifier", confID, basicAuth(confID, confSecret), confRedir,
			newPKCE("x-").verifier},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			app, cred, _ := f.st.Load().ClientByID(tc.clientID)
			c := token.Claims{ClientID: tc.clientID, Env: cred.Env, App: app.ID, Use: token.UseCode, RedirectURI: tc.redirect}
			c.Subject = "alice"
			code, err := f.keys.Issue(c, codeTTL)
			if err != nil {
				t.Fatal(err)
			}
			f.addSecrets(code)
			wantError(t, f.token(redeemForm(code, tc.redirect, tc.verifier), tc.auth), 400, "invalid_grant")
		})
	}
}

func TestConcurrentCodeRedemption(t *testing.T) {
	// Both redemptions pass the local checks before either revocation is applied here; the leader's answer lets one
	// through only.
	f := newFixture(t)
	p := newPKCE("verifier-")
	code := f.code(publicAuthorize(p), "alice")
	f.prop.lag = true
	results := make(chan tokenResult, 2)
	for range 2 {
		go func() {
			w := f.post(pathToken, redeemForm(code, publicRed, p.verifier), formAuth(publicID, ""))
			res := tokenResult{}
			_ = jsonDecode(w.Body.Bytes(), &res)
			res.Status = w.Code
			f.addSecrets(res.AccessToken, res.RefreshToken)
			results <- res
		}()
	}
	got := map[int]int{}
	var won tokenResult
	for range 2 {
		res := <-results
		got[res.Status]++
		if res.Status == http.StatusOK {
			won = res
		}
	}
	if got[200] != 1 || got[400] != 1 {
		t.Fatalf("got statuses %v, want one 200 and one 400", got)
	}
	// One of the two was not the client's own: the winner's grant is revoked at the leader as well.
	c, err := f.verify(won.AccessToken, token.UseAccess)
	if err != nil {
		t.Fatal(err)
	}
	f.prop.mu.Lock()
	_, revoked := f.prop.leader[c.Grant]
	f.prop.mu.Unlock()
	if c.Grant == "" || !revoked {
		t.Errorf("grant %q of the winning redemption: revoked %v, want revoked", c.Grant, revoked)
	}
}

func TestAuthorizePage(t *testing.T) {
	p := newPKCE("verifier-")
	f := newFixture(t)
	params := publicAuthorize(p)
	w := f.serve(httptest.NewRequest(http.MethodGet, pathAuthorize+"?"+params.Encode(), nil))
	if w.Code != http.StatusOK {
		t.Fatalf("got %d, want 200", w.Code)
	}
	wantHeaders := map[string]string{
		"Content-Security-Policy": "default-src 'none'; form-action 'self' http://127.0.0.1:8765; frame-ancestors 'none'",
		"X-Frame-Options":         "DENY",
		"Cache-Control":           "no-store",
		"Content-Type":            "text/html; charset=utf-8",
	}
	for k, want := range wantHeaders {
		if got := w.Header().Get(k); got != want {
			t.Errorf("%s: got %q, want %q", k, got, want)
		}
	}
	body := w.Body.String()
	for _, want := range []string{`action="/oauth2/authorize"`, `name="password"`, `value="` + p.s256 + `"`,
		`name="state" value="xyz-state"`, "shop"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, banned := range []string{"<script", "<link", "<img", "<iframe", "src=", "style"} {
		if strings.Contains(body, banned) {
			t.Errorf("page holds %q, want no scripts, styles or external resources", banned)
		}
	}
}

func TestAuthorizeEscapesParameters(t *testing.T) {
	f := newFixture(t)
	params := publicAuthorize(newPKCE("v-"))
	params.Set("state", `"><script>alert(1)</script>`)
	w := f.serve(httptest.NewRequest(http.MethodGet, pathAuthorize+"?"+params.Encode(), nil))
	if w.Code != http.StatusOK || strings.Contains(w.Body.String(), "<script>") {
		t.Errorf("got %d, unescaped state in page: %v", w.Code, strings.Contains(w.Body.String(), "<script>"))
	}
}

func TestAuthorizeRefusals(t *testing.T) {
	p := newPKCE("verifier-")
	with := func(change func(v url.Values)) url.Values {
		v := publicAuthorize(p)
		change(v)
		return v
	}
	cases := []struct {
		name       string
		params     url.Values
		user, pw   string // POST with these; GET when user is empty
		wantStatus int
		wantError  string // redirect error code; "" for a page
	}{
		{"unknown client", with(func(v url.Values) { v.Set("client_id", "cl_ffffffffffffffffffffffff") }), "", "", 400, ""},
		{"missing client", with(func(v url.Values) { v.Del("client_id") }), "", "", 400, ""},
		{"unregistered redirect_uri", with(func(v url.Values) { v.Set("redirect_uri", "https://evil.example/cb") }),
			"", "", 400, ""},
		{"redirect_uri of another client", with(func(v url.Values) { v.Set("redirect_uri", confRedir) }), "", "", 400, ""},
		{"missing redirect_uri", with(func(v url.Values) { v.Del("redirect_uri") }), "", "", 400, ""},
		{"unregistered redirect_uri on POST", with(func(v url.Values) { v.Set("redirect_uri", "https://evil.example/cb") }),
			"alice", passwords["alice"], 400, ""},
		{"repeated parameter", with(func(v url.Values) { v.Add("redirect_uri", publicRed) }), "", "", 400, ""},
		{"response_type token", with(func(v url.Values) { v.Set("response_type", "token") }), "", "", 302,
			"unsupported_response_type"},
		{"public client without PKCE", with(func(v url.Values) {
			v.Del("code_challenge")
			v.Del("code_challenge_method")
		}), "", "", 302, "invalid_request"},
		{"unknown challenge method", with(func(v url.Values) { v.Set("code_challenge_method", "S512") }), "", "", 302,
			"invalid_request"},
		{"malformed S256 challenge", with(func(v url.Values) { v.Set("code_challenge", p.verifier) }), "", "", 302,
			"invalid_request"},
		{"method without challenge", with(func(v url.Values) { v.Del("code_challenge") }), "", "", 302, "invalid_request"},
		{"client without the code grant", form("response_type", "code", "client_id", bobID, "redirect_uri",
			"https://bob.example/callback", "state", "xyz-state"), "", "", 302, "unauthorized_client"},
		{"user not allowed the application", publicAuthorize(p), "bob", passwords["bob"], 302, "access_denied"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			var w *httptest.ResponseRecorder
			if tc.user == "" {
				w = f.serve(httptest.NewRequest(http.MethodGet, pathAuthorize+"?"+tc.params.Encode(), nil))
			} else {
				w = f.postAuthorize(tc.params, tc.user, tc.pw)
			}
			if w.Code != tc.wantStatus {
				t.Fatalf("got %d, want %d: %s", w.Code, tc.wantStatus, w.Body.String())
			}
			loc := w.Header().Get("Location")
			if tc.wantError == "" {
				if loc != "" {
					t.Errorf("got a redirect to %q, want an error page", loc)
				}
				return
			}
			u, err := url.Parse(loc)
			if err != nil || u.Query().Get("error") != tc.wantError || u.Query().Get("state") != "xyz-state" ||
				u.Query().Has("code") {
				t.Errorf("got redirect %q, want error %s with the state and no code", loc, tc.wantError)
			}
		})
	}
}

func TestAuthorizeWrongCredentials(t *testing.T) {
	p := newPKCE("verifier-")
	cases := []struct{ name, user, pw string }{
		{"wrong password", "alice", "wrong-password-1"},
		{"unknown user", "mallory", "wrong-password-2"},
		{"user without password", "nopass", "wrong-password-3"},
	}
	var pages []string
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.addSecrets(tc.pw)
			w := f.postAuthorize(publicAuthorize(p), tc.user, tc.pw)
			if w.Code != http.StatusUnauthorized || w.Header().Get("Location") != "" {
				t.Fatalf("got %d Location %q, want 401 and no redirect", w.Code, w.Header().Get("Location"))
			}
			body := w.Body.String()
			if !strings.Contains(body, `name="password"`) || strings.Contains(body, tc.pw) {
				t.Errorf("want the form again, without the password")
			}
			pages = append(pages, strings.ReplaceAll(body, tc.user, "USER"))
			if f.prop.count() != 0 {
				t.Errorf("got %d proposals, want none", f.prop.count())
			}
		})
	}
	for i := 1; i < len(pages); i++ {
		if pages[i] != pages[0] {
			t.Errorf("page %d differs from page 0: the answer tells which field was wrong", i)
		}
	}
}

func TestAuthorizeMethodAndBody(t *testing.T) {
	f := newFixture(t)
	w := f.serve(httptest.NewRequest(http.MethodPut, pathAuthorize, nil))
	if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, POST" {
		t.Errorf("PUT: got %d Allow %q, want 405 GET, POST", w.Code, w.Header().Get("Allow"))
	}
	r := httptest.NewRequest(http.MethodPost, pathAuthorize, strings.NewReader(`{"client_id":"x"}`))
	r.Header.Set("Content-Type", "application/json")
	w = f.serve(r)
	if w.Code != http.StatusBadRequest || w.Header().Get("Location") != "" ||
		!strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
		t.Errorf("JSON POST: got %d %q, want a 400 page", w.Code, w.Header().Get("Content-Type"))
	}
}

func TestAuthorizeWithoutSigningKey(t *testing.T) {
	f := newFixture(t)
	f.update(func(st *state.State) { st.SigningKeys = map[string]*state.SigningKey{} })
	if err := f.keys.Update(f.st.Load()); err != nil {
		t.Fatal(err)
	}
	w := f.postAuthorize(publicAuthorize(newPKCE("v-")), "alice", passwords["alice"])
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Location") != "" {
		t.Errorf("got %d Location %q, want a 503 page", w.Code, w.Header().Get("Location"))
	}
}
