package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"portico/node/certs"
	"portico/node/nodetest"
	"portico/node/token"
)

// tokenNode is a single node with an oauth2-protected API, an application subscribed to it and its client
// credentials.
type tokenNode struct {
	n              *nodetest.Node
	clientID       string
	secret         string
	valid          string // a valid access token
	kid            string
	key            *ecdsa.PrivateKey // the cluster's current signing key, unsealed with the cluster key
	validClaims    jwt.MapClaims
	gateway, inner string
}

func startTokenNode(t *testing.T) *tokenNode {
	t.Helper()
	be := newBackend(t)
	n := nodetest.NewNode(t, "n1")
	n.Flags = append(n.Flags, "--internal-addr", nodetest.FreeAddr(t))
	n.Start("--bootstrap")
	tn := &tokenNode{n: n, gateway: n.GatewayURL(), inner: "http://" + n.Flags[len(n.Flags)-1]}
	n.MustCLI("deploy", "-f", apiFile(t, "orders.yaml", be.URL, nil))
	n.MustCLI("deploy", "-f", apiFile(t, "internal.yaml", be.URL, nil))
	n.MustCLI("app", "create", "shop")
	n.MustCLI("sub", "create", "--app", "shop", "--api", "orders", "--major", "1", "--plan", "Gold")
	cred := jsonOut[struct{ ClientID, ClientSecret string }](t, n.MustCLI("-o", "json", "app", "credentials", "shop", "--env", "production"))
	tn.clientID, tn.secret = cred.ClientID, cred.ClientSecret
	c := &nodetest.Cluster{Nodes: []*nodetest.Node{n}}
	waitSigningKey(t, c)
	status, tok := oauthPost(t, n, "/oauth2/token", tn.clientID, tn.secret, url.Values{"grant_type": {"client_credentials"}})
	if status != http.StatusOK {
		t.Fatalf("token: %d %+v", status, tok)
	}
	tn.valid = tok.AccessToken
	tn.kid, tn.key = signingKey(t, n)
	parsed, _, err := jwt.NewParser().ParseUnverified(tn.valid, jwt.MapClaims{})
	if err != nil {
		t.Fatal(err)
	}
	tn.validClaims = parsed.Claims.(jwt.MapClaims)
	return tn
}

// signingKey unseals the cluster's current signing key from a backup with the cluster key, as only an operator
// holding both could: it lets the test sign tokens that are wrong in exactly one claim.
func signingKey(t *testing.T, n *nodetest.Node) (string, *ecdsa.PrivateKey) {
	t.Helper()
	backup := filepath.Join(t.TempDir(), "b.snap")
	n.MustCLI("snapshot", "save", backup)
	b, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	var snap struct {
		State struct {
			SigningKeys map[string]struct {
				KID       string
				Sealed    []byte
				RetiredAt int64
			} `json:"signingKeys"`
		}
	}
	if err := json.Unmarshal(b, &snap); err != nil {
		t.Fatal(err)
	}
	ck, err := token.LoadClusterKey(certs.ClusterKeyFile(n.TLSDir))
	if err != nil {
		t.Fatal(err)
	}
	for kid, sk := range snap.State.SigningKeys {
		if sk.RetiredAt != 0 {
			continue
		}
		der, err := ck.Open(sk.Sealed)
		if err != nil {
			t.Fatal(err)
		}
		k, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			t.Fatal(err)
		}
		return kid, k.(*ecdsa.PrivateKey)
	}
	t.Fatal("no current signing key in the backup")
	return "", nil
}

func (tn *tokenNode) status(t *testing.T, tok string) int {
	t.Helper()
	got, _ := call(http.MethodGet, tn.gateway+"/orders/v1/list", map[string]string{"Authorization": "Bearer " + tok})
	return got
}

func claimsWith(base jwt.MapClaims, edit func(jwt.MapClaims)) jwt.MapClaims {
	c := jwt.MapClaims{}
	for k, v := range base {
		c[k] = v
	}
	c["jti"] = base64.RawURLEncoding.EncodeToString([]byte(time.Now().String()))
	edit(c)
	return c
}

