package oauth

import (
	"encoding/hex"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"portico/raftstore/state"
)

func TestVerifyPassword(t *testing.T) {
	// RFC 7914 §11: PBKDF2-HMAC-SHA256, P="passwd", S="salt", c=1, dkLen=64.
	vector, _ := hex.DecodeString("55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc" +
		"49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783")
	hash, salt, iter, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	hashed := &state.User{Name: "u", PasswordHash: hash, Salt: salt, Iterations: iter}
	cases := []struct {
		name     string
		user     *state.User
		password string
		want     bool
	}{
		{"RFC 7914 vector", &state.User{PasswordHash: vector, Salt: []byte("salt"), Iterations: 1}, "passwd", true},
		{"RFC 7914 vector, wrong password", &state.User{PasswordHash: vector, Salt: []byte("salt"), Iterations: 1},
			"passwe", false},
		{"RFC 7914 vector, wrong salt", &state.User{PasswordHash: vector, Salt: []byte("salu"), Iterations: 1},
			"passwd", false},
		{"RFC 7914 vector, wrong iterations", &state.User{PasswordHash: vector, Salt: []byte("salt"), Iterations: 2},
			"passwd", false},
		{"HashPassword round trip", hashed, "correct horse", true},
		{"HashPassword, wrong password", hashed, "correct horsE", false},
		{"empty password", hashed, "", false},
		{"no password set", &state.User{Name: "u"}, "", false},
		{"nil user", nil, "x", false},
		{"zero iterations", &state.User{PasswordHash: vector, Salt: []byte("salt"), Iterations: 0}, "passwd", false},
		{"absurd iterations", &state.User{PasswordHash: vector, Salt: []byte("salt"), Iterations: 1 << 30}, "passwd",
			false},
		{"overlong password", &state.User{PasswordHash: vector, Salt: []byte("salt"), Iterations: 1},
			strings.Repeat("p", maxPassword+1), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := VerifyPassword(tc.user, tc.password); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	if iter != 210000 || len(salt) != 16 || len(hash) != 32 {
		t.Errorf("got %d iterations, %d-byte salt, %d-byte key; want 210000, 16, 32", iter, len(salt), len(hash))
	}
	_, salt2, _, _ := HashPassword("correct horse")
	if string(salt2) == string(salt) {
		t.Errorf("got the same salt twice, want random salts")
	}
	if _, _, _, err := HashPassword(""); err == nil {
		t.Errorf("got no error hashing an empty password, want one")
	}
}

func TestPKCE(t *testing.T) {
	// RFC 7636 Appendix B.
	const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	const challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	cases := []struct {
		name                        string
		challenge, method, verifier string
		ok                          bool
	}{
		{"S256 vector", challenge, "S256", verifier, true},
		{"S256 wrong verifier", challenge, "S256", verifier[:42] + "l", false},
		{"S256 verifier equal to the challenge", challenge, "S256", challenge, false},
		{"plain", verifier, "plain", verifier, true},
		{"plain mismatch", verifier, "plain", challenge, false},
		{"short verifier", "a" + strings.Repeat("b", 41), "plain", "a" + strings.Repeat("b", 41), false},
		{"long verifier", strings.Repeat("b", 129), "plain", strings.Repeat("b", 129), false},
		{"bad character", strings.Repeat("b", 42) + "+", "plain", strings.Repeat("b", 42) + "+", false},
		{"no challenge, no verifier", "", "", "", true},
		{"no challenge, a verifier", "", "", verifier, false},
		{"challenge, no verifier", challenge, "S256", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := verifyPKCE(tc.challenge, tc.method, tc.verifier); (err == nil) != tc.ok {
				t.Errorf("got %v, want ok %v", err, tc.ok)
			}
		})
	}
}

func TestChallengeMethod(t *testing.T) {
	const challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	cases := []struct {
		name, challenge, method, want string
		ok                            bool
	}{
		{"S256", challenge, "S256", "S256", true},
		{"default plain", challenge, "", "plain", true},
		{"none", "", "", "", true},
		{"method alone", "", "S256", "", false},
		{"unknown method", challenge, "s256", "", false},
		{"S256 of the wrong length", challenge + "A", "S256", "", false},
		{"too short", "abc", "plain", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := challengeMethod(tc.challenge, tc.method)
			if got != tc.want || (err == nil) != tc.ok {
				t.Errorf("got %q, %v; want %q, ok %v", got, err, tc.want, tc.ok)
			}
		})
	}
}

