package main

import (
	"strings"
	"testing"
)

// Answers of the fake admin API for the consumer commands.
const (
	lifecycleJSON = `{"name":"greet","version":"1.0","lifecycle":"Blocked","previous":"Published"}`
	consumersJSON = `[{"subscription":"s1","app":"web","appId":"a1","owner":"alice","plan":"Gold","status":"active",` +
		`"major":1},{"subscription":"s2","app":"cli","appId":"a2","owner":"","plan":"Bronze","status":"blocked",` +
		`"major":2}]`
	appJSON = `{"id":"a1","name":"web","description":"the web app","owner":"alice","sharedWith":["bob"],` +
		`"createdAt":1700000000000,"credentials":{"sandbox":{"clientId":"cl_sandbox0000000000000000","grantTypes":` +
		`["client_credentials"],"accessTokenTtl":900,"refreshTokenTtl":86400,"public":false,"pkceRequired":false,` +
		`"createdAt":1},"production":{"clientId":"cl_0123456789abcdef01234567","grantTypes":["client_credentials",` +
		`"refresh_token"],"accessTokenTtl":600,"refreshTokenTtl":3600,"public":false,"pkceRequired":true,` +
		`"redirectUris":["https://app.example/cb"],"createdAt":1}}}`
	sharedJSON = `{"id":"a1","name":"web","owner":"alice","sharedWith":["bob","carol"],"createdAt":1}`
	issuedJSON = `{"clientId":"cl_0123456789abcdef01234567","clientSecret":"cs_Zm9vYmFyc2VjcmV0","env":"production",` +
		`"grantTypes":["client_credentials","refresh_token"],"accessTokenTtl":600,"refreshTokenTtl":86400,` +
		`"public":false,"pkceRequired":true,"redirectUris":["https://app.example/cb"]}`
	publicJSON = `{"clientId":"cl_0123456789abcdef01234567","env":"production","grantTypes":["authorization_code"],` +
		`"accessTokenTtl":900,"refreshTokenTtl":86400,"public":true,"pkceRequired":true}`
	subJSON         = `{"id":"s1","app":"web","appId":"a1","api":"greet","major":1,"plan":"Gold","status":"active"}`
	blockedJSON     = `{"id":"s1","app":"web","appId":"a1","api":"greet","major":1,"plan":"Gold","status":"blocked"}`
	regeneratedJSON = `{"id":"00000000000000b2","key":"pk_00000000000000b2_bmV3c2VjcmV0","graceUntil":1700003600000,` +
		`"previous":"00000000000000a1"}`
	keysJSON = `[{"id":"00000000000000a1","name":"ci","app":"web","appId":"a1","api":"greet","major":1,` +
		`"env":"production","createdAt":1700000000000,"expiresAt":1700003600000},{"id":"00000000000000b2","name":"ci",` +
		`"app":"web","appId":"a1","api":"greet","major":1,"env":"production","createdAt":1700000000000}]`
	plansJSON = `[{"name":"Bronze","rpm":1000,"burst":0,"builtIn":true},{"name":"Unlimited","rpm":0,"burst":0,` +
		`"builtIn":true},{"name":"Platinum","rpm":9000,"burst":100,"builtIn":false}]`
	userJSON    = `{"name":"alice","role":"publisher","token":"alice-admin-token-shown-once"}`
	usersJSON   = `[{"name":"alice","role":"publisher","createdAt":1700000000000}]`
	rotatedJSON = `{"kid":"0123456789abcdef","createdAt":1700000000000,"retired":"fedcba9876543210"}`
	signingJSON = `[{"kid":"fedcba9876543210","alg":"ES256","createdAt":1600000000000,"retiredAt":1700000000000},` +
		`{"kid":"0123456789abcdef","alg":"ES256","createdAt":1700000000000,"retiredAt":0}]`
)