func sign(t *testing.T, method jwt.SigningMethod, key any, header map[string]any, claims jwt.MapClaims) string {
	t.Helper()
	tk := jwt.NewWithClaims(method, claims)
	for k, v := range header {
		tk.Header[k] = v
	}
	s, err := tk.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestHostileTokens: forged, tampered and malformed access tokens are each refused with 401 by a real node, and
// key material named in token headers is never fetched.
func TestHostileTokens(t *testing.T) {
	tn := startTokenNode(t)
	if got := tn.status(t, tn.valid); got != http.StatusOK {
		t.Fatalf("valid token: got %d, want 200", got)
	}
	trap := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the gateway fetched %s named in a token header", r.URL)
	}))
	defer trap.Close()
	attacker, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&tn.key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	base := tn.validClaims
	real := map[string]any{"kid": tn.kid, "typ": "at+jwt"}
	ok := func(jwt.MapClaims) {}
	b64 := base64.RawURLEncoding.EncodeToString
	parts := strings.Split(tn.valid, ".")
	// One signature character swapped for another of the base64url alphabet: well formed, wrong signature.
	flipped := []byte(parts[2])
	if flipped[10] == 'A' {
		flipped[10] = 'B'
	} else {
		flipped[10] = 'A'
	}
	jwk := map[string]any{"kty": "EC", "crv": "P-256", "x": b64(attacker.X.FillBytes(make([]byte, 32))), "y": b64(attacker.Y.FillBytes(make([]byte, 32)))}
	cases := []struct {
		name, token string
	}{
		{"alg none", b64([]byte(`{"alg":"none","typ":"at+jwt","kid":"`+tn.kid+`"}`)) + "." + parts[1] + "."},
		{"HS256 signed with the public key", sign(t, jwt.SigningMethodHS256, pub, real, claimsWith(base, ok))},
		{"unknown kid", sign(t, jwt.SigningMethodES256, attacker, map[string]any{"kid": "00000000000000ff", "typ": "at+jwt"}, claimsWith(base, ok))},
		{"path-like kid", sign(t, jwt.SigningMethodES256, tn.key, map[string]any{"kid": "../../../etc/passwd", "typ": "at+jwt"}, claimsWith(base, ok))},
		{"jku header", sign(t, jwt.SigningMethodES256, attacker, map[string]any{"kid": "attacker", "typ": "at+jwt", "jku": trap.URL + "/jwks"}, claimsWith(base, ok))},
		{"x5u header", sign(t, jwt.SigningMethodES256, attacker, map[string]any{"kid": "attacker", "typ": "at+jwt", "x5u": trap.URL + "/cert"}, claimsWith(base, ok))},
		{"embedded jwk", sign(t, jwt.SigningMethodES256, attacker, map[string]any{"kid": "attacker", "typ": "at+jwt", "jwk": jwk}, claimsWith(base, ok))},
		{"jku header with the real key", sign(t, jwt.SigningMethodES256, tn.key, map[string]any{"kid": tn.kid, "typ": "at+jwt", "jku": trap.URL + "/jwks"}, claimsWith(base, ok))},
		{"expired", sign(t, jwt.SigningMethodES256, tn.key, real, claimsWith(base, func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Minute).Unix() }))},
		{"nbf in the future", sign(t, jwt.SigningMethodES256, tn.key, real, claimsWith(base, func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Hour).Unix() }))},
		{"no exp", sign(t, jwt.SigningMethodES256, tn.key, real, claimsWith(base, func(c jwt.MapClaims) { delete(c, "exp") }))},
		{"wrong iss", sign(t, jwt.SigningMethodES256, tn.key, real, claimsWith(base, func(c jwt.MapClaims) { c["iss"] = "https://evil.example" }))},
		{"wrong aud", sign(t, jwt.SigningMethodES256, tn.key, real, claimsWith(base, func(c jwt.MapClaims) { c["aud"] = []string{"other"} }))},
		{"refresh token typ", sign(t, jwt.SigningMethodES256, tn.key, map[string]any{"kid": tn.kid, "typ": "rt+jwt"}, claimsWith(base, func(c jwt.MapClaims) { c["use"] = "refresh" }))},
		{"four segments", tn.valid + ".AAAA"},
		{"two segments", parts[0] + "." + parts[1]},
		{"bad base64", parts[0] + ".*" + parts[1][1:] + "." + parts[2]},
		{"one signature character changed", parts[0] + "." + parts[1] + "." + string(flipped)},
		{"60 KB token", parts[0] + "." + strings.Repeat("A", 60<<10) + "." + parts[2]},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			if got := tn.status(t, tc.token); got != http.StatusUnauthorized {
				t.Fatalf("got %d, want 401", got)
			}
			if took := time.Since(start); took > 2*time.Second {
				t.Fatalf("took %s to refuse", took)
			}
		})
	}
	// A 1 MB token cannot even be sent: the header block is over the listener's limit, so it is refused before any
	// policy runs (431, bounded work).
	huge := parts[0] + "." + strings.Repeat("A", 1<<20) + "." + parts[2]
	if got := tn.status(t, huge); got != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("1 MB token: got %d, want 431", got)
	}
	// An API key with one character changed.
	n := tn.n
	n.MustCLI("deploy", "-f", apiFile(t, "greet.yaml", newBackend(t).URL, nil))
	key := createKey(t, n, "shop", "greet")
	changed := []byte(key)
	if i := len(changed) - 2; changed[i] == 'A' {
		changed[i] = 'B'
	} else {
		changed[i] = 'A'
	}
	if got, _ := call(http.MethodGet, tn.gateway+"/greet/v1/hello", map[string]string{"api-key": string(changed)}); got != http.StatusUnauthorized {
		t.Fatalf("API key with one character changed: got %d, want 401", got)
	}
	if sum := sha256.Sum256([]byte(key)); strings.Contains(n.Logs(), base64.StdEncoding.EncodeToString(sum[:])) {
		t.Fatal("the log holds the key's hash")
	}
}

