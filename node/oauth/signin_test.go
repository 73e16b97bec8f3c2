package oauth

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"portico/node/signin"
)

// TestSignInLimits: failed password sign-ins through the password grant and the sign-in form count together per
// user and client address; once the allowance is spent even the right password is refused with 429 and Retry-After
// (the form shows it too), while another user, or the same user from another address, signs in.
func TestSignInLimits(t *testing.T) {
	f := newFixture(t)
	guard := signin.New(signin.Config{PerAddr: 10, PerUser: 2, Now: f.now})
	srv, err := New(Config{State: f.st.Load, Keys: f.keys, Proposer: f.prop, Now: f.now, Logger: f.srv.log,
		SignIn: guard})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	grant := func(user, password string) tokenResult {
		return f.token(form("grant_type", "password", "username", user, "password", password),
			basicAuth(confID, confSecret))
	}
	wantError(t, grant("alice", "wrong-password-1"), 400, "invalid_grant")
	if w := f.postAuthorize(publicAuthorize(newPKCE("v-")), "alice", "wrong-password-2"); w.Code != http.StatusUnauthorized {
		t.Fatalf("form with a wrong password: got %d, want 401", w.Code)
	}

	limited := grant("alice", passwords["alice"])
	wantError(t, limited, http.StatusTooManyRequests, "rate_limited")
	if ra, err := strconv.Atoi(limited.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 60 {
		t.Errorf("Retry-After: got %q, want 1 to 60 seconds", limited.Header.Get("Retry-After"))
	}
	w := f.postAuthorize(publicAuthorize(newPKCE("v-")), "alice", passwords["alice"])
	if w.Code != http.StatusTooManyRequests || !strings.Contains(w.Body.String(), "Too many failed sign-ins") ||
		w.Header().Get("Retry-After") == "" {
		t.Fatalf("form once limited: got %d, Retry-After %q, want 429 with the message and Retry-After", w.Code,
			w.Header().Get("Retry-After"))
	}
	if n := f.prop.count(); n != 0 {
		t.Fatalf("got %d proposals, want none", n)
	}

	f.mustToken(form("grant_type", "password", "username", "carol", "password", passwords["carol"]),
		basicAuth(confID, confSecret))
	fm := form("grant_type", "password", "username", "alice", "password", passwords["alice"])
	r := httptest.NewRequest(http.MethodPost, pathToken, strings.NewReader(fm.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.SetBasicAuth(url.QueryEscape(confID), url.QueryEscape(confSecret))
	r.RemoteAddr = "203.0.113.9:4000"
	if res := decodeToken(t, f.serve(r)); res.Status != http.StatusOK {
		t.Fatalf("alice from another address: got %d %s, want 200", res.Status, res.Error)
	} else {
		f.addSecrets(res.AccessToken, res.RefreshToken)
	}
}
