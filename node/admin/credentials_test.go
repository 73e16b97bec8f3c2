package admin

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var clientIDForm = regexp.MustCompile(`^cl_[0-9a-f]{24}$`)

func TestCredentials(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.addUser("olga", "subscriber")
	e.postAs(owner, "/v1/apps", `{"name":"mobile"}`, http.StatusCreated)
	first := e.postAs(owner, "/v1/apps/mobile/credentials", `{}`, http.StatusCreated)
	clientID, _ := first["clientId"].(string)
	secret, _ := first["clientSecret"].(string)
	if !clientIDForm.MatchString(clientID) || first["env"] != "production" ||
		!slices.Equal(first["grantTypes"].([]any), []any{"client_credentials"}) ||
		first["accessTokenTtl"] != float64(900) || first["refreshTokenTtl"] != float64(86400) ||
		first["public"] != false || first["pkceRequired"] != false {
		t.Fatalf("defaults: got %v", first)
	}
	checkSecret(t, e, secret, clientID)

	again := e.postAs(owner, "/v1/apps/mobile/credentials",
		`{"env":"production","grantTypes":["client_credentials","password","refresh_token"],"accessTokenTtl":60}`,
		http.StatusCreated)
	secret2, _ := again["clientSecret"].(string)
	if again["clientId"] != clientID || secret2 == secret || again["accessTokenTtl"] != float64(60) {
		t.Errorf("regenerate: got %v, want the same client ID %s, a new secret and ttl 60", again, clientID)
	}
	checkSecret(t, e, secret2, clientID)

	pub := e.postAs(owner, "/v1/apps/mobile/credentials", `{"env":"sandbox","public":true,"pkceRequired":true,`+
		`"grantTypes":["authorization_code","refresh_token"],"redirectUris":["https://app.example/cb","myapp:/cb"]}`,
		http.StatusCreated)
	if _, ok := pub["clientSecret"]; ok || pub["clientId"] == clientID || !clientIDForm.MatchString(pub["clientId"].(string)) ||
		pub["public"] != true || pub["pkceRequired"] != true || len(pub["redirectUris"].([]any)) != 2 {
		t.Errorf("public sandbox client: got %v, want a new client ID and no secret", pub)
	}
	app, _ := e.store.State().AppByName("mobile")
	if c := app.Credentials["sandbox"]; c == nil || c.SecretHash != nil || !c.Public {
		t.Errorf("stored sandbox credential: got %+v, want a public client without a secret hash", c)
	}

	view := decodeObject(t, e.as(owner, request{method: "GET", path: "/v1/apps/mobile"}), http.StatusOK)
	creds, _ := view["credentials"].(map[string]any)
	prod, _ := creds["production"].(map[string]any)
	if len(creds) != 2 || prod["clientId"] != clientID || prod["accessTokenTtl"] != float64(60) {
		t.Errorf("app view credentials: got %v", creds)
	}
	for _, s := range []string{secret, secret2} {
		sum := sha256.Sum256([]byte(s))
		for _, leak := range []string{s, base64.StdEncoding.EncodeToString(sum[:]), "secretHash"} {
			if strings.Contains(e.as(owner, request{method: "GET", path: "/v1/apps"}).Body.String()+
				e.as(owner, request{method: "GET", path: "/v1/apps/mobile"}).Body.String(), leak) {
				t.Errorf("an application read shows a secret or its hash (%.12s...)", leak)
			}
		}
		if strings.Contains(e.logs.String(), s) {
			t.Errorf("logs contain a client secret")
		}
	}
}

// checkSecret requires "cs_" + 32 bytes of unpadded base64url, stored as its SHA-256 for clientID.
func checkSecret(t *testing.T, e *env, secret, clientID string) {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(secret, "cs_"))
	if !strings.HasPrefix(secret, "cs_") || err != nil || len(raw) != 32 {
		t.Fatalf("secret %q: want cs_ and 32 bytes of unpadded base64url", secret)
	}
	_, cred, ok := e.store.State().ClientByID(clientID)
	sum := sha256.Sum256([]byte(secret))
	if !ok || !bytes.Equal(cred.SecretHash, sum[:]) {
		t.Errorf("stored credential of %s: got %+v, want the secret's SHA-256", clientID, cred)
	}
}

func TestCredentialsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.postJSON("/v1/apps", `{"name":"web"}`, http.StatusCreated)
	cases := []struct {
		name, body string
		status     int
		msg        string
	}{
		{"unknown env", `{"env":"staging"}`, 400, `env: "staging" is not production or sandbox`},
		{"unknown grant", `{"grantTypes":["implicit"]}`, 400, `grantTypes[0]: "implicit" is not one of`},
		{"duplicate grant", `{"grantTypes":["password","password"]}`, 400, `grantTypes[1]: "password" listed twice`},
		{"public client credentials", `{"public":true}`, 400,
			"grantTypes[0]: client_credentials needs a client secret"},
		{"code without redirect", `{"grantTypes":["authorization_code"]}`, 400, "redirectUris: required"},
		{"redirect without code", `{"redirectUris":["https://a.example/cb"]}`, 400,
			"redirectUris: only used by the authorization_code grant"},
		{"redirect with fragment", `{"grantTypes":["authorization_code"],"redirectUris":["https://a.example/cb#x"]}`,
			400, "redirectUris[0]:"},
		{"relative redirect", `{"grantTypes":["authorization_code"],"redirectUris":["/cb"]}`, 400,
			`redirectUris[0]: "/cb" is not an absolute URI`},
		{"zero ttl", `{"accessTokenTtl":0}`, 400, "accessTokenTtl: 0 is not between 1 and 86400"},
		{"ttl over a day", `{"refreshTokenTtl":86401}`, 400, "refreshTokenTtl: 86401 is not between 1 and 86400"},
		{"secret in the request", `{"clientSecret":"cs_x"}`, 400, `unknown field "clientSecret"`},
		{"unknown app", ``, 404, `application "nope" not found`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path, body := "/v1/apps/web/credentials", c.body
			if c.status == http.StatusNotFound {
				path, body = "/v1/apps/nope/credentials", "{}"
			}
			before := e.store.State().Index
			wantError(t, e.do(request{method: "POST", path: path, ctype: "application/json", body: body}), c.status,
				"", c.msg)
			if e.store.State().Index != before {
				t.Errorf("state index: got %d, want %d (nothing applied)", e.store.State().Index, before)
			}
		})
	}
}

func TestCredentialsReusedIdempotencyKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.postJSON("/v1/apps", `{"name":"web"}`, http.StatusCreated)
	r := request{method: "POST", path: "/v1/apps/web/credentials", ctype: "application/json", body: `{}`,
		header: map[string]string{"Idempotency-Key": "cred-1"}}
	first := decodeObject(t, e.do(r), http.StatusCreated)
	wantError(t, e.do(r), http.StatusConflict, "conflict", "cannot be shown again")
	checkSecret(t, e, first["clientSecret"].(string), first["clientId"].(string))
}

func TestShareApp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, reader, other := e.addUser("olga", "subscriber"), e.addUser("rita", "subscriber"), e.addUser("ivan", "subscriber")
	e.deploy("greet.yaml", http.StatusOK)
	e.postAs(owner, "/v1/apps", `{"name":"mobile"}`, http.StatusCreated)
	key := e.postAs(owner, "/v1/keys", `{"app":"mobile","api":"greet"}`, http.StatusCreated)

	got := e.postAs(owner, "/v1/apps/mobile/share", `{"users":["rita"]}`, http.StatusOK)
	if !slices.Equal(got["sharedWith"].([]any), []any{"rita"}) || got["owner"] != "olga" {
		t.Fatalf("share: got %v, want owner olga shared with rita", got)
	}
	reads := []string{"/v1/apps/mobile", "/v1/keys?app=mobile", "/v1/subscriptions?app=mobile"}
	for _, p := range reads {
		decodeBody(t, e.as(reader, request{method: "GET", path: p}), http.StatusOK, new(any))
		wantError(t, e.as(other, request{method: "GET", path: p}), http.StatusNotFound, "not_found", "mobile")
	}
	if keys := decodeList(t, e.as(reader, request{method: "GET", path: "/v1/keys"})); len(keys) != 1 {
		t.Errorf("keys the reader lists: got %d, want the shared app's 1", len(keys))
	}

	writes := []struct{ name, method, path, body string }{
		{"delete", "DELETE", "/v1/apps/mobile", ""},
		{"credentials", "POST", "/v1/apps/mobile/credentials", `{}`},
		{"share", "POST", "/v1/apps/mobile/share", `{"users":["rita","ivan"]}`},
		{"key create", "POST", "/v1/keys", `{"app":"mobile","api":"greet","env":"sandbox"}`},
		{"key delete", "DELETE", "/v1/keys/" + key["id"].(string), ""},
		{"key regenerate", "POST", "/v1/keys/" + key["id"].(string) + "/regenerate", ""},
		{"subscription delete", "DELETE", "/v1/subscriptions/" + key["subscription"].(string), ""},
	}
	for _, c := range writes {
		t.Run("read-only "+c.name, func(t *testing.T) {
			before := e.store.State().Index
			rec := e.as(reader, request{method: c.method, path: c.path, ctype: "application/json", body: c.body})
			wantError(t, rec, http.StatusForbidden, "forbidden", "read-only")
			if e.store.State().Index != before {
				t.Errorf("state index: got %d, want %d (nothing applied)", e.store.State().Index, before)
			}
		})
	}

	refused := []struct{ name, body, msg string }{
		{"unknown user", `{"users":["nobody"]}`, `user "nobody"`},
		{"owner", `{"users":["olga"]}`, `"olga" owns application`},
		{"bad name", `{"users":["Rita Smith"]}`, `users[0]: "Rita Smith" is not a user name`},
		{"twice", `{"users":["rita","rita"]}`, `users[1]: "rita" listed twice`},
		{"missing", `{}`, "users: required"},
	}
	for _, c := range refused {
		t.Run("refused "+c.name, func(t *testing.T) {
			rec := e.as(owner, request{method: "POST", path: "/v1/apps/mobile/share", ctype: "application/json",
				body: c.body})
			wantError(t, rec, map[bool]int{true: 404, false: 400}[c.name == "unknown user"], "", c.msg)
		})
	}
	got = e.postAs(owner, "/v1/apps/mobile/share", `{"users":[]}`, http.StatusOK)
	if len(got["sharedWith"].([]any)) != 0 {
		t.Errorf("unshare: got %v, want shared with nobody", got["sharedWith"])
	}
	wantError(t, e.as(reader, request{method: "GET", path: "/v1/apps/mobile"}), http.StatusNotFound, "not_found",
		"mobile")
}
