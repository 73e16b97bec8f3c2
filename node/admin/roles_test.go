package admin

import (
	"net/http"
	"slices"
	"testing"
)

// roleEnv has a publisher "pub" owning greet 1.0, another publisher "pub2", a subscriber "sub" with the application
// "sub-app", and the admin-owned APIs vault (private) and partners (restricted to publishers).
type roleEnv struct {
	*env
	tokens map[string]string // by role name used in tests: admin, pub, pub2, sub
}

func newRoleEnv(t *testing.T) *roleEnv {
	e := newEnv(t)
	re := &roleEnv{env: e, tokens: map[string]string{
		"admin": testToken, "pub": e.addUser("pub", "publisher"), "pub2": e.addUser("pub2", "publisher"),
		"sub": e.addUser("sub", "subscriber"),
	}}
	rec := e.as(re.tokens["pub"], request{method: "POST", path: "/v1/apis", ctype: "application/yaml",
		body: fixture(t, "greet.yaml")})
	decodeObject(t, rec, http.StatusOK)
	e.deploy("private.yaml", http.StatusOK)
	e.deploy("restricted.yaml", http.StatusOK)
	e.postAs(re.tokens["sub"], "/v1/apps", `{"name":"sub-app"}`, http.StatusCreated)
	return re
}

func TestRoles(t *testing.T) {
	t.Parallel()
	e := newRoleEnv(t)
	if owner := e.store.State().APIs["greet@1.0"].Owner; owner != "pub" {
		t.Fatalf("greet owner: got %q, want pub (the publisher who deployed it first)", owner)
	}
	cases := []struct {
		name, who    string
		method, path string
		ctype, body  string
		status       int
		msg          string
	}{
		{"subscriber cannot deploy", "sub", "POST", "/v1/apis", "application/yaml", "greet.yaml", 403,
			"role subscriber cannot deploy APIs"},
		{"other publisher cannot redeploy", "pub2", "POST", "/v1/apis", "application/yaml", "greet-changed.yaml",
			403, "publisher pub2 does not own API greet"},
		{"publisher cannot take an admin's API", "pub", "POST", "/v1/apis", "application/yaml", "private.yaml",
			403, "publisher pub does not own API vault"},
		{"owner redeploys", "pub", "POST", "/v1/apis", "application/yaml", "greet.yaml", 200, ""},
		{"admin redeploys", "admin", "POST", "/v1/apis", "application/yaml", "greet.yaml", 200, ""},
		{"subscriber cannot delete an API", "sub", "DELETE", "/v1/apis/greet/1.0", "", "", 403,
			"role subscriber cannot delete APIs"},
		{"other publisher cannot delete", "pub2", "DELETE", "/v1/apis/greet/1.0", "", "", 403, "does not own"},
		{"subscriber cannot change the lifecycle", "sub", "POST", "/v1/apis/greet/1.0/lifecycle", "application/json",
			`{"state":"Blocked"}`, 403, "role subscriber cannot change the lifecycle of APIs"},
		{"other publisher cannot change the lifecycle", "pub2", "POST", "/v1/apis/greet/1.0/lifecycle",
			"application/json", `{"state":"Blocked"}`, 403, "publisher pub2 does not own API greet"},
		{"subscriber reads a public API", "sub", "GET", "/v1/apis/greet/1.0", "", "", 200, ""},
		{"subscriber never sees a private API", "sub", "GET", "/v1/apis/vault/1.0", "", "", 404, "not found"},
		{"subscriber outside the restricted roles", "sub", "GET", "/v1/apis/partners/1.0", "", "", 404, "not found"},
		{"publisher reads a private API", "pub2", "GET", "/v1/apis/vault/1.0", "", "", 200, ""},
		{"subscriber cannot list users", "sub", "GET", "/v1/users", "", "", 403, "role subscriber cannot list users"},
		{"publisher cannot list users", "pub", "GET", "/v1/users", "", "", 403, "role publisher cannot list users"},
		{"publisher cannot create users", "pub", "POST", "/v1/users", "application/json",
			`{"name":"x","role":"admin"}`, 403, "role publisher cannot manage users"},
		{"publisher cannot delete users", "pub", "DELETE", "/v1/users/sub", "", "", 403, "cannot manage users"},
		{"subscriber cannot list plugins", "sub", "GET", "/v1/plugins", "", "", 403,
			"role subscriber cannot list plugins"},
		{"publisher lists plugins", "pub", "GET", "/v1/plugins", "", "", 200, ""},
		{"subscriber cannot push plugins", "sub", "PUT", "/v1/plugins/p/1.0.0", "application/wasm", "x", 403,
			"role subscriber cannot push plugins"},
		{"publisher cannot delete plugins", "pub", "DELETE", "/v1/plugins/p/1.0.0", "", "", 403,
			"role publisher cannot delete plugins"},
		{"subscriber lists plans", "sub", "GET", "/v1/plans", "", "", 200, ""},
		{"subscriber cannot create plans", "sub", "POST", "/v1/plans", "application/json",
			`{"name":"Team","rpm":10}`, 403, "role subscriber cannot create plans"},
		{"publisher creates plans", "pub", "POST", "/v1/plans", "application/json", `{"name":"Team","rpm":10}`, 201,
			""},
		{"subscriber cannot read the cluster", "sub", "GET", "/v1/cluster", "", "", 403,
			"role subscriber cannot read the cluster status"},
		{"publisher cannot save snapshots", "pub", "GET", "/v1/snapshot", "", "", 403,
			"role publisher cannot save snapshots"},
		{"publisher cannot join nodes", "pub", "POST", "/v1/cluster/join", "application/json", `{}`, 403,
			"cannot change the cluster"},
		{"subscriber cannot list consumers", "sub", "GET", "/v1/apis/greet/consumers", "", "", 403,
			"role subscriber cannot list the consumers of APIs"},
		{"other publisher cannot list consumers", "pub2", "GET", "/v1/apis/greet/consumers", "", "", 403,
			"publisher pub2 does not own API greet"},
		{"owner lists consumers", "pub", "GET", "/v1/apis/greet/consumers", "", "", 200, ""},
		{"admin lists consumers", "admin", "GET", "/v1/apis/greet/consumers", "", "", 200, ""},
		{"publisher cannot rotate signing keys", "pub", "POST", "/v1/signing-keys/rotate", "", "", 403,
			"role publisher cannot rotate signing keys"},
		{"subscriber cannot list signing keys", "sub", "GET", "/v1/signing-keys", "", "", 403,
			"role subscriber cannot list signing keys"},
		{"subscriber reads the status", "sub", "GET", "/v1/status", "", "", 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := c.body
			if c.ctype == "application/yaml" {
				body = fixture(t, c.body)
			}
			before := e.store.State().Index
			rec := e.as(e.tokens[c.who], request{method: c.method, path: c.path, ctype: c.ctype, body: body})
			if c.status >= 400 {
				wantError(t, rec, c.status, map[int]string{403: "forbidden", 404: "not_found"}[c.status], c.msg)
				if got := e.store.State().Index; got != before {
					t.Errorf("state index: got %d, want %d (nothing applied)", got, before)
				}
				return
			}
			decodeBody(t, rec, c.status, new(any))
		})
	}
	if owner := e.store.State().APIs["greet@1.0"].Owner; owner != "pub" {
		t.Errorf("greet owner after an admin redeploy: got %q, want pub", owner)
	}
	if rev := e.store.State().APIs["greet@1.0"].Revision; rev != 1 {
		t.Errorf("greet revision after identical redeploys: got %d, want 1", rev)
	}
}

