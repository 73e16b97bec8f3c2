package raftstore

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"portico/raftstore/state"
)

// transitionCase applies setup, then cmd, and checks the refusal (code and message) or the result.
type transitionCase struct {
	name     string
	setup    []Command
	cmd      Command
	wantCode string // "" = applied
	wantMsg  string // a refusal's message contains it
	check    func(t *testing.T, st *state.State, res any)
}

func runTransitions(t *testing.T, tests []transitionCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newFSMHarness(t)
			for _, c := range tt.setup {
				h.must(c)
			}
			before := h.f.state()
			res, err := h.apply(tt.cmd)
			if got := applyCode(err); got != tt.wantCode {
				t.Fatalf("got code %q (%v), want %q", got, err, tt.wantCode)
			}
			if tt.wantCode != "" {
				if !strings.Contains(err.Error(), tt.wantMsg) {
					t.Errorf("got message %q, want it to contain %q", err.Error(), tt.wantMsg)
				}
				if h.f.state() != before {
					t.Errorf("got a new state after a refusal, want the state unchanged")
				}
				return
			}
			if tt.check != nil {
				tt.check(t, h.f.state(), res)
			}
		})
	}
}

func putGreet(t *testing.T, edit func(*state.API)) *PutAPI { return &PutAPI{API: testAPI(t, edit)} }

func withLifecycle(l string) func(*state.API) { return func(a *state.API) { a.Lifecycle = l } }

func lifecycleTo(to string) *SetLifecycle {
	return &SetLifecycle{Name: "greet", Version: "1.0", To: to, At: 1800000000000}
}

// productTransitions is the lifecycle table as PRODUCT.md states it.
var productTransitions = []string{
	"Created>Pre-released", "Created>Published", "Pre-released>Published", "Pre-released>Created",
	"Published>Blocked", "Published>Deprecated", "Blocked>Published", "Blocked>Deprecated",
	"Deprecated>Retired", "Blocked>Retired",
}

func TestSetLifecycleEveryPair(t *testing.T) {
	for _, from := range state.Lifecycles {
		for _, to := range state.Lifecycles {
			if from == to {
				continue
			}
			t.Run(from+">"+to, func(t *testing.T) {
				h := newFSMHarness(t)
				h.must(putGreet(t, withLifecycle(from)))
				_, err := h.apply(lifecycleTo(to))
				want := ""
				if !slices.Contains(productTransitions, from+">"+to) {
					want = CodeInvalid
				}
				if got := applyCode(err); got != want {
					t.Errorf("got code %q (%v), want %q", got, err, want)
				}
				// A redeploy changing the lifecycle follows the same table.
				h2 := newFSMHarness(t)
				h2.must(putGreet(t, withLifecycle(from)))
				_, err = h2.apply(putGreet(t, withLifecycle(to)))
				if got := applyCode(err); got != want {
					t.Errorf("redeploy: got code %q (%v), want %q", got, err, want)
				}
			})
		}
	}
}

func TestLifecycleTransitions(t *testing.T) {
	runTransitions(t, []transitionCase{
		{
			name:  "published to blocked",
			setup: []Command{putGreet(t, nil)},
			cmd:   lifecycleTo(state.Blocked),
			check: func(t *testing.T, st *state.State, res any) {
				r := res.(SetLifecycleResult)
				if r.From != state.Published || r.API != st.APIs["greet@1.0"] || r.API.Lifecycle != state.Blocked {
					t.Errorf("got from %q api %+v, want from Published to the stored Blocked api", r.From, r.API)
				}
				if r.API.Revision != 2 || r.API.UpdatedAt != 1800000000000 || r.API.CreatedAt != 1700000000000 {
					t.Errorf("got revision %d updatedAt %d createdAt %d, want 2 1800000000000 1700000000000",
						r.API.Revision, r.API.UpdatedAt, r.API.CreatedAt)
				}
				if revs := st.Revisions["greet@1.0"]; len(revs) != 1 || revs[0].API.Lifecycle != state.Published {
					t.Errorf("got revisions %+v, want the Published revision kept", revs)
				}
			},
		},
		{
			name:  "same state changes nothing",
			setup: []Command{putGreet(t, nil)},
			cmd:   lifecycleTo(state.Published),
			check: func(t *testing.T, st *state.State, res any) {
				r := res.(SetLifecycleResult)
				if r.From != state.Published || r.API.Revision != 1 || len(st.Revisions) != 0 {
					t.Errorf("got from %q revision %d revisions %d, want Published 1 0", r.From, r.API.Revision, len(st.Revisions))
				}
			},
		},
		{
			name:     "refused names the allowed states",
			setup:    []Command{putGreet(t, nil)},
			cmd:      lifecycleTo(state.Created),
			wantCode: CodeInvalid,
			wantMsg:  "lifecycle: cannot move greet 1.0 from Published to Created; allowed from Published: Blocked, Deprecated",
		},
		{
			name:     "nothing allowed from retired",
			setup:    []Command{putGreet(t, withLifecycle(state.Retired))},
			cmd:      lifecycleTo(state.Published),
			wantCode: CodeInvalid,
			wantMsg:  "allowed from Retired: none",
		},
		{name: "unknown state", setup: []Command{putGreet(t, nil)}, cmd: lifecycleTo("Gone"), wantCode: CodeInvalid, wantMsg: `lifecycle: "Gone"`},
		{name: "unknown api", cmd: lifecycleTo(state.Blocked), wantCode: CodeNotFound, wantMsg: "greet@1.0"},
		{
			name:     "redeploy cannot jump back to created",
			setup:    []Command{putGreet(t, nil)},
			cmd:      putGreet(t, withLifecycle(state.Created)),
			wantCode: CodeInvalid,
			wantMsg:  "cannot move greet 1.0 from Published to Created",
		},
		{
			name: "new api in any state",
			cmd:  putGreet(t, withLifecycle(state.Retired)),
			check: func(t *testing.T, st *state.State, _ any) {
				if got := st.APIs["greet@1.0"].Lifecycle; got != state.Retired {
					t.Errorf("got lifecycle %q, want Retired", got)
				}
			},
		},
		{name: "api with unknown lifecycle", cmd: putGreet(t, withLifecycle("Beta")), wantCode: CodeInvalid, wantMsg: "lifecycle"},
	})
}

