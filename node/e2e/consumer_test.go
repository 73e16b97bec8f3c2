package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"portico/node/nodetest"
)

// call sends GET url with optional headers and returns the status and headers (0 on a transport error).
func call(method, u string, header map[string]string) (int, http.Header) {
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		return 0, nil
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}

// waitEvery polls until every node answers want for path with header, and returns how long the slowest took.
func waitEvery(t *testing.T, c *nodetest.Cluster, path string, header map[string]string, want int, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for _, n := range c.Nodes {
		for {
			got, _ := call(http.MethodGet, n.GatewayURL()+path, header)
			if got == want {
				break
			}
			if time.Since(start) > limit {
				t.Fatalf("%s %s: got %d, want %d within %s", n.ID, path, got, want, limit)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	return time.Since(start)
}

func jsonOut[T any](t *testing.T, out string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("decoding %q: %v", out, err)
	}
	return v
}

// tokenResponse is what /oauth2/token answers.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
	ExpiresIn    int    `json:"expires_in"`
	Error        string `json:"error"`
}

// oauthPost posts a form to a gateway's OAuth2 endpoint with HTTP Basic client authentication.
func oauthPost(t testing.TB, n *nodetest.Node, path, clientID, secret string, form url.Values) (int, tokenResponse) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, n.GatewayURL()+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s on %s: %v", path, n.ID, err)
	}
	defer resp.Body.Close()
	var out tokenResponse
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// waitClientToken asks every node's token endpoint for a client_credentials token of scope until each issues one,
// and returns the first node's token.
func waitClientToken(t *testing.T, c *nodetest.Cluster, clientID, secret, scope string, limit time.Duration) tokenResponse {
	t.Helper()
	deadline := time.Now().Add(limit)
	var first tokenResponse
	for i, n := range c.Nodes {
		for {
			status, tok := oauthPost(t, n, "/oauth2/token", clientID, secret, url.Values{"grant_type": {"client_credentials"}, "scope": {scope}})
			if status == http.StatusOK && tok.AccessToken != "" {
				if i == 0 {
					first = tok
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s issues no client_credentials token within %s: %d %+v", n.ID, limit, status, tok)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return first
}

// waitSigningKey waits until every node publishes a signing key in its JWKS.
func waitSigningKey(t testing.TB, c *nodetest.Cluster) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for _, n := range c.Nodes {
		for {
			resp, err := http.Get(n.GatewayURL() + "/.well-known/jwks.json")
			if err == nil {
				var jwks struct{ Keys []map[string]any }
				_ = json.NewDecoder(resp.Body).Decode(&jwks)
				resp.Body.Close()
				if len(jwks.Keys) > 0 {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s publishes no signing key", n.ID)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// TestConsumerJourney walks the consumer journey through the CLI and HTTP on three real nodes: a subscriber's
// application subscribes, gets an API key and OAuth2 credentials, calls every node; a token from one node works on
// another; a revocation on one node is refused everywhere; key regeneration keeps both keys for the grace period;
// deletion revokes at once; subscription block/unblock; every lifecycle state; sandbox routing; CORS; BOLA; and no
// secret in any node's log.
func TestConsumerJourney(t *testing.T) {
	prod, sandbox := newBackend(t), newBackend(t)
	// Debug logging: the check that no secret reaches a log covers every log line a node can write.
	c := startCluster(t, nodetest.WithFlags("--key-grace", "6s", "--log-level", "debug"))
	n1, n2, n3 := c.Nodes[0], c.Nodes[1], c.Nodes[2]
	file := apiFile(t, "shop.yaml", prod.URL, func(s string) string { return strings.ReplaceAll(s, "{{SANDBOX}}", sandbox.URL) })
	n1.MustCLI("deploy", "-f", file, "--wait", "all")
	waitSigningKey(t, c)

	const alicePW, bobPW = "alice-password-1", "bob-password-2"
	alice := jsonOut[struct{ Token string }](t, n1.CLIAs(n1.Token, alicePW+"\n", "-o", "json", "user", "create", "alice", "--role", "subscriber", "--password-stdin").Stdout).Token
	bob := jsonOut[struct{ Token string }](t, n1.CLIAs(n1.Token, bobPW+"\n", "-o", "json", "user", "create", "bob", "--role", "subscriber", "--password-stdin").Stdout).Token
	if alice == "" || bob == "" {
		t.Fatal("user create printed no token")
	}

	// Alice's application: subscription, keys for both environments, OAuth2 credentials.
	n2.MustCLIAs(alice, "app", "create", "alice-app")
	sub := jsonOut[struct{ ID, Status string }](t, n2.MustCLIAs(alice, "-o", "json", "sub", "create", "--app", "alice-app", "--api", "shop", "--major", "1", "--plan", "Gold"))
	key := jsonOut[struct{ ID, Key string }](t, n3.MustCLIAs(alice, "-o", "json", "key", "create", "--app", "alice-app", "--api", "shop"))
	sandboxKey := jsonOut[struct{ ID, Key string }](t, n3.MustCLIAs(alice, "-o", "json", "key", "create", "--app", "alice-app", "--api", "shop", "--env", "sandbox"))
	cred := jsonOut[struct{ ClientID, ClientSecret string }](t, n2.MustCLIAs(alice, "-o", "json", "app", "credentials", "alice-app", "--env", "production", "--grant-types", "client_credentials,password,refresh_token"))
	if sub.Status != "active" || key.Key == "" || cred.ClientID == "" || cred.ClientSecret == "" {
		t.Fatalf("setup: sub %+v, key %+v, credential id %q", sub, key, cred.ClientID)
	}
	waitEvery(t, c, "/shop/v1/items", map[string]string{"api-key": key.Key}, http.StatusOK, 5*time.Second)
	before := sandbox.hits.Load()
	waitEvery(t, c, "/shop/v1/items", map[string]string{"api-key": sandboxKey.Key}, http.StatusOK, 5*time.Second)
	if sandbox.hits.Load() < before+3 {
		t.Fatalf("sandbox key: sandbox backend got %d requests, want one per node", sandbox.hits.Load()-before)
	}

	// OAuth2: every node issues tokens for the credential once it serves it (n2 took its write, so it serves it
	// already; the others once their copies have applied it), a token from n1 works on every node, and scopes are
	// enforced.
	tok := waitClientToken(t, c, cred.ClientID, cred.ClientSecret, "orders:read", 5*time.Second)
	if tok.Scope != "orders:read" || tok.ExpiresIn != 900 {
		t.Fatalf("client_credentials token: %+v", tok)
	}
	bearer := map[string]string{"Authorization": "Bearer " + tok.AccessToken}
	if got, _ := call(http.MethodGet, n2.GatewayURL()+"/shop/v1/orders", bearer); got != http.StatusOK {
		t.Fatalf("token from n1 on n2: got %d, want 200", got)
	}
	waitEvery(t, c, "/shop/v1/orders", bearer, http.StatusOK, 5*time.Second)
	status, narrow := oauthPost(t, n1, "/oauth2/token", cred.ClientID, cred.ClientSecret, url.Values{"grant_type": {"client_credentials"}, "scope": {"nothing:else"}})
	if status != http.StatusOK || narrow.AccessToken == "" {
		t.Fatalf("token with another scope: %d %+v", status, narrow)
	}
	if got, h := call(http.MethodGet, n3.GatewayURL()+"/shop/v1/orders", map[string]string{"Authorization": "Bearer " + narrow.AccessToken}); got != http.StatusForbidden || !strings.Contains(h.Get("Www-Authenticate"), "insufficient_scope") {
		t.Fatalf("token without the scope: got %d %q, want 403 insufficient_scope", got, h.Get("Www-Authenticate"))
	}
	status, pw := oauthPost(t, n3, "/oauth2/token", cred.ClientID, cred.ClientSecret, url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {alicePW}})
	if status != http.StatusOK || pw.RefreshToken == "" {
		t.Fatalf("password grant: %d %+v", status, pw)
	}
	status, refreshed := oauthPost(t, n2, "/oauth2/token", cred.ClientID, cred.ClientSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {pw.RefreshToken}})
	if status != http.StatusOK || refreshed.AccessToken == "" {
		t.Fatalf("refresh grant: %d %+v", status, refreshed)
	}
	refreshedBearer := map[string]string{"Authorization": "Bearer " + refreshed.AccessToken}
	if got, _ := call(http.MethodGet, n1.GatewayURL()+"/shop/v1/items", refreshedBearer); got != http.StatusOK {
		t.Fatalf("refreshed access token: got %d, want 200", got)
	}
	if status, again := oauthPost(t, n1, "/oauth2/token", cred.ClientID, cred.ClientSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {pw.RefreshToken}}); status != http.StatusBadRequest || again.Error != "invalid_grant" {
		t.Fatalf("reused refresh token: %d %+v, want 400 invalid_grant", status, again)
	}
	// The reuse of a rotated refresh token revokes its grant: the access token refreshed from it stops working on
	// every node, and so does the refresh token that replaced it.
	waitEvery(t, c, "/shop/v1/items", refreshedBearer, http.StatusUnauthorized, 5*time.Second)
	if status, again := oauthPost(t, n2, "/oauth2/token", cred.ClientID, cred.ClientSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshed.RefreshToken}}); status != http.StatusBadRequest || again.Error != "invalid_grant" {
		t.Fatalf("refresh token of a revoked grant: %d %+v, want 400 invalid_grant", status, again)
	}

	// A revocation through a follower is refused by that follower as soon as the revocation returns (the leader
	// applies it; the follower answers once its own gateway serves it), and on every node soon after.
	revoker := followers(c, c.WaitLeader(10*time.Second))[0]
	revokedAt := time.Now()
	if status, _ := oauthPost(t, revoker, "/oauth2/revoke", cred.ClientID, cred.ClientSecret, url.Values{"token": {tok.AccessToken}}); status != http.StatusOK {
		t.Fatalf("revoke: got %d", status)
	}
	if got, _ := call(http.MethodGet, revoker.GatewayURL()+"/shop/v1/orders", bearer); got != http.StatusUnauthorized {
		t.Fatalf("revoked token on %s, which took the revocation: got %d, want 401 at once", revoker.ID, got)
	}
	lag := waitEvery(t, c, "/shop/v1/orders", bearer, http.StatusUnauthorized, 5*time.Second)
	t.Logf("revocation refused on every node %s after revoke was sent (%s after it returned)", lag, time.Since(revokedAt)-lag)

	// Regenerate: both keys work during the grace period, the old one stops after it.
	// The old key is checked first, while its grace period (--key-grace) surely runs.
	regen := jsonOut[struct{ ID, Key string }](t, n1.MustCLIAs(alice, "-o", "json", "key", "regenerate", key.ID))
	waitEvery(t, c, "/shop/v1/items", map[string]string{"api-key": key.Key}, http.StatusOK, 3*time.Second) // within the 6 s grace
	waitEvery(t, c, "/shop/v1/items", map[string]string{"api-key": regen.Key}, http.StatusOK, 5*time.Second)
	waitEvery(t, c, "/shop/v1/items", map[string]string{"api-key": key.Key}, http.StatusUnauthorized, 20*time.Second)
	// Delete revokes at once everywhere.
	n2.MustCLIAs(alice, "key", "delete", regen.ID)
	waitEvery(t, c, "/shop/v1/items", map[string]string{"api-key": regen.Key}, http.StatusUnauthorized, 5*time.Second)

	// Operator blocks and unblocks the subscription.
	n1.MustCLI("sub", "block", sub.ID)
	waitEvery(t, c, "/shop/v1/items", map[string]string{"api-key": sandboxKey.Key}, http.StatusForbidden, 5*time.Second)
	n3.MustCLI("sub", "unblock", sub.ID)
	waitEvery(t, c, "/shop/v1/items", map[string]string{"api-key": sandboxKey.Key}, http.StatusOK, 5*time.Second)

	// CORS: an allowed origin's preflight is answered at the gateway; another origin gets no CORS headers.
	got, h := call(http.MethodOptions, n2.GatewayURL()+"/shop/v1/items", map[string]string{"Origin": "https://app.example", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "api-key"})
	if got != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != "https://app.example" {
		t.Fatalf("CORS preflight: got %d with Allow-Origin %q", got, h.Get("Access-Control-Allow-Origin"))
	}
	got, h = call(http.MethodOptions, n2.GatewayURL()+"/shop/v1/items", map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
	if h.Get("Access-Control-Allow-Origin") != "" || got == http.StatusNoContent {
		t.Fatalf("CORS preflight from another origin: got %d with Allow-Origin %q, want a refusal without CORS headers", got, h.Get("Access-Control-Allow-Origin"))
	}

	// BOLA: Bob cannot see or use Alice's application.
	if r := n1.CLIAs(bob, "", "app", "get", "alice-app"); r.Code != 1 || !strings.Contains(r.Stderr, "not found") {
		t.Fatalf("bob reading alice's app: exit %d %q, want 1 not found", r.Code, r.Stderr)
	}
	if r := n1.CLIAs(bob, "", "key", "create", "--app", "alice-app", "--api", "shop"); r.Code != 1 {
		t.Fatalf("bob creating a key on alice's app: exit %d, want 1", r.Code)
	}
	if out := n1.MustCLIAs(bob, "-o", "json", "key", "list"); strings.Contains(out, sandboxKey.ID) {
		t.Fatalf("bob's key list shows alice's key: %s", out)
	}

	// Lifecycle, enforced on every node.
	n1.MustCLI("api", "lifecycle", "shop", "1.0", "Blocked")
	waitEvery(t, c, "/shop/v1/items", map[string]string{"api-key": sandboxKey.Key}, http.StatusServiceUnavailable, 5*time.Second)
	if r := n1.CLI("api", "lifecycle", "shop", "1.0", "Created"); r.Code != 1 || !strings.Contains(r.Stderr, "Published") {
		t.Fatalf("refused transition: exit %d %q, want 1 naming the allowed states", r.Code, r.Stderr)
	}
	n1.MustCLI("api", "lifecycle", "shop", "1.0", "Published")
	waitEvery(t, c, "/shop/v1/items", map[string]string{"api-key": sandboxKey.Key}, http.StatusOK, 5*time.Second)
	n1.MustCLI("api", "lifecycle", "shop", "1.0", "Deprecated")
	waitEvery(t, c, "/shop/v1.0/items", map[string]string{"api-key": sandboxKey.Key}, http.StatusOK, 5*time.Second)
	n1.MustCLIAs(bob, "app", "create", "bob-app")
	if r := n1.CLIAs(bob, "", "sub", "create", "--app", "bob-app", "--api", "shop", "--major", "1", "--plan", "Bronze"); r.Code != 1 {
		t.Fatalf("new subscription to a deprecated API: exit %d %q, want 1", r.Code, r.Stderr)
	}
	n1.MustCLI("api", "lifecycle", "shop", "1.0", "Retired")
	waitEvery(t, c, "/shop/v1.0/items", map[string]string{"api-key": sandboxKey.Key}, http.StatusGone, 5*time.Second)
	draft := apiFile(t, "shop.yaml", prod.URL, func(s string) string {
		s = strings.ReplaceAll(s, "{{SANDBOX}}", sandbox.URL)
		s = strings.Replace(s, `version: "1.0"`, `version: "1.1"`, 1)
		return strings.Replace(s, "lifecycle: Published", "lifecycle: Created", 1)
	})
	n1.MustCLI("deploy", "-f", draft, "--wait", "all")
	waitEvery(t, c, "/shop/v1.1/items", map[string]string{"api-key": sandboxKey.Key}, http.StatusNotFound, 5*time.Second)

	// No secret in any node's log.
	secrets := map[string]string{"api key": key.Key, "sandbox key": sandboxKey.Key, "regenerated key": regen.Key,
		"client secret": cred.ClientSecret, "access token": tok.AccessToken, "refresh token": pw.RefreshToken,
		"alice's password": alicePW, "bob's password": bobPW, "alice's token": alice, "bob's token": bob}
	for _, n := range c.Nodes {
		logs := n.Logs()
		for what, s := range secrets {
			if strings.Contains(logs, s) {
				t.Fatalf("%s's log contains %s", n.ID, what)
			}
		}
	}
}