func TestConsumerCommands(t *testing.T) {
	guide := readFixture(t, "testdata/guide.md")
	cases := []struct {
		name    string
		args    []string
		stdin   string
		replies []fakeReply
		want    []wantRequest // every request, in order
		code    int
		stdout  []string // each must appear on stdout
		stderr  string   // must appear on stderr; "" = stderr stays empty
	}{
		{"api lifecycle", []string{"api", "lifecycle", "greet", "1.0", "Blocked"}, "",
			[]fakeReply{{200, nil, lifecycleJSON}},
			[]wantRequest{{method: "POST", path: "/v1/apis/greet/1.0/lifecycle", ctype: "application/json",
				body: `{"state":"Blocked"}`, write: true}}, exitOK,
			[]string{"API greet 1.0 moved from Published to Blocked\n"}, ""},
		{"api lifecycle as JSON", []string{"api", "lifecycle", "greet", "1.0", "Blocked", "-o", "json"}, "",
			[]fakeReply{{200, nil, lifecycleJSON}},
			[]wantRequest{{method: "POST", path: "/v1/apis/greet/1.0/lifecycle", ctype: "application/json",
				body: `{"state":"Blocked"}`, write: true}}, exitOK,
			[]string{`"lifecycle": "Blocked"`, `"previous": "Published"`}, ""},
		{"api lifecycle unchanged", []string{"api", "lifecycle", "greet", "1.0", "Published"}, "",
			[]fakeReply{{200, nil, `{"name":"greet","version":"1.0","lifecycle":"Published","previous":"Published"}`}},
			[]wantRequest{{method: "POST", path: "/v1/apis/greet/1.0/lifecycle", ctype: "application/json",
				body: `{"state":"Published"}`, write: true}}, exitOK, []string{"API greet 1.0 is Published already\n"}, ""},
		{"api lifecycle refused is not retried", []string{"api", "lifecycle", "greet", "1.0", "Created"}, "",
			[]fakeReply{{400, nil, `{"error":"invalid_request","message":"lifecycle: cannot move greet 1.0 from ` +
				`Published to Created; allowed from Published: Blocked, Deprecated"}`}, {200, nil, lifecycleJSON}},
			[]wantRequest{{method: "POST", path: "/v1/apis/greet/1.0/lifecycle", ctype: "application/json",
				body: `{"state":"Created"}`, write: true}}, exitError, nil,
			"portico: lifecycle: cannot move greet 1.0 from Published to Created; allowed from Published: Blocked, " +
				"Deprecated\n"},
		{"api consumers", []string{"api", "consumers", "greet"}, "", []fakeReply{{200, nil, consumersJSON}},
			[]wantRequest{{method: "GET", path: "/v1/apis/greet/consumers"}}, exitOK,
			[]string{"SUBSCRIPTION  APP  OWNER    MAJOR  PLAN    STATUS\n", "s1            web  alice    1      Gold    active\n",
				"s2            cli  (admin)  2      Bronze  blocked\n"}, ""},
		{"api consumers as JSON", []string{"-o", "json", "api", "consumers", "greet"}, "",
			[]fakeReply{{200, nil, consumersJSON}}, []wantRequest{{method: "GET", path: "/v1/apis/greet/consumers"}},
			exitOK, []string{`"subscription": "s2"`, `"owner": ""`, `"status": "blocked"`, `"plan": "Gold"`}, ""},
		{"api consumers forbidden", []string{"api", "consumers", "greet"}, "",
			[]fakeReply{{403, nil, `{"error":"forbidden","message":"API greet is owned by another publisher"}`}},
			[]wantRequest{{method: "GET", path: "/v1/apis/greet/consumers"}}, exitError, nil,
			"portico: API greet is owned by another publisher"},
		{"doc add", []string{"api", "doc", "add", "greet", "1.0", "guide", "--file", "testdata/guide.md"}, "",
			[]fakeReply{{200, nil, `{"name":"guide","updatedAt":1700000000000}`}},
			[]wantRequest{{method: "PUT", path: "/v1/apis/greet/1.0/docs/guide", ctype: "text/markdown", body: guide,
				write: true}}, exitOK, []string{"stored document guide of API greet 1.0 (68 bytes)\n"}, ""},
		{"doc add of plain text", []string{"api", "doc", "add", "greet", "1.0", "notes", "-f", "testdata/notes.txt",
			"-o", "json"}, "", []fakeReply{{200, nil, `{"name":"notes","updatedAt":1700000000000}`}},
			[]wantRequest{{method: "PUT", path: "/v1/apis/greet/1.0/docs/notes", ctype: "text/plain",
				body: "Plain notes.\n", write: true}}, exitOK, []string{`"name": "notes"`, `"updatedAt": 1700000000000`}, ""},
		{"doc add of a missing file", []string{"api", "doc", "add", "greet", "1.0", "guide", "--file",
			"testdata/none.md"}, "", nil, nil, exitError, nil, "reading the document"},
		{"doc list", []string{"api", "doc", "list", "greet", "1.0"}, "",
			[]fakeReply{{200, nil, `[{"name":"guide","updatedAt":0,"size":74}]`}},
			[]wantRequest{{method: "GET", path: "/v1/apis/greet/1.0/docs"}}, exitOK,
			[]string{"NAME   SIZE  UPDATED\n", "guide  74    -\n"}, ""},
		{"doc get prints the Markdown", []string{"api", "doc", "get", "greet", "1.0", "guide"}, "",
			[]fakeReply{{200, map[string]string{"Content-Type": "text/markdown"}, guide}},
			[]wantRequest{{method: "GET", path: "/v1/apis/greet/1.0/docs/guide"}}, exitOK, []string{guide}, ""},
		{"doc get as JSON", []string{"api", "doc", "get", "greet", "1.0", "guide", "-o", "json"}, "",
			[]fakeReply{{200, map[string]string{"Content-Type": "text/markdown"}, "# Title\n"}},
			[]wantRequest{{method: "GET", path: "/v1/apis/greet/1.0/docs/guide"}}, exitOK,
			[]string{`"body": "# Title\n"`, `"name": "guide"`, `"api": "greet"`}, ""},
		{"doc get of an absent document", []string{"api", "doc", "get", "greet", "1.0", "nope"}, "",
			[]fakeReply{{404, nil, `{"error":"not_found","message":"document nope of greet 1.0 not found"}`}},
			[]wantRequest{{method: "GET", path: "/v1/apis/greet/1.0/docs/nope"}}, exitError, nil,
			"portico: document nope of greet 1.0 not found"},
		{"doc delete", []string{"api", "doc", "delete", "greet", "1.0", "guide"}, "", []fakeReply{{204, nil, ""}},
			[]wantRequest{{method: "DELETE", path: "/v1/apis/greet/1.0/docs/guide", write: true}}, exitOK,
			[]string{"deleted document guide of API greet 1.0\n"}, ""},
		{"doc delete as JSON", []string{"api", "doc", "delete", "greet", "1.0", "guide", "-o", "json"}, "",
			[]fakeReply{{200, nil, `{"deleted":true}`}},
			[]wantRequest{{method: "DELETE", path: "/v1/apis/greet/1.0/docs/guide", write: true}}, exitOK,
			[]string{`"api": "greet"`, `"name": "guide"`, `"deleted": true`}, ""},
		{"doc get of an empty document as YAML", []string{"api", "doc", "get", "greet", "1.0", "empty", "-o", "yaml"},
			"", []fakeReply{{200, map[string]string{"Content-Type": "text/markdown"}, ""}},
			[]wantRequest{{method: "GET", path: "/v1/apis/greet/1.0/docs/empty"}}, exitOK,
			[]string{"name: empty\n", "body: \"\"\n"}, ""},
		{"app get", []string{"app", "get", "web"}, "", []fakeReply{{200, nil, appJSON}},
			[]wantRequest{{method: "GET", path: "/v1/apps/web"}}, exitOK,
			[]string{"OWNER        alice\n", "SHARED WITH  bob\n",
				"ENV         CLIENT ID                    GRANT TYPES                       ACCESS TTL  REFRESH TTL  " +
					"PUBLIC  PKCE   REDIRECT URIS\n",
				"production  cl_0123456789abcdef01234567  client_credentials,refresh_token  10m0s       1h0m0s       " +
					"false   true   https://app.example/cb\n",
				"sandbox     cl_sandbox0000000000000000   client_credentials                15m0s       24h0m0s"}, ""},
		{"app get as JSON", []string{"app", "get", "web", "-o", "json"}, "", []fakeReply{{200, nil, appJSON}},
			[]wantRequest{{method: "GET", path: "/v1/apps/web"}}, exitOK,
			[]string{`"owner": "alice"`, `"sharedWith": [`, `"clientId": "cl_0123456789abcdef01234567"`,
				`"pkceRequired": true`}, ""},
		{"app get of another user's app", []string{"app", "get", "theirs"}, "",
			[]fakeReply{{404, nil, `{"error":"not_found","message":"application theirs not found"}`}},
			[]wantRequest{{method: "GET", path: "/v1/apps/theirs"}}, exitError, nil, "application theirs not found"},
		{"app share", []string{"app", "share", "web", "--user", "bob", "--user", "carol"}, "",
			[]fakeReply{{200, nil, sharedJSON}},
			[]wantRequest{{method: "POST", path: "/v1/apps/web/share", ctype: "application/json",
				body: `{"users":["bob","carol"]}`, write: true}}, exitOK,
			[]string{"application web is shared with: bob, carol\n"}, ""},
		{"app share with nobody", []string{"app", "share", "web", "--none"}, "",
			[]fakeReply{{200, nil, `{"id":"a1","name":"web"}`}},
			[]wantRequest{{method: "POST", path: "/v1/apps/web/share", ctype: "application/json",
				body: `{"users":[]}`, write: true}}, exitOK, []string{"application web is shared with: -\n"}, ""},
		{"app credentials", []string{"app", "credentials", "web", "--env", "production", "--grant-types",
			"client_credentials,refresh_token", "--token-ttl", "10m", "--refresh-ttl", "24h", "--pkce",
			"--redirect-uri", "https://app.example/cb"}, "", []fakeReply{{201, nil, issuedJSON}},
			[]wantRequest{{method: "POST", path: "/v1/apps/web/credentials", ctype: "application/json",
				body: `{"env":"production","grantTypes":["client_credentials","refresh_token"],"accessTokenTtl":600,` +
					`"refreshTokenTtl":86400,"pkceRequired":true,"redirectUris":["https://app.example/cb"]}`,
				write: true}}, exitOK,
			[]string{"production  cl_0123456789abcdef01234567  client_credentials,refresh_token  10m0s",
				"CLIENT SECRET  cs_Zm9vYmFyc2VjcmV0\n", "Store this secret now: it is shown once.\n"}, ""},
		{"app credentials with the defaults", []string{"app", "credentials", "web", "--env", "sandbox"}, "",
			[]fakeReply{{201, nil, `{"clientId":"cl_1","clientSecret":"cs_x","grantTypes":["client_credentials"],` +
				`"accessTokenTtl":900,"refreshTokenTtl":86400}`}},
			[]wantRequest{{method: "POST", path: "/v1/apps/web/credentials", ctype: "application/json",
				body: `{"env":"sandbox"}`, write: true}}, exitOK,
			[]string{"sandbox  cl_1       client_credentials  15m0s", "CLIENT SECRET  cs_x\n"}, ""},
		{"app credentials of a public client", []string{"app", "credentials", "web", "--env", "production",
			"--public", "--grant-types", "authorization_code"}, "", []fakeReply{{201, nil, publicJSON}},
			[]wantRequest{{method: "POST", path: "/v1/apps/web/credentials", ctype: "application/json",
				body: `{"env":"production","grantTypes":["authorization_code"],"public":true}`, write: true}}, exitOK,
			[]string{"A public client has no secret.\n"}, ""},
		{"app credentials as JSON", []string{"-o", "json", "app", "credentials", "web", "--env", "production"}, "",
			[]fakeReply{{201, nil, issuedJSON}},
			[]wantRequest{{method: "POST", path: "/v1/apps/web/credentials", ctype: "application/json",
				body: `{"env":"production"}`, write: true}}, exitOK,
			[]string{`"clientId": "cl_0123456789abcdef01234567"`, `"clientSecret": "cs_Zm9vYmFyc2VjcmV0"`}, ""},
		{"sub create", []string{"sub", "create", "--app", "web", "--api", "greet", "--major", "1", "--plan", "Gold"},
			"", []fakeReply{{201, nil, subJSON}},
			[]wantRequest{{method: "POST", path: "/v1/subscriptions", ctype: "application/json",
				body: `{"app":"web","api":"greet","major":1,"plan":"Gold"}`, write: true}}, exitOK,
			[]string{"ID  APP  API    MAJOR  PLAN  STATUS\n", "s1  web  greet  1      Gold  active\n"}, ""},
		{"sub create of major 0 as JSON", []string{"sub", "create", "--app", "web", "--api", "greet", "--major", "0",
			"--plan", "Gold", "-o", "json"}, "", []fakeReply{{201, nil, subJSON}},
			[]wantRequest{{method: "POST", path: "/v1/subscriptions", ctype: "application/json",
				body: `{"app":"web","api":"greet","major":0,"plan":"Gold"}`, write: true}}, exitOK,
			[]string{`"id": "s1"`, `"plan": "Gold"`, `"status": "active"`}, ""},
		{"sub create refused", []string{"sub", "create", "--app", "web", "--api", "greet", "--major", "1", "--plan",
			"Gold"}, "", []fakeReply{{400, nil, `{"error":"invalid_request","message":"greet 1 is Deprecated: ` +
			`no new subscriptions"}`}},
			[]wantRequest{{method: "POST", path: "/v1/subscriptions", ctype: "application/json",
				body: `{"app":"web","api":"greet","major":1,"plan":"Gold"}`, write: true}}, exitError, nil,
			"greet 1 is Deprecated"},
		{"sub list of an app", []string{"sub", "list", "--app", "web"}, "", []fakeReply{{200, nil, "[" + subJSON + "]"}},
			[]wantRequest{{method: "GET", path: "/v1/subscriptions", query: "app=web"}}, exitOK,
			[]string{"s1  web  greet  1      Gold  active\n"}, ""},
		{"sub list as JSON", []string{"sub", "list", "-o", "json"}, "", []fakeReply{{200, nil, "[]"}},
			[]wantRequest{{method: "GET", path: "/v1/subscriptions"}}, exitOK, []string{"[]\n"}, ""},
		{"sub block", []string{"sub", "block", "s1"}, "", []fakeReply{{200, nil, blockedJSON}},
			[]wantRequest{{method: "POST", path: "/v1/subscriptions/s1/block", write: true}}, exitOK,
			[]string{"s1  web  greet  1      Gold  blocked\n"}, ""},
		{"sub unblock as JSON", []string{"sub", "unblock", "s1", "-o", "json"}, "", []fakeReply{{200, nil, subJSON}},
			[]wantRequest{{method: "POST", path: "/v1/subscriptions/s1/unblock", write: true}}, exitOK,
			[]string{`"status": "active"`}, ""},
		{"sub block retried after an unknown outcome", []string{"sub", "block", "s1"}, "",
			[]fakeReply{{503, nil, unknownOutcome}, {200, nil, blockedJSON}},
			[]wantRequest{{method: "POST", path: "/v1/subscriptions/s1/block", write: true},
				{method: "POST", path: "/v1/subscriptions/s1/block", write: true}}, exitOK, []string{"blocked"}, ""},
		{"sub delete", []string{"sub", "delete", "s1"}, "", []fakeReply{{200, nil, `{"id":"s1","deleted":true}`}},
			[]wantRequest{{method: "DELETE", path: "/v1/subscriptions/s1", write: true}}, exitOK,
			[]string{"deleted subscription s1 with the application's keys for that API version\n"}, ""},
		{"key regenerate", []string{"key", "regenerate", "00000000000000a1"}, "",
			[]fakeReply{{201, nil, regeneratedJSON}},
			[]wantRequest{{method: "POST", path: "/v1/keys/00000000000000a1/regenerate", write: true}}, exitOK,
			[]string{"00000000000000b2  00000000000000a1  2023-11-14T23:13:20Z\n",
				"KEY  pk_00000000000000b2_bmV3c2VjcmV0\n", "not shown again"}, ""},
		{"key regenerate as JSON", []string{"key", "regenerate", "00000000000000a1", "-o", "json"}, "",
			[]fakeReply{{201, nil, regeneratedJSON}},
			[]wantRequest{{method: "POST", path: "/v1/keys/00000000000000a1/regenerate", write: true}}, exitOK,
			[]string{`"key": "pk_00000000000000b2_bmV3c2VjcmV0"`, `"graceUntil": 1700003600000`,
				`"previous": "00000000000000a1"`}, ""},
		{"key list shows when a key expires", []string{"key", "list", "--app", "web"}, "",
			[]fakeReply{{200, nil, keysJSON}}, []wantRequest{{method: "GET", path: "/v1/keys", query: "app=web"}}, exitOK,
			[]string{"EXPIRES\n", "2023-11-14T22:13:20Z  2023-11-14T23:13:20Z\n", "2023-11-14T22:13:20Z  -\n"}, ""},
		{"plan list", []string{"plan", "list"}, "", []fakeReply{{200, nil, plansJSON}},
			[]wantRequest{{method: "GET", path: "/v1/plans"}}, exitOK,
			[]string{"NAME       RPM        BURST  BUILT-IN\n", "Unlimited  unlimited  0      true\n",
				"Platinum   9000       100    false\n"}, ""},
		{"plan list as JSON", []string{"plan", "list", "-o", "json"}, "", []fakeReply{{200, nil, plansJSON}},
			[]wantRequest{{method: "GET", path: "/v1/plans"}}, exitOK, []string{`"name": "Bronze"`, `"rpm": 1000`}, ""},
		{"plan create", []string{"plan", "create", "Platinum", "--rpm", "9000", "--burst", "100"}, "",
			[]fakeReply{{201, nil, `{"name":"Platinum","rpm":9000,"burst":100,"builtIn":false}`}},
			[]wantRequest{{method: "POST", path: "/v1/plans", ctype: "application/json",
				body: `{"name":"Platinum","rpm":9000,"burst":100}`, write: true}}, exitOK,
			[]string{"Platinum  9000  100    false\n"}, ""},
		{"plan create of a built-in name", []string{"plan", "create", "Gold", "--rpm", "1"}, "",
			[]fakeReply{{409, nil, `{"error":"conflict","message":"plan Gold is built in"}`}},
			[]wantRequest{{method: "POST", path: "/v1/plans", ctype: "application/json",
				body: `{"name":"Gold","rpm":1,"burst":0}`, write: true}}, exitError, nil, "plan Gold is built in"},
		{"user create", []string{"user", "create", "alice", "--role", "publisher"}, "",
			[]fakeReply{{201, nil, userJSON}},
			[]wantRequest{{method: "POST", path: "/v1/users", ctype: "application/json",
				body: `{"name":"alice","role":"publisher"}`, write: true}}, exitOK,
			[]string{"alice  publisher\n", "TOKEN  alice-admin-token-shown-once\n", "not shown again"}, ""},
		{"user create with a password", []string{"user", "create", "alice", "--role", "subscriber",
			"--password-stdin", "-o", "json"}, "correct horse\n", []fakeReply{{201, nil, userJSON}},
			[]wantRequest{{method: "POST", path: "/v1/users", ctype: "application/json",
				body: `{"name":"alice","role":"subscriber","password":"correct horse"}`, write: true}}, exitOK,
			[]string{`"token": "alice-admin-token-shown-once"`}, ""},
		{"user create refused", []string{"user", "create", "alice", "--role", "admin"}, "",
			[]fakeReply{{403, nil, `{"error":"forbidden","message":"role publisher cannot manage users"}`}},
			[]wantRequest{{method: "POST", path: "/v1/users", ctype: "application/json",
				body: `{"name":"alice","role":"admin"}`, write: true}}, exitError, nil, "role publisher cannot manage users"},
		{"user list", []string{"user", "list"}, "", []fakeReply{{200, nil, usersJSON}},
			[]wantRequest{{method: "GET", path: "/v1/users"}}, exitOK,
			[]string{"NAME   ROLE       CREATED\n", "alice  publisher  2023-11-14T22:13:20Z\n"}, ""},
		{"user delete", []string{"user", "delete", "alice", "-o", "json"}, "", []fakeReply{{200, nil, `{}`}},
			[]wantRequest{{method: "DELETE", path: "/v1/users/alice", write: true}}, exitOK,
			[]string{`"name": "alice"`, `"deleted": true`}, ""},
		{"whoami", []string{"whoami"}, "", []fakeReply{{200, nil, `{"user":"alice","role":"publisher"}`}},
			[]wantRequest{{method: "GET", path: "/v1/whoami"}}, exitOK, []string{"USER   ROLE\n", "alice  publisher\n"}, ""},
		{"whoami with the bootstrap token", []string{"whoami"}, "", []fakeReply{{200, nil, `{"user":"","role":"admin"}`}},
			[]wantRequest{{method: "GET", path: "/v1/whoami"}}, exitOK, []string{"(bootstrap token)  admin\n"}, ""},
		{"keys rotate", []string{"keys", "rotate"}, "", []fakeReply{{200, nil, rotatedJSON}},
			[]wantRequest{{method: "POST", path: "/v1/signing-keys/rotate", write: true}}, exitOK,
			[]string{"signing key 0123456789abcdef is current (created 2023-11-14T22:13:20Z)\n",
				"signing key fedcba9876543210 is retired"}, ""},
		{"keys rotate without a cluster key", []string{"keys", "rotate"}, "",
			[]fakeReply{{503, nil, `{"error":"unavailable","message":"no cluster key"}`}},
			[]wantRequest{{method: "POST", path: "/v1/signing-keys/rotate", write: true}}, exitError, nil,
			"portico: no cluster key"},
		{"keys list", []string{"keys", "list"}, "", []fakeReply{{200, nil, signingJSON}},
			[]wantRequest{{method: "GET", path: "/v1/signing-keys"}}, exitOK,
			[]string{"fedcba9876543210  ES256  2020-09-13T12:26:40Z  2023-11-14T22:13:20Z  retired\n",
				"0123456789abcdef  ES256  2023-11-14T22:13:20Z  -                     current\n"}, ""},
		{"keys list as JSON", []string{"keys", "list", "-o", "json"}, "", []fakeReply{{200, nil, signingJSON}},
			[]wantRequest{{method: "GET", path: "/v1/signing-keys"}}, exitOK,
			[]string{`"kid": "0123456789abcdef"`, `"alg": "ES256"`, `"retiredAt": 0`}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAdmin(t, tc.replies...)
			r := f.runInput(tc.stdin, tc.args...)
			if r.code != tc.code {
				t.Errorf("exit code: got %d, want %d (stderr %q)", r.code, tc.code, r.stderr)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("stdout: got %q, want it to contain %q", r.stdout, s)
				}
			}
			if tc.code != exitOK && r.stdout != "" {
				t.Errorf("stdout: got %q, want nothing on failure", r.stdout)
			}
			checkStderr(t, r.stderr, tc.stderr)
			checkRequests(t, f.requests(), tc.want)
			if secret := strings.TrimSpace(tc.stdin); secret != "" &&
				(strings.Contains(r.stdout, secret) || strings.Contains(r.stderr, secret)) {
				t.Errorf("the password read from stdin shows in the output: %q %q", r.stdout, r.stderr)
			}
		})
	}
}