func TestPutAPISettings(t *testing.T) {
	issuer := func(edit func(*state.ExternalIssuer)) func(*state.API) {
		return func(a *state.API) {
			is := state.ExternalIssuer{Issuer: "https://idp.example", JWKSURL: "https://idp.example/jwks", Algorithms: []string{"RS256"}}
			if edit != nil {
				edit(&is)
			}
			a.OAuth2 = &state.OAuth2Settings{Issuers: []state.ExternalIssuer{is}}
		}
	}
	runTransitions(t, []transitionCase{
		{
			name: "every setting",
			cmd: putGreet(t, func(a *state.API) {
				a.Visibility, a.VisibleRoles = state.VisibilityRestricted, []string{state.RolePublisher}
				a.AccessMode, a.Owner = state.AccessInternal, "pub"
				a.Business, a.Technical = state.Contact{Name: "B", Email: "b@x"}, state.Contact{Name: "T"}
				a.ScopeRoles = map[string][]string{"write": {state.RoleAdmin}}
				issuer(nil)(a)
			}),
			check: func(t *testing.T, st *state.State, _ any) {
				a := st.APIs["greet@1.0"]
				if a.AccessMode != state.AccessInternal || a.Business.Email != "b@x" || a.OAuth2.Issuers[0].JWKSURL == "" {
					t.Errorf("got %+v, want the settings stored", a)
				}
			},
		},
		{name: "bad visibility", cmd: putGreet(t, func(a *state.API) { a.Visibility = "secret" }), wantCode: CodeInvalid, wantMsg: "visibility"},
		{name: "bad visible role", cmd: putGreet(t, func(a *state.API) { a.VisibleRoles = []string{"root"} }), wantCode: CodeInvalid, wantMsg: "visibleRoles"},
		{name: "bad access mode", cmd: putGreet(t, func(a *state.API) { a.AccessMode = "hidden" }), wantCode: CodeInvalid, wantMsg: "accessMode"},
		{name: "bad scope role", cmd: putGreet(t, func(a *state.API) { a.ScopeRoles = map[string][]string{"w": {"x"}} }), wantCode: CodeInvalid, wantMsg: `scopeRoles["w"]`},
		{name: "issuer without name", cmd: putGreet(t, issuer(func(i *state.ExternalIssuer) { i.Issuer = "" })), wantCode: CodeInvalid, wantMsg: "oauth2.issuers[0].issuer"},
		{name: "jwks url not http", cmd: putGreet(t, issuer(func(i *state.ExternalIssuer) { i.JWKSURL = "file:///etc/keys" })), wantCode: CodeInvalid, wantMsg: "jwksUrl"},
		{name: "symmetric algorithm", cmd: putGreet(t, issuer(func(i *state.ExternalIssuer) { i.Algorithms = []string{"HS256"} })), wantCode: CodeInvalid, wantMsg: `"HS256"`},
		{name: "none algorithm", cmd: putGreet(t, issuer(func(i *state.ExternalIssuer) { i.Algorithms = []string{"none"} })), wantCode: CodeInvalid, wantMsg: "algorithms"},
	})
}

func TestDocumentTransitions(t *testing.T) {
	doc := func(name, body string) *PutDocument {
		return &PutDocument{API: "greet@1.0", Doc: state.Document{Name: name, Body: body, UpdatedAt: 1800000000000}}
	}
	runTransitions(t, []transitionCase{
		{
			name:  "put document",
			setup: []Command{putGreet(t, nil)},
			cmd:   doc("guide", "# Guide"),
			check: func(t *testing.T, st *state.State, res any) {
				if d, ok := st.Document("greet@1.0", "guide"); !ok || d != res.(PutDocumentResult).Doc || d.Body != "# Guide" {
					t.Errorf("got %+v %v, want the stored guide", d, ok)
				}
			},
		},
		{
			name:  "replace document",
			setup: []Command{putGreet(t, nil), doc("guide", "v1"), doc("faq", "q")},
			cmd:   doc("guide", "v2"),
			check: func(t *testing.T, st *state.State, _ any) {
				if got := st.Documents["greet@1.0"]; len(got) != 2 || got["guide"].Body != "v2" {
					t.Errorf("got documents %v, want guide v2 and faq", got)
				}
			},
		},
		{name: "document of a missing api", cmd: doc("guide", "x"), wantCode: CodeNotFound, wantMsg: "greet@1.0"},
		{name: "document name with a slash", setup: []Command{putGreet(t, nil)}, cmd: doc("../etc", "x"), wantCode: CodeInvalid, wantMsg: "document name"},
		{
			name:  "delete document",
			setup: []Command{putGreet(t, nil), doc("guide", "v1"), doc("faq", "q")},
			cmd:   &DeleteDocument{API: "greet@1.0", Name: "guide"},
			check: func(t *testing.T, st *state.State, _ any) {
				if got := st.Documents["greet@1.0"]; len(got) != 1 || got["faq"] == nil {
					t.Errorf("got documents %v, want only faq", got)
				}
			},
		},
		{
			name:  "delete last document drops the api entry",
			setup: []Command{putGreet(t, nil), doc("guide", "v1")},
			cmd:   &DeleteDocument{API: "greet@1.0", Name: "guide"},
			check: func(t *testing.T, st *state.State, _ any) {
				if _, ok := st.Documents["greet@1.0"]; ok {
					t.Errorf("got an entry for greet@1.0, want none")
				}
			},
		},
		{name: "delete absent document", setup: []Command{putGreet(t, nil)}, cmd: &DeleteDocument{API: "greet@1.0", Name: "guide"}, wantCode: CodeNotFound, wantMsg: `"guide"`},
		{
			name:  "delete api drops its documents",
			setup: []Command{putGreet(t, nil), doc("guide", "v1")},
			cmd:   &DeleteAPI{Name: "greet", Version: "1.0"},
			check: func(t *testing.T, st *state.State, _ any) {
				if len(st.Documents) != 0 {
					t.Errorf("got documents %v, want none", st.Documents)
				}
			},
		},
	})
}

