package admin

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
)

// TestSecretsNeverRead creates every kind of secret (user tokens, a login token, a password, client secrets, API
// keys old and regenerated, a sealed signing key), then reads every GET endpoint as each user: no response and no log
// line holds a secret or its hash.
func TestSecretsNeverRead(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, func(c *Config) { c.NewSigningKey = testSigningKeys(t) })
	e.deploy("greet.yaml", http.StatusOK)
	user := e.postJSON("/v1/users", `{"name":"sid","role":"subscriber","password":"hunter2-hunter2"}`,
		http.StatusCreated)
	pubToken := e.addUser("pam", "publisher")
	login := e.do(request{method: "POST", path: "/v1/login", ctype: "application/json",
		body: `{"username":"sid","password":"hunter2-hunter2"}`, header: map[string]string{"Authorization": ""}})
	loginToken := decodeObject(t, login, http.StatusOK)["token"].(string)
	subToken := user["token"].(string)
	e.postAs(subToken, "/v1/apps", `{"name":"mobile"}`, http.StatusCreated)
	cred := e.postAs(subToken, "/v1/apps/mobile/credentials", `{}`, http.StatusCreated)
	cred2 := e.postAs(subToken, "/v1/apps/mobile/credentials", `{"env":"sandbox","grantTypes":["password"]}`,
		http.StatusCreated)
	key := e.postAs(loginToken, "/v1/keys", `{"app":"mobile","api":"greet"}`, http.StatusCreated)
	regen := e.postAs(subToken, "/v1/keys/"+key["id"].(string)+"/regenerate", ``, http.StatusCreated)
	e.postJSON("/v1/signing-keys/rotate", ``, http.StatusOK)

	secrets := []string{testToken, subToken, pubToken, loginToken, "hunter2-hunter2", cred["clientSecret"].(string),
		cred2["clientSecret"].(string), key["key"].(string), regen["key"].(string)}
	var forms []string
	for _, s := range secrets {
		sum := sha256.Sum256([]byte(s))
		forms = append(forms, s, hex.EncodeToString(sum[:]), base64.StdEncoding.EncodeToString(sum[:]))
	}
	u := e.store.State().Users["sid"]
	forms = append(forms, base64.StdEncoding.EncodeToString(u.PasswordHash), base64.StdEncoding.EncodeToString(u.Salt),
		base64.StdEncoding.EncodeToString([]byte("sealed-private-key")))

	reads := []string{"/v1/apps", "/v1/apps/mobile", "/v1/keys", "/v1/keys?app=mobile", "/v1/subscriptions",
		"/v1/apis", "/v1/apis/greet/1.0", "/v1/apis/greet/consumers", "/v1/users", "/v1/whoami", "/v1/plans",
		"/v1/signing-keys", "/v1/status", "/v1/cluster", "/v1/plugins", "/v1/apis/greet/1.0/docs", "/v1/tokens"}
	for _, token := range []string{testToken, subToken, pubToken, loginToken} {
		for _, p := range reads {
			rec := e.as(token, request{method: "GET", path: p})
			for _, f := range forms {
				if strings.Contains(rec.Body.String(), f) {
					t.Errorf("GET %s (%d) holds a secret or its hash %.8s...: %s", p, rec.Code, f, rec.Body)
				}
			}
		}
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "admin request") {
		t.Fatalf("no request logged: the log check would prove nothing")
	}
	for _, f := range forms {
		if strings.Contains(logs, f) {
			t.Errorf("logs hold a secret or its hash %.8s...", f)
		}
	}
}
