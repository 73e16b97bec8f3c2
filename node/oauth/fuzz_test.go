package oauth

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzTokenEndpoint sends arbitrary bodies and Authorization headers to the token, revocation and introspection
// endpoints: the answer is always an RFC 6749 JSON error or success, never a server error.
func FuzzTokenEndpoint(f *testing.F) {
	fx := newFixture(f)
	seeds := []struct{ path, body, authz string }{
		{pathToken, "grant_type=client_credentials", "Basic Y2xfYTExY2UwMDAwMDAwMDAwMDAwMDAwMDAwMTp4"},
		{pathToken, "grant_type=password&username=alice&password=x&client_id=" + confID, ""},
		{pathToken, "grant_type=refresh_token&refresh_token=a.b.c&client_id=" + publicID, ""},
		{pathToken, "grant_type=authorization_code&code=a.b.c&redirect_uri=x&code_verifier=y&client_id=" + publicID, ""},
		{pathToken, "grant_type=%zz", "Basic %%%"},
		{pathRevoke, "token=a.b.c&client_id=" + publicID, ""},
		{pathIntrospect, "token=&token=x&client_id=" + publicID, ""},
		{pathToken, strings.Repeat("a=b&", 100), "Basic " + strings.Repeat("A", 300)},
	}
	for _, s := range seeds {
		f.Add(s.path, s.body, s.authz)
	}
	f.Fuzz(func(t *testing.T, path, body, authz string) {
		if path != pathToken && path != pathRevoke && path != pathIntrospect {
			path = pathToken
		}
		r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Authorization", authz)
		w := fx.serve(r)
		if w.Code >= 500 {
			t.Fatalf("got %d for %q", w.Code, body)
		}
		if w.Code != http.StatusOK && !json.Valid(w.Body.Bytes()) {
			t.Fatalf("got a non-JSON %d answer: %q", w.Code, w.Body.String())
		}
	})
}