func adminToken(id, user string) *CreateAdminToken {
	return &CreateAdminToken{Token: state.AdminToken{ID: id, Name: id, Role: state.RoleAdmin, Hash: []byte{9}, User: user, ExpiresAt: 1900000000000}}
}

func TestUserTransitions(t *testing.T) {
	ownedBy := func(id, name, owner string) *CreateApp {
		c := testApp(id, name)
		c.App.Owner = owner
		return c
	}
	runTransitions(t, []transitionCase{
		{
			name: "create user",
			cmd:  testUser("alice", state.RoleSubscriber),
			check: func(t *testing.T, st *state.State, res any) {
				if u := res.(CreateUserResult).User; u != st.Users["alice"] || u.Iterations != 600000 {
					t.Errorf("got %+v, want the stored alice", u)
				}
			},
		},
		{name: "duplicate user", setup: []Command{testUser("alice", state.RoleSubscriber)}, cmd: testUser("alice", state.RoleAdmin), wantCode: CodeConflict, wantMsg: `"alice"`},
		{
			name: "a new admin token drops expired ones",
			setup: []Command{testUser("alice", state.RoleSubscriber),
				&CreateAdminToken{Token: state.AdminToken{ID: "old", User: "alice", Hash: []byte{1}, CreatedAt: 1000, ExpiresAt: 2000}},
				&CreateAdminToken{Token: state.AdminToken{ID: "live", User: "alice", Hash: []byte{2}, CreatedAt: 1000, ExpiresAt: 9000}},
				&CreateAdminToken{Token: state.AdminToken{ID: "forever", User: "alice", Hash: []byte{3}, CreatedAt: 1000}}},
			cmd: &CreateAdminToken{Token: state.AdminToken{ID: "new", User: "alice", Hash: []byte{4}, CreatedAt: 5000, ExpiresAt: 9000}},
			check: func(t *testing.T, st *state.State, _ any) {
				for id, want := range map[string]bool{"old": false, "live": true, "forever": true, "new": true} {
					if _, got := st.AdminTokens[id]; got != want {
						t.Errorf("token %s present: got %v, want %v", id, got, want)
					}
				}
			},
		},
		{name: "bad user name", cmd: testUser("Alice!", state.RoleSubscriber), wantCode: CodeInvalid, wantMsg: "user name"},
		{name: "bad role", cmd: testUser("alice", "root"), wantCode: CodeInvalid, wantMsg: `role: "root"`},
		{
			name:     "hash without salt",
			cmd:      &CreateUser{User: state.User{Name: "alice", Role: state.RoleAdmin, PasswordHash: []byte{1}, Iterations: 1}},
			wantCode: CodeInvalid, wantMsg: "password",
		},
		{
			name: "user without password",
			cmd:  &CreateUser{User: state.User{Name: "svc", Role: state.RolePublisher}},
			check: func(t *testing.T, st *state.State, _ any) {
				if st.Users["svc"] == nil || st.Users["svc"].PasswordHash != nil {
					t.Errorf("got %+v, want svc without password", st.Users["svc"])
				}
			},
		},
		{
			name: "delete user drops their tokens and shares",
			setup: []Command{testUser("alice", state.RoleSubscriber), testUser("bob", state.RoleSubscriber),
				adminToken("t1", "alice"), adminToken("t2", "bob"), adminToken("boot", ""),
				ownedBy("app1", "shop", "bob"), &ShareApp{AppID: "app1", Users: []string{"alice"}}},
			cmd: &DeleteUser{Name: "alice"},
			check: func(t *testing.T, st *state.State, _ any) {
				if st.Users["alice"] != nil || st.AdminTokens["t1"] != nil || st.AdminTokens["t2"] == nil || st.AdminTokens["boot"] == nil {
					t.Errorf("got users %v tokens %v, want alice and t1 gone, t2 and boot kept", st.Users, st.AdminTokens)
				}
				if got := st.Apps["app1"].SharedWith; got != nil {
					t.Errorf("got shared with %v, want nobody", got)
				}
			},
		},
		{
			name:     "delete user who owns applications",
			setup:    []Command{testUser("bob", state.RoleSubscriber), ownedBy("app1", "shop", "bob"), ownedBy("app2", "blog", "bob")},
			cmd:      &DeleteUser{Name: "bob"},
			wantCode: CodeConflict, wantMsg: "owns applications blog, shop",
		},
		{
			name:     "delete the last admin",
			setup:    []Command{testUser("root", state.RoleAdmin), testUser("bob", state.RoleSubscriber), adminToken("t1", "root")},
			cmd:      &DeleteUser{Name: "root"},
			wantCode: CodeConflict, wantMsg: "last admin",
		},
		{
			name:  "delete an admin while a bootstrap token exists",
			setup: []Command{testUser("root", state.RoleAdmin), adminToken("boot", "")},
			cmd:   &DeleteUser{Name: "root"},
		},
		{
			name:  "delete an admin while another admin exists",
			setup: []Command{testUser("root", state.RoleAdmin), testUser("ops", state.RoleAdmin)},
			cmd:   &DeleteUser{Name: "root"},
		},
		{name: "delete absent user", cmd: &DeleteUser{Name: "alice"}, wantCode: CodeNotFound, wantMsg: `"alice"`},
		{
			name:  "set password",
			setup: []Command{testUser("alice", state.RoleSubscriber)},
			cmd:   &SetPassword{Name: "alice", Hash: []byte{7, 7}, Salt: []byte{8}, Iterations: 700000},
			check: func(t *testing.T, st *state.State, res any) {
				u := st.Users["alice"]
				if !res.(UpdateResult).Changed || string(u.PasswordHash) != "\x07\x07" || u.Iterations != 700000 || u.Role != state.RoleSubscriber {
					t.Errorf("got %+v %+v, want changed with the new hash and the role kept", res, u)
				}
			},
		},
		{
			name:  "set the same password",
			setup: []Command{testUser("alice", state.RoleSubscriber)},
			cmd:   &SetPassword{Name: "alice", Hash: []byte{1}, Salt: []byte{2}, Iterations: 600000},
			check: func(t *testing.T, _ *state.State, res any) {
				if res.(UpdateResult).Changed {
					t.Errorf("got changed, want unchanged")
				}
			},
		},
		{name: "set password of absent user", cmd: &SetPassword{Name: "alice", Hash: []byte{1}, Salt: []byte{1}, Iterations: 1}, wantCode: CodeNotFound, wantMsg: `"alice"`},
		{name: "set password without iterations", setup: []Command{testUser("alice", state.RoleSubscriber)}, cmd: &SetPassword{Name: "alice", Hash: []byte{1}, Salt: []byte{1}}, wantCode: CodeInvalid, wantMsg: "password"},
		{
			name:  "admin token of a user",
			setup: []Command{testUser("alice", state.RolePublisher)},
			cmd:   adminToken("t1", "alice"),
			check: func(t *testing.T, st *state.State, _ any) {
				if tok := st.AdminTokens["t1"]; tok.User != "alice" || tok.ExpiresAt != 1900000000000 {
					t.Errorf("got %+v, want alice's token expiring at 1900000000000", tok)
				}
			},
		},
		{name: "admin token of a missing user", cmd: adminToken("t1", "alice"), wantCode: CodeNotFound, wantMsg: `user "alice"`},
		{name: "admin token with a bad role", cmd: &CreateAdminToken{Token: state.AdminToken{ID: "t1", Role: "root"}}, wantCode: CodeInvalid, wantMsg: "role"},
		{
			name:  "delete admin token",
			setup: []Command{adminToken("t1", ""), adminToken("t2", "")},
			cmd:   &DeleteAdminToken{ID: "t1"},
			check: func(t *testing.T, st *state.State, _ any) {
				if st.AdminTokens["t1"] != nil || st.AdminTokens["t2"] == nil {
					t.Errorf("got tokens %v, want only t2", st.AdminTokens)
				}
			},
		},
		{name: "delete absent admin token", cmd: &DeleteAdminToken{ID: "t1"}, wantCode: CodeNotFound, wantMsg: `"t1"`},
	})
}