// TestTokenFlowsOnANode: the authorization-code grant with PKCE through the sign-in form, signing-key rotation
// (tokens of the old key stay valid, the JWKS lists both keys) and the internal listener.
func TestTokenFlowsOnANode(t *testing.T) {
	tn := startTokenNode(t)
	n := tn.n
	const pw = "carol-password-3"
	r := n.CLIAs(n.Token, pw+"\n", "user", "create", "carol", "--role", "subscriber", "--password-stdin")
	if r.Code != 0 {
		t.Fatalf("user create: %q", r.Stderr)
	}
	n.MustCLI("app", "share", "shop", "--user", "carol")
	pub := jsonOut[struct{ ClientID string }](t, n.MustCLI("-o", "json", "app", "credentials", "shop", "--env", "sandbox",
		"--grant-types", "authorization_code,refresh_token", "--public", "--pkce", "--redirect-uri", "https://app.example/cb"))
	verifier := "s3cret-verifier-0123456789-abcdefghijklmnopqrstuvwxyz"
	sum := sha256.Sum256([]byte(verifier))
	form := url.Values{"response_type": {"code"}, "client_id": {pub.ClientID}, "redirect_uri": {"https://app.example/cb"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
		"state": {"xyz"}, "username": {"carol"}, "password": {pw}}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.PostForm(tn.gateway+"/oauth2/authorize", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || loc.Query().Get("code") == "" || loc.Query().Get("state") != "xyz" {
		t.Fatalf("authorize: got %d to %q, want 302 with a code and the state", resp.StatusCode, resp.Header.Get("Location"))
	}
	exchange := url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "client_id": {pub.ClientID},
		"redirect_uri": {"https://app.example/cb"}, "code_verifier": {verifier}}
	resp, err = http.PostForm(tn.gateway+"/oauth2/token", exchange)
	if err != nil {
		t.Fatal(err)
	}
	var tok tokenResponse
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || tok.AccessToken == "" {
		t.Fatalf("code exchange: %d %+v", resp.StatusCode, tok)
	}
	if got := tn.status(t, tok.AccessToken); got != http.StatusOK {
		t.Fatalf("code-grant token: got %d, want 200", got)
	}
	resp, err = http.PostForm(tn.gateway+"/oauth2/token", exchange)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("second redemption of the code: got %d, want 400", resp.StatusCode)
	}

	// Rotation: the old key's tokens stay valid, new tokens use the new key, the JWKS lists both.
	n.MustCLI("keys", "rotate")
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, fresh := oauthPost(t, n, "/oauth2/token", tn.clientID, tn.secret, url.Values{"grant_type": {"client_credentials"}})
		h, _, _ := jwt.NewParser().ParseUnverified(fresh.AccessToken, jwt.MapClaims{})
		if h != nil && h.Header["kid"] != tn.kid {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("tokens are still signed with the old key after rotation")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := tn.status(t, tn.valid); got != http.StatusOK {
		t.Fatalf("token of the retired key: got %d, want 200 until it expires", got)
	}
	resp, err = http.Get(tn.gateway + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	var jwks struct{ Keys []struct{ Kid string } }
	_ = json.NewDecoder(resp.Body).Decode(&jwks)
	resp.Body.Close()
	if len(jwks.Keys) != 2 {
		t.Fatalf("JWKS after rotation: got %d keys, want 2", len(jwks.Keys))
	}

	// Internal APIs are served only on the internal listener.
	if got, _ := call(http.MethodGet, tn.gateway+"/ledger/v1/balance", nil); got != http.StatusNotFound {
		t.Fatalf("internal API on the public listener: got %d, want 404", got)
	}
	if got, _ := call(http.MethodGet, tn.inner+"/ledger/v1/balance", nil); got != http.StatusOK {
		t.Fatalf("internal API on the internal listener: got %d, want 200", got)
	}
}