func TestAPIListByRole(t *testing.T) {
	t.Parallel()
	e := newRoleEnv(t)
	e.postJSON("/v1/apis/partners/1.0/lifecycle", `{"state":"Blocked"}`, http.StatusOK)
	sub := e.addUser("sub2", "subscriber")
	cases := []struct {
		who  string
		want []string
	}{
		{testToken, []string{"greet", "partners", "vault"}},
		{e.tokens["pub2"], []string{"greet", "partners", "vault"}},
		{e.tokens["sub"], []string{"greet"}},
		{sub, []string{"greet"}},
	}
	for i, c := range cases {
		list := decodeList(t, e.as(c.who, request{method: "GET", path: "/v1/apis"}))
		var names []string
		for _, api := range list {
			names = append(names, api["name"].(string))
		}
		if !slices.Equal(names, c.want) {
			t.Errorf("case %d: APIs listed: got %v, want %v", i, names, c.want)
		}
	}
}

func TestPublisherOwnsNewAPIs(t *testing.T) {
	t.Parallel()
	e := newRoleEnv(t)
	pub := e.tokens["pub"]
	rec := e.as(pub, request{method: "POST", path: "/v1/apis", ctype: "application/yaml",
		body: fixture(t, "greet-v2.yaml")})
	decodeObject(t, rec, http.StatusOK)
	if owner := e.store.State().APIs["greet@2.0"].Owner; owner != "pub" {
		t.Errorf("greet 2.0 owner: got %q, want pub", owner)
	}
	e.deploy("shop.yaml", http.StatusOK)
	if owner := e.store.State().APIs["shop@1.2"].Owner; owner != "" {
		t.Errorf("shop owner (deployed by the bootstrap admin): got %q, want none", owner)
	}
	got := decodeObject(t, e.as(pub, request{method: "POST", path: "/v1/apis/greet/2.0/lifecycle",
		ctype: "application/json", body: `{"state":"Deprecated"}`}), http.StatusOK)
	if got["lifecycle"] != "Deprecated" || got["previous"] != "Published" {
		t.Errorf("owner's lifecycle change: got %v, want Deprecated from Published", got)
	}
	decodeObject(t, e.as(pub, request{method: "DELETE", path: "/v1/apis/greet/2.0"}), http.StatusOK)
	if _, ok := e.store.State().APIs["greet@2.0"]; ok {
		t.Errorf("greet 2.0 still stored after its owner deleted it")
	}
}