func TestShareAppTransitions(t *testing.T) {
	base := []Command{testApp("app1", "shop"), testUser("alice", state.RoleSubscriber), testUser("bob", state.RoleSubscriber)}
	runTransitions(t, []transitionCase{
		{
			name:  "share sorted without duplicates",
			setup: base,
			cmd:   &ShareApp{AppID: "app1", Users: []string{"bob", "alice", "bob"}},
			check: func(t *testing.T, st *state.State, res any) {
				if got := st.Apps["app1"].SharedWith; !slices.Equal(got, []string{"alice", "bob"}) || !res.(UpdateResult).Changed {
					t.Errorf("got %v %+v, want [alice bob] changed", got, res)
				}
			},
		},
		{
			name:  "same list changes nothing",
			setup: append(slices.Clone(base), &ShareApp{AppID: "app1", Users: []string{"alice"}}),
			cmd:   &ShareApp{AppID: "app1", Users: []string{"alice"}},
			check: func(t *testing.T, _ *state.State, res any) {
				if res.(UpdateResult).Changed {
					t.Errorf("got changed, want unchanged")
				}
			},
		},
		{
			name:  "empty list unshares",
			setup: append(slices.Clone(base), &ShareApp{AppID: "app1", Users: []string{"alice"}}),
			cmd:   &ShareApp{AppID: "app1"},
			check: func(t *testing.T, st *state.State, _ any) {
				if got := st.Apps["app1"].SharedWith; got != nil {
					t.Errorf("got %v, want nil", got)
				}
			},
		},
		{name: "share with the owner", setup: append(slices.Clone(base), testUser("team-a", state.RoleSubscriber)), cmd: &ShareApp{AppID: "app1", Users: []string{"team-a"}}, wantCode: CodeInvalid, wantMsg: `"team-a" owns application "shop"`},
		{name: "share with a missing user", setup: base, cmd: &ShareApp{AppID: "app1", Users: []string{"carol"}}, wantCode: CodeNotFound, wantMsg: `user "carol"`},
		{name: "share a missing app", setup: base, cmd: &ShareApp{AppID: "nope", Users: []string{"alice"}}, wantCode: CodeNotFound, wantMsg: `"nope"`},
	})
}

func setCred(app string, edit func(*state.ClientCredential)) *SetCredentials {
	c := testCred(testClientID(1), state.Production)
	if edit != nil {
		edit(&c)
	}
	return &SetCredentials{AppID: app, Cred: c}
}

