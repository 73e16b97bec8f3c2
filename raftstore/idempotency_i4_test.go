package raftstore

import (
	"encoding/json"
	"testing"

	"portico/raftstore/state"
)

// TestIdempotentI4Requests retries each consumer and credential command under the request ID of its first
// application ("r1"), usually with fields a proposer would generate anew: the retry answers the first result and
// changes nothing.
func TestIdempotentI4Requests(t *testing.T) {
	greetApp := func(h *fsmHarness) {
		h.must(&PutAPI{API: testAPI(h.t, nil)})
		h.must(testApp("app1", "shop"))
	}
	tests := []struct {
		name  string
		setup func(h *fsmHarness) // applies "r1" and possibly more
		retry Command
		check func(t *testing.T, st *state.State, res any)
	}{
		{
			name: "lifecycle retried after a later move",
			setup: func(h *fsmHarness) {
				greetApp(h)
				h.applyID("r1", lifecycleTo(state.Blocked))
				h.must(lifecycleTo(state.Published))
			},
			retry: lifecycleTo(state.Blocked),
			check: func(t *testing.T, st *state.State, res any) {
				r := res.(SetLifecycleResult)
				if r.From != state.Published || r.API.Lifecycle != state.Blocked || r.API.Revision != 2 ||
					st.APIs["greet@1.0"].Lifecycle != state.Published {
					t.Errorf("got from %q %s rev %d, current %s; want Published → Blocked rev 2, current Published",
						r.From, r.API.Lifecycle, r.API.Revision, st.APIs["greet@1.0"].Lifecycle)
				}
			},
		},
		{
			name: "document retried",
			setup: func(h *fsmHarness) {
				greetApp(h)
				h.applyID("r1", &PutDocument{API: "greet@1.0", Doc: state.Document{Name: "guide", Body: "v1"}})
			},
			retry: &PutDocument{API: "greet@1.0", Doc: state.Document{Name: "guide", Body: "v1"}},
			check: func(t *testing.T, st *state.State, res any) {
				if d := res.(PutDocumentResult).Doc; d != st.Documents["greet@1.0"]["guide"] {
					t.Errorf("got %+v, want the stored guide", d)
				}
			},
		},
		{
			name:  "user retried",
			setup: func(h *fsmHarness) { h.applyID("r1", testUser("alice", state.RoleSubscriber)) },
			retry: testUser("alice", state.RoleSubscriber),
			check: func(t *testing.T, st *state.State, res any) {
				if u := res.(CreateUserResult).User; u != st.Users["alice"] {
					t.Errorf("got %+v, want the stored alice", u)
				}
			},
		},
		{
			name: "password retried after another change",
			setup: func(h *fsmHarness) {
				h.must(testUser("alice", state.RoleSubscriber))
				h.applyID("r1", &SetPassword{Name: "alice", Hash: []byte{5}, Salt: []byte{5}, Iterations: 5})
				h.must(&SetPassword{Name: "alice", Hash: []byte{6}, Salt: []byte{6}, Iterations: 6})
			},
			retry: &SetPassword{Name: "alice", Hash: []byte{5}, Salt: []byte{5}, Iterations: 5},
			check: func(t *testing.T, st *state.State, res any) {
				if !res.(UpdateResult).Changed || st.Users["alice"].Iterations != 6 {
					t.Errorf("got %+v iterations %d, want changed and the later password kept", res, st.Users["alice"].Iterations)
				}
			},
		},
		{
			name: "share retried",
			setup: func(h *fsmHarness) {
				greetApp(h)
				h.must(testUser("alice", state.RoleSubscriber))
				h.applyID("r1", &ShareApp{AppID: "app1", Users: []string{"alice"}})
			},
			retry: &ShareApp{AppID: "app1", Users: []string{"alice"}},
			check: func(t *testing.T, _ *state.State, res any) {
				if !res.(UpdateResult).Changed {
					t.Errorf("got unchanged, want the first application's changed")
				}
			},
		},
		{
			name: "credentials retried with another secret",
			setup: func(h *fsmHarness) {
				greetApp(h)
				h.applyID("r1", setCred("app1", nil))
			},
			retry: setCred("app1", func(c *state.ClientCredential) { c.SecretHash = []byte{8} }),
			check: func(t *testing.T, st *state.State, res any) {
				cred := res.(SetCredentialsResult).Cred
				if string(cred.SecretHash) != "\x04\x05\x06" || cred.AccessTTL != 900 {
					t.Errorf("got %+v, want the first secret with default lifetimes", cred)
				}
				if string(st.Apps["app1"].Credentials[state.Production].SecretHash) != "\x04\x05\x06" {
					t.Errorf("got the stored secret replaced, want it kept")
				}
			},
		},
		{
			name: "subscription retried with a new id",
			setup: func(h *fsmHarness) {
				greetApp(h)
				h.applyID("r1", newSub("s1", "app1", "greet", 1, "Gold"))
			},
			retry: newSub("s9", "app1", "greet", 1, "Gold"),
			check: func(t *testing.T, st *state.State, res any) {
				if s := res.(CreateSubscriptionResult).Sub; s != st.Subscriptions["s1"] || len(st.Subscriptions) != 1 {
					t.Errorf("got %+v with %d subscriptions, want s1 and 1", s, len(st.Subscriptions))
				}
			},
		},
		{
			name: "subscription status retried",
			setup: func(h *fsmHarness) {
				greetApp(h)
				h.must(newSub("s1", "app1", "greet", 1, "Gold"))
				h.applyID("r1", &SetSubscriptionStatus{ID: "s1", Status: state.SubBlocked})
			},
			retry: &SetSubscriptionStatus{ID: "s1", Status: state.SubBlocked},
			check: func(t *testing.T, _ *state.State, res any) {
				if !res.(UpdateResult).Changed {
					t.Errorf("got unchanged, want the first application's changed")
				}
			},
		},
		{
			name: "subscription delete retried",
			setup: func(h *fsmHarness) {
				greetApp(h)
				h.must(newSub("s1", "app1", "greet", 1, "Gold"))
				h.applyID("r1", &DeleteSubscription{ID: "s1"})
			},
			retry: &DeleteSubscription{ID: "s1"},
			check: func(t *testing.T, _ *state.State, res any) {
				if !res.(DeleteResult).Deleted {
					t.Errorf("got %+v, want deleted", res)
				}
			},
		},
		{
			name: "regenerate retried with a new key",
			setup: func(h *fsmHarness) {
				greetApp(h)
				h.must(testKey("k1", "app1", nil))
				h.applyID("r1", regen("k1", "k2", 1800003600000))
			},
			retry: regen("k1", "k3", 1800009999999),
			check: func(t *testing.T, st *state.State, res any) {
				r := res.(RegenerateKeyResult)
				if r.Key != st.Keys["k2"] || r.Old != st.Keys["k1"] || r.Old.ExpiresAt != 1800003600000 || len(st.Keys) != 2 {
					t.Errorf("got %+v with %d keys, want k2, k1 expiring at 1800003600000 and 2 keys", r, len(st.Keys))
				}
			},
		},
		{
			name:  "plan retried",
			setup: func(h *fsmHarness) { h.applyID("r1", &CreatePlan{Plan: state.Plan{Name: "Tin", RPM: 10}}) },
			retry: &CreatePlan{Plan: state.Plan{Name: "Tin", RPM: 10}},
			check: func(t *testing.T, st *state.State, res any) {
				if p := res.(CreatePlanResult).Plan; p != st.Plans["Tin"] {
					t.Errorf("got %+v, want the stored Tin", p)
				}
			},
		},
		{
			name:  "signing key retried",
			setup: func(h *fsmHarness) { h.applyID("r1", &AddSigningKey{Key: testSigningKey(h.t, testKID(1), 1000)}) },
			retry: &AddSigningKey{Key: testSigningKey(t, testKID(2), 2000)},
			check: func(t *testing.T, st *state.State, res any) {
				if k := res.(AddSigningKeyResult).Key; k != st.SigningKeys[testKID(1)] || len(st.SigningKeys) != 1 {
					t.Errorf("got %+v with %d keys, want key 1 only", k, len(st.SigningKeys))
				}
			},
		},
		{
			name:  "revocation retried",
			setup: func(h *fsmHarness) { h.applyID("r1", &RevokeTokens{Tokens: []RevokedToken{{"a", 10}, {"b", 10}}}) },
			retry: &RevokeTokens{Tokens: []RevokedToken{{"a", 10}, {"b", 10}}},
			check: func(t *testing.T, _ *state.State, res any) {
				if got := res.(RevokeResult).Added; got != 2 {
					t.Errorf("got added %d, want the first application's 2", got)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newFSMHarness(t)
			tt.setup(h)
			before := h.f.state()
			res, err := h.applyID("r1", tt.retry)
			if err != nil {
				t.Fatalf("got %v, want the first result", err)
			}
			if h.f.state() != before {
				t.Errorf("got a new state published by a retry, want none")
			}
			tt.check(t, h.f.state(), res)
		})
	}
}

func TestPublishedStateIsNotMutatedByI4Commands(t *testing.T) {
	h := newFSMHarness(t)
	h.must(&PutAPI{API: testAPI(t, nil)})
	h.must(testApp("app1", "shop"))
	h.must(testUser("alice", state.RoleSubscriber))
	h.must(testUser("bob", state.RoleSubscriber))
	steps := []Command{
		lifecycleTo(state.Blocked),
		lifecycleTo(state.Published),
		&PutDocument{API: "greet@1.0", Doc: state.Document{Name: "guide", Body: "v1"}},
		&PutDocument{API: "greet@1.0", Doc: state.Document{Name: "faq", Body: "q"}},
		&DeleteDocument{API: "greet@1.0", Name: "guide"},
		&ShareApp{AppID: "app1", Users: []string{"alice", "bob"}},
		&SetPassword{Name: "alice", Hash: []byte{3}, Salt: []byte{3}, Iterations: 3},
		adminToken("t1", "alice"),
		&DeleteUser{Name: "alice"},
		setCred("app1", nil),
		setCred("app1", func(c *state.ClientCredential) { c.SecretHash = []byte{1} }),
		&CreatePlan{Plan: state.Plan{Name: "Tin", RPM: 10}},
		newSub("s1", "app1", "greet", 1, "Tin"),
		&SetSubscriptionStatus{ID: "s1", Status: state.SubBlocked},
		testKey("k1", "app1", nil),
		regen("k1", "k2", 1800000000000),
		&DeleteSubscription{ID: "s1"},
		&AddSigningKey{Key: testSigningKey(t, testKID(1), 1000)},
		&AddSigningKey{Key: testSigningKey(t, testKID(2), 2000)},
		&AddSigningKey{Key: testSigningKey(t, testKID(3), 3000+MaxTokenLifetime)},
		&RevokeTokens{Tokens: []RevokedToken{{"a", 10}, {"b", 20}}},
		&RevokeTokens{Tokens: []RevokedToken{{"c", 30}}, Now: 15000},
		&DeleteApp{ID: "app1"},
		&DeleteAPI{Name: "greet", Version: "1.0"},
	}
	for _, cmd := range steps {
		t.Run(cmd.Kind(), func(t *testing.T) {
			kept := h.f.state()
			want := stateJSON(t, kept)
			done := make(chan struct{})
			go func() { // reads the kept state while the apply runs; the race detector checks the sharing
				defer close(done)
				_, _ = json.Marshal(kept)
			}()
			h.must(cmd)
			<-done
			if got := stateJSON(t, kept); got != want {
				t.Errorf("got the earlier state changed to\n%s\nwant\n%s", got, want)
			}
		})
	}
}
