package e2e

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"portico/node/nodetest"
)

// TestSignInLimitsOnANode: a node counts failed password sign-ins per user and client address across its admin API
// and its OAuth2 endpoints: after five wrong passwords for dana, the right one is refused with 429 and Retry-After on
// both, while another user signs in.
func TestSignInLimitsOnANode(t *testing.T) {
	n := nodetest.NewNode(t, "n1")
	n.Start("--bootstrap")
	const danaPW, eliPW = "dana-password-1", "eli-password-22"
	dana := jsonOut[struct{ Token string }](t, n.CLIAs(n.Token, danaPW+"\n", "-o", "json", "user", "create", "dana",
		"--role", "subscriber", "--password-stdin").Stdout).Token
	n.CLIAs(n.Token, eliPW+"\n", "user", "create", "eli", "--role", "subscriber", "--password-stdin")
	n.MustCLIAs(dana, "app", "create", "dana-app")
	cred := jsonOut[struct{ ClientID, ClientSecret string }](t, n.MustCLIAs(dana, "-o", "json", "app", "credentials",
		"dana-app", "--env", "production", "--grant-types", "password"))

	login := func(user, password string) *http.Response {
		t.Helper()
		body := []byte(`{"username":"` + user + `","password":"` + password + `"}`)
		resp, err := http.Post(n.AdminURL()+"/v1/login", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for i := range 5 {
		if resp := login("dana", "not-her-password-"+strconv.Itoa(i)); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: got %d, want 401", i+1, resp.StatusCode)
		}
	}
	resp := login("dana", danaPW)
	if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); resp.StatusCode != http.StatusTooManyRequests ||
		err != nil || ra < 1 {
		t.Fatalf("right password after 5 wrong ones: got %d, Retry-After %q, want 429 with Retry-After",
			resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	status, tok := oauthPost(t, n, "/oauth2/token", cred.ClientID, cred.ClientSecret,
		url.Values{"grant_type": {"password"}, "username": {"dana"}, "password": {danaPW}})
	if status != http.StatusTooManyRequests || tok.AccessToken != "" {
		t.Fatalf("password grant for dana: got %d (token %v), want 429", status, tok.AccessToken != "")
	}
	if resp := login("eli", eliPW); resp.StatusCode != http.StatusOK {
		t.Fatalf("another user: got %d, want 200", resp.StatusCode)
	}
}