func TestCredentialTransitions(t *testing.T) {
	base := []Command{testApp("app1", "shop"), testApp("app2", "blog")}
	withBase := func(cs ...Command) []Command { return append(slices.Clone(base), cs...) }
	runTransitions(t, []transitionCase{
		{
			name:  "create with default lifetimes",
			setup: base,
			cmd:   setCred("app1", nil),
			check: func(t *testing.T, st *state.State, res any) {
				cred := res.(SetCredentialsResult).Cred
				if cred.AccessTTL != 900 || cred.RefreshTTL != 86400 {
					t.Errorf("got ttls %d %d, want 900 86400", cred.AccessTTL, cred.RefreshTTL)
				}
				app, stored, ok := st.ClientByID(testClientID(1))
				if !ok || app.ID != "app1" || stored != st.Apps["app1"].Credentials[state.Production] || stored.AccessTTL != 900 {
					t.Errorf("got %v %+v %v, want app1's production credential", app, stored, ok)
				}
			},
		},
		{
			name:  "regenerated secret keeps the client id",
			setup: withBase(setCred("app1", nil)),
			cmd:   setCred("app1", func(c *state.ClientCredential) { c.SecretHash = []byte{9, 9} }),
			check: func(t *testing.T, st *state.State, _ any) {
				_, cred, ok := st.ClientByID(testClientID(1))
				if !ok || string(cred.SecretHash) != "\x09\x09" || len(st.ClientIndex) != 1 {
					t.Errorf("got %+v %v index %v, want the new secret under the same id", cred, ok, st.ClientIndex)
				}
			},
		},
		{
			name:  "sandbox beside production",
			setup: withBase(setCred("app1", nil)),
			cmd: setCred("app1", func(c *state.ClientCredential) {
				c.ClientID, c.Env, c.Public, c.SecretHash = testClientID(2), state.Sandbox, true, nil
				c.GrantTypes, c.RedirectURIs, c.PKCERequired = []string{state.GrantAuthorizationCode}, []string{"https://app/cb"}, true
			}),
			check: func(t *testing.T, st *state.State, _ any) {
				if got := len(st.Apps["app1"].Credentials); got != 2 || st.ClientIndex[testClientID(2)] != "app1" {
					t.Errorf("got %d credentials index %v, want 2 with the sandbox client indexed", got, st.ClientIndex)
				}
			},
		},
		{name: "another client id for the same env", setup: withBase(setCred("app1", nil)), cmd: setCred("app1", func(c *state.ClientCredential) { c.ClientID = testClientID(2) }), wantCode: CodeConflict, wantMsg: "production client id"},
		{name: "client id of another app", setup: withBase(setCred("app1", nil)), cmd: setCred("app2", nil), wantCode: CodeConflict, wantMsg: "another application"},
		{name: "client id of another env", setup: withBase(setCred("app1", nil)), cmd: setCred("app1", func(c *state.ClientCredential) { c.Env = state.Sandbox }), wantCode: CodeConflict, wantMsg: "production client"},
		{name: "missing app", cmd: setCred("app1", nil), wantCode: CodeNotFound, wantMsg: `"app1"`},
		{name: "bad client id", setup: base, cmd: setCred("app1", func(c *state.ClientCredential) { c.ClientID = "cl_XYZ" }), wantCode: CodeInvalid, wantMsg: "client id"},
		{name: "bad env", setup: base, cmd: setCred("app1", func(c *state.ClientCredential) { c.Env = "staging" }), wantCode: CodeInvalid, wantMsg: `env: "staging"`},
		{name: "public client with a secret", setup: base, cmd: setCred("app1", func(c *state.ClientCredential) { c.Public = true }), wantCode: CodeInvalid, wantMsg: "public client has no secret"},
		{name: "confidential client without secret", setup: base, cmd: setCred("app1", func(c *state.ClientCredential) { c.SecretHash = nil }), wantCode: CodeInvalid, wantMsg: "needs a secret"},
		{name: "public client credentials grant", setup: base, cmd: setCred("app1", func(c *state.ClientCredential) { c.Public, c.SecretHash = true, nil }), wantCode: CodeInvalid, wantMsg: "cannot use client_credentials"},
		{name: "no grant", setup: base, cmd: setCred("app1", func(c *state.ClientCredential) { c.GrantTypes = nil }), wantCode: CodeInvalid, wantMsg: "grant types"},
		{name: "unknown grant", setup: base, cmd: setCred("app1", func(c *state.ClientCredential) { c.GrantTypes = []string{"implicit"} }), wantCode: CodeInvalid, wantMsg: `"implicit"`},
		{name: "code grant without redirect", setup: base, cmd: setCred("app1", func(c *state.ClientCredential) { c.GrantTypes = []string{state.GrantAuthorizationCode} }), wantCode: CodeInvalid, wantMsg: "redirect uris"},
		{name: "relative redirect", setup: base, cmd: setCred("app1", func(c *state.ClientCredential) {
			c.GrantTypes, c.RedirectURIs = []string{state.GrantAuthorizationCode}, []string{"/cb"}
		}), wantCode: CodeInvalid, wantMsg: `"/cb"`},
		{name: "access ttl beyond the token lifetime", setup: base, cmd: setCred("app1", func(c *state.ClientCredential) { c.AccessTTL = 86401 }), wantCode: CodeInvalid, wantMsg: "access ttl"},
		{name: "negative refresh ttl", setup: base, cmd: setCred("app1", func(c *state.ClientCredential) { c.RefreshTTL = -1 }), wantCode: CodeInvalid, wantMsg: "refresh ttl"},
		{
			name:  "delete app drops its clients",
			setup: withBase(setCred("app1", nil), setCred("app2", func(c *state.ClientCredential) { c.ClientID = testClientID(2) })),
			cmd:   &DeleteApp{ID: "app1"},
			check: func(t *testing.T, st *state.State, _ any) {
				if _, _, ok := st.ClientByID(testClientID(1)); ok || len(st.ClientIndex) != 1 || st.ClientIndex[testClientID(2)] != "app2" {
					t.Errorf("got index %v, want only app2's client", st.ClientIndex)
				}
			},
		},
	})
}