func TestClientCredentialsParsing(t *testing.T) {
	cases := []struct {
		name       string
		basic      [2]string // raw user and password of the Basic header; none when empty
		header     string    // raw Authorization header, instead of basic
		form       url.Values
		wantID     string
		wantSecret string
		wantErr    string
	}{
		{"form", [2]string{}, "", form("client_id", "c1", "client_secret", "s1"), "c1", "s1", ""},
		{"form, public", [2]string{}, "", form("client_id", "c1"), "c1", "", ""},
		{"Basic decoded", [2]string{"c%3A1", "a+b%25c%3A"}, "", nil, "c:1", "a b%c:", ""},
		{"Basic with the same client_id", [2]string{"c1", "s1"}, "", form("client_id", "c1"), "c1", "s1", ""},
		{"Basic with a secret in the form", [2]string{"c1", "s1"}, "", form("client_secret", "s1"), "", "",
			"invalid_request"},
		{"Basic with another client_id", [2]string{"c1", "s1"}, "", form("client_id", "c2"), "", "", "invalid_request"},
		{"Basic with bad encoding", [2]string{"c1", "%zz"}, "", nil, "", "", "invalid_client"},
		{"Basic without id", [2]string{"", "s1"}, "", nil, "", "", "invalid_client"},
		{"Bearer header", [2]string{}, "Bearer abc", nil, "", "", "invalid_client"},
		{"nothing", [2]string{}, "", nil, "", "", "invalid_client"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", pathToken, nil)
			if tc.basic != [2]string{} {
				r.SetBasicAuth(tc.basic[0], tc.basic[1])
			}
			if tc.header != "" {
				r.Header.Set("Authorization", tc.header)
			}
			fm := tc.form
			if fm == nil {
				fm = url.Values{}
			}
			p, err := clientCredentials(r, fm)
			if tc.wantErr != "" {
				if err == nil || asOAuthError(err).Code != tc.wantErr {
					t.Errorf("got %v, want %s", err, tc.wantErr)
				}
				return
			}
			if err != nil || p.id != tc.wantID || p.secret != tc.wantSecret {
				t.Errorf("got %q %q %v, want %q %q", p.id, p.secret, err, tc.wantID, tc.wantSecret)
			}
		})
	}
}

func TestGrantScopes(t *testing.T) {
	allowed := map[string]bool{"read": true, "write": true, "admin": true}
	cases := []struct{ name, requested, want string }{
		{"none requested: all, sorted", "", "admin read write"},
		{"blank requested: all", "   ", "admin read write"},
		{"intersection in request order", "write nope read", "write read"},
		{"repeats and extra spaces", "read  read write", "read write"},
		{"nothing allowed", "nope other", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := grantScopes(tc.requested, allowed); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCSPSource(t *testing.T) {
	cases := []struct{ uri, want string }{
		{"https://app.example/cb?x=1", " https://app.example"},
		{"http://127.0.0.1:8765/callback", " http://127.0.0.1:8765"},
		{"com.example.app:/oauth", " com.example.app:"},
		{"https://a.example;script-src*/cb", ""},
		{"https://a.example'/cb", ""},
		{"relative/path", ""},
	}
	for _, tc := range cases {
		t.Run(tc.uri, func(t *testing.T) {
			if got := cspSource(tc.uri); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
