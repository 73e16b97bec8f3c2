package oauth

import (
	"crypto/tls"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestJWKS(t *testing.T) {
	f := newFixture(t)
	w := f.serve(httptest.NewRequest(http.MethodGet, pathJWKS, nil))
	if w.Code != http.StatusOK || w.Header().Get("Cache-Control") != "public, max-age=60" {
		t.Fatalf("got %d Cache-Control %q, want 200 public, max-age=60", w.Code, w.Header().Get("Cache-Control"))
	}
	var set struct {
		Keys []struct{ Kty, Crv, Kid, Alg, Use, X, Y string }
	}
	if err := json.Unmarshal(w.Body.Bytes(), &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 1 {
		t.Fatalf("got %d keys, want 1", len(set.Keys))
	}
	k := set.Keys[0]
	if _, ok := f.st.Load().SigningKeys[k.Kid]; !ok || k.Kty != "EC" || k.Alg != "ES256" || k.X == "" {
		t.Errorf("got key %+v, want the state's ES256 key", k)
	}
	if w := f.serve(httptest.NewRequest(http.MethodPost, pathJWKS, nil)); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: got %d, want 405", w.Code)
	}
}

func TestMetadata(t *testing.T) {
	cases := []struct {
		name     string
		tls      bool
		host     string
		wantBase string
	}{
		{"plain HTTP", false, "gw.example:8080", "http://gw.example:8080"},
		{"TLS", true, "gw.example", "https://gw.example"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			r := httptest.NewRequest(http.MethodGet, pathMetadata, nil)
			r.Host = tc.host
			if tc.tls {
				r.TLS = &tls.ConnectionState{}
			}
			w := f.serve(r)
			var m metadata
			if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil || w.Code != http.StatusOK {
				t.Fatalf("got %d, %v", w.Code, err)
			}
			want := map[string]string{m.TokenEndpoint: pathToken, m.AuthorizationEndpoint: pathAuthorize,
				m.RevocationEndpoint: pathRevoke, m.IntrospectionEndpoint: pathIntrospect, m.JWKSURI: pathJWKS}
			for got, path := range want {
				if got != tc.wantBase+path {
					t.Errorf("got endpoint %q, want %q", got, tc.wantBase+path)
				}
			}
			if m.Issuer != "portico" || len(m.GrantTypes) != 4 || len(m.CodeChallengeMethods) != 2 ||
				len(m.TokenEndpointAuthMethods) != 3 {
				t.Errorf("got %+v, want issuer portico, 4 grants, 2 PKCE methods, 3 auth methods", m)
			}
		})
	}
}

func TestRouting(t *testing.T) {
	f := newFixture(t)
	for _, p := range Paths() {
		t.Run(p, func(t *testing.T) {
			w := f.serve(httptest.NewRequest(http.MethodDelete, p, nil))
			if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") == "" {
				t.Errorf("DELETE %s: got %d Allow %q, want 405 with Allow", p, w.Code, w.Header().Get("Allow"))
			}
		})
	}
	t.Run("unknown path", func(t *testing.T) {
		w := f.serve(httptest.NewRequest(http.MethodGet, "/oauth2/tokens", nil))
		var body map[string]string
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != http.StatusNotFound ||
			body["error"] != "not_found" {
			t.Errorf("got %d %v, want 404 not_found JSON", w.Code, body)
		}
	})
}

func TestNewRequires(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name string
		cfg  Config
	}{
		{"no state", Config{Keys: f.keys, Proposer: f.prop}},
		{"no keys", Config{State: f.st.Load, Proposer: f.prop}},
		{"no proposer", Config{State: f.st.Load, Keys: f.keys}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.cfg); err == nil {
				t.Errorf("got no error, want one")
			}
		})
	}
}