func newSub(id, app, api string, major int, plan string) *CreateSubscription {
	return &CreateSubscription{Sub: state.Subscription{ID: id, AppID: app, API: api, Major: major, Plan: plan, CreatedAt: 1700000000000}}
}

func TestSubscriptionTransitions(t *testing.T) {
	base := func(l string) []Command {
		return []Command{putGreet(t, withLifecycle(l)), testApp("app1", "shop"), testApp("app2", "blog")}
	}
	published := base(state.Published)
	with := func(cs ...Command) []Command { return append(slices.Clone(published), cs...) }
	tests := []transitionCase{
		{
			name:  "subscribe",
			setup: published,
			cmd:   newSub("s1", "app1", "greet", 1, "Gold"),
			check: func(t *testing.T, st *state.State, res any) {
				sub := res.(CreateSubscriptionResult).Sub
				if got, ok := st.Subscription("app1", "greet", 1); !ok || got != sub || sub.Status != state.SubActive {
					t.Errorf("got %+v %v, want the stored active subscription", got, ok)
				}
			},
		},
		{name: "pre-released accepts", setup: base(state.PreReleased), cmd: newSub("s1", "app1", "greet", 1, "Gold")},
		{name: "custom plan", setup: with(&CreatePlan{Plan: state.Plan{Name: "Platinum", RPM: 9000}}), cmd: newSub("s1", "app1", "greet", 1, "Platinum")},
		{
			name: "one published minor suffices",
			setup: append(base(state.Deprecated), putGreet(t, func(a *state.API) {
				a.Version, a.Minor = "1.1", 1
			})),
			cmd: newSub("s1", "app1", "greet", 1, "Gold"),
		},
		{name: "missing api", setup: published, cmd: newSub("s1", "app1", "greet", 2, "Gold"), wantCode: CodeNotFound, wantMsg: "greet v2"},
		{name: "missing app", setup: published, cmd: newSub("s1", "nope", "greet", 1, "Gold"), wantCode: CodeNotFound, wantMsg: `"nope"`},
		{name: "unknown plan", setup: published, cmd: newSub("s1", "app1", "greet", 1, "gold"), wantCode: CodeInvalid, wantMsg: `plan: "gold" is not one of Bronze, Silver, Gold, Unlimited, 10KPerMin, 20KPerMin, 50KPerMin`},
		{name: "already subscribed", setup: with(newSub("s1", "app1", "greet", 1, "Gold")), cmd: newSub("s2", "app1", "greet", 1, "Bronze"), wantCode: CodeConflict, wantMsg: "subscription s1"},
		{name: "duplicate id", setup: with(newSub("s1", "app1", "greet", 1, "Gold")), cmd: newSub("s1", "app2", "greet", 1, "Gold"), wantCode: CodeConflict, wantMsg: `"s1" exists`},
		{name: "bad status", setup: published, cmd: &CreateSubscription{Sub: state.Subscription{ID: "s1", AppID: "app1", API: "greet", Major: 1, Plan: "Gold", Status: "paused"}}, wantCode: CodeInvalid, wantMsg: `status: "paused"`},
		{
			name:     "key creates its subscription under the same rules",
			setup:    base(state.Deprecated),
			cmd:      testKey("k1", "app1", testSub("s1", "app1")),
			wantCode: CodeInvalid, wantMsg: "1.0 is Deprecated",
		},
		{name: "key subscription with an unknown plan", setup: published, cmd: testKey("k1", "app1", &state.Subscription{ID: "s1", AppID: "app1", API: "greet", Major: 1, Plan: "Tin"}), wantCode: CodeInvalid, wantMsg: `plan: "Tin"`},
		{
			name:  "key reuses an existing subscription of a deprecated api",
			setup: with(newSub("s1", "app1", "greet", 1, "Gold"), lifecycleTo(state.Deprecated)),
			cmd:   testKey("k1", "app1", testSub("s2", "app1")),
			check: func(t *testing.T, _ *state.State, res any) {
				if sub := res.(CreateKeyResult).Subscription; sub == nil || sub.ID != "s1" {
					t.Errorf("got %+v, want s1", sub)
				}
			},
		},
		{
			name:  "block",
			setup: with(newSub("s1", "app1", "greet", 1, "Gold")),
			cmd:   &SetSubscriptionStatus{ID: "s1", Status: state.SubBlocked},
			check: func(t *testing.T, st *state.State, res any) {
				if st.Subscriptions["s1"].Status != state.SubBlocked || !res.(UpdateResult).Changed {
					t.Errorf("got %+v %+v, want blocked and changed", st.Subscriptions["s1"], res)
				}
			},
		},
		{
			name:  "unblock twice",
			setup: with(newSub("s1", "app1", "greet", 1, "Gold")),
			cmd:   &SetSubscriptionStatus{ID: "s1", Status: state.SubActive},
			check: func(t *testing.T, _ *state.State, res any) {
				if res.(UpdateResult).Changed {
					t.Errorf("got changed, want unchanged")
				}
			},
		},
		{name: "bad status change", setup: with(newSub("s1", "app1", "greet", 1, "Gold")), cmd: &SetSubscriptionStatus{ID: "s1", Status: "off"}, wantCode: CodeInvalid, wantMsg: `"off"`},
		{name: "status of a missing subscription", cmd: &SetSubscriptionStatus{ID: "s1", Status: state.SubBlocked}, wantCode: CodeNotFound, wantMsg: `"s1"`},
		{
			name: "delete drops the app's keys for that major only",
			setup: with(putGreet(t, func(a *state.API) { a.Version, a.Major = "2.0", 2 }),
				testKey("k1", "app1", testSub("s1", "app1")), testKey("k2", "app1", nil),
				testKey("k3", "app2", testSub("s3", "app2")),
				&CreateKey{Key: state.APIKey{ID: "k4", AppID: "app1", API: "greet", Major: 2, Hash: []byte{1}},
					Subscription: &state.Subscription{ID: "s4", AppID: "app1", API: "greet", Major: 2, Plan: "Gold"}}),
			cmd: &DeleteSubscription{ID: "s1"},
			check: func(t *testing.T, st *state.State, _ any) {
				keys := slices.Sorted(func(yield func(string) bool) {
					for k := range st.Keys {
						if !yield(k) {
							return
						}
					}
				})
				if !slices.Equal(keys, []string{"k3", "k4"}) || len(st.Subscriptions) != 2 || len(st.SubIndex) != 2 {
					t.Errorf("got keys %v subs %d index %d, want [k3 k4] 2 2", keys, len(st.Subscriptions), len(st.SubIndex))
				}
				if _, ok := st.Subscription("app1", "greet", 1); ok {
					t.Errorf("got app1 still subscribed to greet v1, want not")
				}
			},
		},
		{name: "delete a missing subscription", cmd: &DeleteSubscription{ID: "s1"}, wantCode: CodeNotFound, wantMsg: `"s1"`},
	}
	for _, l := range []string{state.Created, state.Blocked, state.Deprecated, state.Retired} {
		tests = append(tests, transitionCase{
			name: "refused when " + l, setup: base(l), cmd: newSub("s1", "app1", "greet", 1, "Gold"),
			wantCode: CodeInvalid, wantMsg: "1.0 is " + l,
		})
	}
	runTransitions(t, tests)
}

func regen(id, newID string, grace int64) *RegenerateKey {
	return &RegenerateKey{ID: id, New: state.APIKey{ID: newID, Hash: []byte{4, 4}, CreatedAt: 1800000000000}, GraceUntil: grace}
}

func TestRegenerateKeyTransitions(t *testing.T) {
	named := testKey("k1", "app1", nil)
	named.Key.Name, named.Key.Env = "ci", state.Sandbox
	base := []Command{testApp("app1", "shop"), named}
	expiring := testKey("k1", "app1", nil)
	expiring.Key.ExpiresAt = 1800000001000
	runTransitions(t, []transitionCase{
		{
			name:  "regenerate",
			setup: base,
			cmd:   regen("k1", "k2", 1800003600000),
			check: func(t *testing.T, st *state.State, res any) {
				r := res.(RegenerateKeyResult)
				k := st.Keys["k2"]
				if r.Key != k || k.AppID != "app1" || k.API != "greet" || k.Major != 1 || k.Env != state.Sandbox || k.Name != "ci" || k.ExpiresAt != 0 {
					t.Errorf("got new key %+v, want app1 greet v1 sandbox ci without expiry", k)
				}
				if r.Old != st.Keys["k1"] || r.Old.ExpiresAt != 1800003600000 || string(r.Old.Hash) != "\x01\x02\x03" {
					t.Errorf("got old key %+v, want k1 expiring at 1800003600000", r.Old)
				}
			},
		},
		{
			name:  "old key keeps an earlier expiry",
			setup: []Command{testApp("app1", "shop"), expiring},
			cmd:   regen("k1", "k2", 1800003600000),
			check: func(t *testing.T, st *state.State, _ any) {
				if got := st.Keys["k1"].ExpiresAt; got != 1800000001000 {
					t.Errorf("got expiry %d, want 1800000001000", got)
				}
			},
		},
		{name: "missing key", setup: base, cmd: regen("k9", "k2", 1), wantCode: CodeNotFound, wantMsg: `"k9"`},
		{name: "new id taken", setup: base, cmd: regen("k1", "k1", 1), wantCode: CodeConflict, wantMsg: `"k1" exists`},
		{name: "no grace", setup: base, cmd: regen("k1", "k2", 0), wantCode: CodeInvalid, wantMsg: "grace"},
		{name: "no hash", setup: base, cmd: &RegenerateKey{ID: "k1", New: state.APIKey{ID: "k2"}, GraceUntil: 1}, wantCode: CodeInvalid, wantMsg: "hash"},
	})
}

func TestPlanTransitions(t *testing.T) {
	plan := func(name string, rpm, burst int64) *CreatePlan {
		return &CreatePlan{Plan: state.Plan{Name: name, RPM: rpm, Burst: burst, BuiltIn: true}}
	}
	runTransitions(t, []transitionCase{
		{
			name: "create",
			cmd:  plan("Platinum", 9000, 50),
			check: func(t *testing.T, st *state.State, res any) {
				p, ok := st.Plan("Platinum")
				if !ok || p.RPM != 9000 || p.Burst != 50 || p.BuiltIn || res.(CreatePlanResult).Plan != st.Plans["Platinum"] {
					t.Errorf("got %+v %v, want the custom Platinum plan, not built-in", p, ok)
				}
				if got := st.PlanNames(); len(got) != 8 || got[7] != "Platinum" {
					t.Errorf("got plan names %v, want the built-in ones then Platinum", got)
				}
			},
		},
		{name: "built-in name", cmd: plan("gold", 10, 0), wantCode: CodeInvalid, wantMsg: "built-in"},
		{name: "zero rpm", cmd: plan("Tin", 0, 0), wantCode: CodeInvalid, wantMsg: "rpm"},
		{name: "negative burst", cmd: plan("Tin", 10, -1), wantCode: CodeInvalid, wantMsg: "burst"},
		{name: "bad name", cmd: plan("a b", 10, 0), wantCode: CodeInvalid, wantMsg: "plan name"},
		{name: "duplicate", setup: []Command{plan("Tin", 10, 0)}, cmd: plan("Tin", 20, 0), wantCode: CodeConflict, wantMsg: `"Tin" exists`},
	})
}

func TestSigningKeyTransitions(t *testing.T) {
	const day = MaxTokenLifetime
	add := func(n int, at int64) *AddSigningKey { return &AddSigningKey{Key: testSigningKey(t, testKID(n), at)} }
	bad := func(edit func(*state.SigningKey)) *AddSigningKey {
		c := add(9, 1000)
		edit(&c.Key)
		return c
	}
	runTransitions(t, []transitionCase{
		{
			name: "first key is current",
			cmd:  add(1, 1000),
			check: func(t *testing.T, st *state.State, res any) {
				cur, ok := st.CurrentSigningKey()
				if !ok || cur.KID != testKID(1) || res.(AddSigningKeyResult).Key != cur {
					t.Errorf("got %+v %v, want key 1 current", cur, ok)
				}
			},
		},
		{
			name:  "new key retires the current one",
			setup: []Command{add(1, 1000)},
			cmd:   add(2, 5000),
			check: func(t *testing.T, st *state.State, _ any) {
				cur, _ := st.CurrentSigningKey()
				if cur.KID != testKID(2) || st.SigningKeys[testKID(1)].RetiredAt != 5000 {
					t.Errorf("got current %s, key 1 retired at %d; want key 2 and 5000", cur.KID, st.SigningKeys[testKID(1)].RetiredAt)
				}
			},
		},
		{
			name:  "keys retired longer than the token lifetime are dropped",
			setup: []Command{add(1, 1000), add(2, 5000), add(3, 6000)},
			cmd:   add(4, 5000+day+1), // key 1 retired at 5000: dropped; key 2 retired at 6000: kept
			check: func(t *testing.T, st *state.State, res any) {
				if got := res.(AddSigningKeyResult).Dropped; !slices.Equal(got, []string{testKID(1)}) {
					t.Errorf("got dropped %v, want key 1", got)
				}
				if len(st.SigningKeys) != 3 || st.SigningKeys[testKID(2)] == nil || st.SigningKeys[testKID(3)].RetiredAt != 5000+day+1 {
					t.Errorf("got keys %v, want keys 2, 3 (retired now) and 4", st.SigningKeys)
				}
			},
		},
		{
			name:  "a key retired exactly the token lifetime ago is kept",
			setup: []Command{add(1, 1000), add(2, 5000)},
			cmd:   add(3, 5000+day),
			check: func(t *testing.T, st *state.State, _ any) {
				if len(st.SigningKeys) != 3 {
					t.Errorf("got %d keys, want 3", len(st.SigningKeys))
				}
			},
		},
		{name: "duplicate kid", setup: []Command{add(1, 1000)}, cmd: add(1, 2000), wantCode: CodeConflict, wantMsg: testKID(1)},
		{name: "bad kid", cmd: bad(func(k *state.SigningKey) { k.KID = "../../etc" }), wantCode: CodeInvalid, wantMsg: "kid"},
		{name: "other algorithm", cmd: bad(func(k *state.SigningKey) { k.Alg = "HS256" }), wantCode: CodeInvalid, wantMsg: `"HS256"`},
		{name: "garbage public key", cmd: bad(func(k *state.SigningKey) { k.Public = []byte("pem?") }), wantCode: CodeInvalid, wantMsg: "public key"},
		{name: "no sealed key", cmd: bad(func(k *state.SigningKey) { k.Sealed = nil }), wantCode: CodeInvalid, wantMsg: "sealed"},
		{name: "no creation time", cmd: bad(func(k *state.SigningKey) { k.CreatedAt = 0 }), wantCode: CodeInvalid, wantMsg: "created at"},
	})
}

func TestRevokeTokensTransitions(t *testing.T) {
	revoke := func(nowMS int64, toks ...RevokedToken) *RevokeTokens { return &RevokeTokens{Tokens: toks, Now: nowMS} }
	runTransitions(t, []transitionCase{
		{
			name: "revoke",
			cmd:  revoke(1000_000, RevokedToken{"a", 2000}, RevokedToken{"b", 3000}, RevokedToken{"a", 2500}),
			check: func(t *testing.T, st *state.State, res any) {
				if got := res.(RevokeResult).Added; got != 2 {
					t.Errorf("got added %d, want 2", got)
				}
				if fmt.Sprint(st.Revoked) != "map[a:2500 b:3000]" {
					t.Errorf("got %v, want a until 2500 (the later expiry) and b", st.Revoked)
				}
				if !st.IsRevoked("a", 2500) || st.IsRevoked("a", 2501) || st.IsRevoked("c", 0) {
					t.Errorf("got IsRevoked wrong around a's expiry 2500 or for an unknown id")
				}
			},
		},
		{
			name:  "expired entries are dropped",
			setup: []Command{revoke(0, RevokedToken{"a", 2000}, RevokedToken{"b", 3000})},
			cmd:   revoke(2500_000, RevokedToken{"b", 3000}, RevokedToken{"c", 2400}, RevokedToken{"d", 2500}),
			check: func(t *testing.T, st *state.State, res any) {
				if got := res.(RevokeResult).Added; got != 1 {
					t.Errorf("got added %d, want 1 (d; b was there, c has expired)", got)
				}
				if fmt.Sprint(st.Revoked) != "map[b:3000 d:2500]" {
					t.Errorf("got %v, want b and d only", st.Revoked)
				}
			},
		},
		{
			name:  "pruning alone",
			setup: []Command{revoke(0, RevokedToken{"a", 2000})},
			cmd:   revoke(2001_000),
			check: func(t *testing.T, st *state.State, _ any) {
				if len(st.Revoked) != 0 {
					t.Errorf("got %v, want none", st.Revoked)
				}
			},
		},
		{name: "empty id", cmd: revoke(0, RevokedToken{"", 1}), wantCode: CodeInvalid, wantMsg: "token"},
		{name: "huge id", cmd: revoke(0, RevokedToken{strings.Repeat("x", 257), 1}), wantCode: CodeInvalid, wantMsg: "257 bytes"},
		{name: "no expiry", cmd: revoke(0, RevokedToken{"a", 0}), wantCode: CodeInvalid, wantMsg: "exp 0"},
	})
}
