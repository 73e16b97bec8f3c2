package raftstore

import (
	"encoding/json"
	"testing"

	"portico/raftstore/state"
)

func TestIdempotentRequests(t *testing.T) {
	tests := []struct {
		name  string
		setup func(h *fsmHarness) // applies "r1" first, possibly more
		retry Command             // retried under "r1"
		fresh bool                // the retry is a first application (the first attempt was refused)
		check func(t *testing.T, st *state.State, res any, err error)
	}{
		{
			name:  "create app retried with a new generated id",
			setup: func(h *fsmHarness) { h.applyID("r1", testApp("app1", "shop")) },
			retry: testApp("app9", "shop"),
			check: func(t *testing.T, st *state.State, res any, err error) {
				if err != nil || res.(CreateAppResult).App.ID != "app1" || len(st.Apps) != 1 {
					t.Errorf("got %+v %v with %d apps, want app1 again and 1 app", res, err, len(st.Apps))
				}
			},
		},
		{
			name: "create app retried after it was deleted",
			setup: func(h *fsmHarness) {
				h.applyID("r1", testApp("app1", "shop"))
				h.must(&DeleteApp{ID: "app1"})
			},
			retry: testApp("app9", "shop"),
			check: func(t *testing.T, st *state.State, res any, err error) {
				if err != nil || res.(CreateAppResult).App.ID != "app1" || len(st.Apps) != 0 {
					t.Errorf("got %+v %v with %d apps, want app1 again and no app", res, err, len(st.Apps))
				}
			},
		},
		{
			name: "put api retried after a later change",
			setup: func(h *fsmHarness) {
				h.applyID("r1", &PutAPI{API: testAPI(h.t, nil)})
				h.must(&PutAPI{API: testAPI(h.t, func(a *state.API) { a.TimeoutMS = 5 })})
			},
			retry: &PutAPI{API: testAPI(t, nil)},
			check: func(t *testing.T, st *state.State, res any, err error) {
				r, _ := res.(PutAPIResult)
				if err != nil || !r.Changed || r.API.Revision != 1 || st.APIs["greet@1.0"].Revision != 2 {
					t.Errorf("got %+v %v, want revision 1 changed, current still revision 2", r, err)
				}
			},
		},
		{
			name: "create key retried",
			setup: func(h *fsmHarness) {
				h.must(&PutAPI{API: testAPI(h.t, nil)})
				h.must(testApp("app1", "shop"))
				h.applyID("r1", testKey("k1", "app1", testSub("s1", "app1")))
			},
			retry: testKey("k7", "app1", testSub("s7", "app1")),
			check: func(t *testing.T, st *state.State, res any, err error) {
				r, _ := res.(CreateKeyResult)
				if err != nil || r.Key.ID != "k1" || r.Subscription == nil || r.Subscription.ID != "s1" || len(st.Keys) != 1 {
					t.Errorf("got %+v %v with %d keys, want k1 with s1 and 1 key", r, err, len(st.Keys))
				}
			},
		},
		{
			name: "delete retried",
			setup: func(h *fsmHarness) {
				h.must(testApp("app1", "shop"))
				h.applyID("r1", &DeleteApp{ID: "app1"})
			},
			retry: &DeleteApp{ID: "app1"},
			check: func(t *testing.T, _ *state.State, res any, err error) {
				if err != nil || !res.(DeleteResult).Deleted {
					t.Errorf("got %+v %v, want deleted again", res, err)
				}
			},
		},
		{
			name:  "admin token retried",
			setup: func(h *fsmHarness) { h.applyID("r1", &CreateAdminToken{Token: state.AdminToken{ID: "t1"}}) },
			retry: &CreateAdminToken{Token: state.AdminToken{ID: "t2"}},
			check: func(t *testing.T, st *state.State, res any, err error) {
				if err != nil || res.(CreateAdminTokenResult).Token.ID != "t1" || len(st.AdminTokens) != 1 {
					t.Errorf("got %+v %v, want t1 again and 1 token", res, err)
				}
			},
		},
		{
			name:  "request id reused for another kind",
			setup: func(h *fsmHarness) { h.applyID("r1", testApp("app1", "shop")) },
			retry: &DeleteApp{ID: "app1"},
			check: func(t *testing.T, st *state.State, _ any, err error) {
				if applyCode(err) != CodeInvalid || len(st.Apps) != 1 {
					t.Errorf("got %v with %d apps, want invalid and the app kept", err, len(st.Apps))
				}
			},
		},
		{
			name: "refused request is not remembered",
			setup: func(h *fsmHarness) {
				h.must(testApp("app1", "shop"))
				if _, err := h.applyID("r1", testApp("app2", "shop")); applyCode(err) != CodeConflict {
					h.t.Fatalf("got %v, want conflict", err)
				}
				h.must(&DeleteApp{ID: "app1"})
			},
			retry: testApp("app2", "shop"),
			fresh: true,
			check: func(t *testing.T, st *state.State, res any, err error) {
				if err != nil || res.(CreateAppResult).App.ID != "app2" || st.Apps["app2"] == nil {
					t.Errorf("got %+v %v, want app2 created by the retry", res, err)
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
			if changed := h.f.state() != before; changed != tt.fresh {
				t.Errorf("got new state published %v, want %v", changed, tt.fresh)
			}
			tt.check(t, h.f.state(), res, err)
		})
	}
}

func TestRequestPruning(t *testing.T) {
	h := newFSMHarness(t)
	h.applyID("r1", testApp("app1", "shop"))
	h.index = requestWindow - 1
	h.must(testApp("app2", "blog")) // index requestWindow: r1 (index 1) is still within the window
	if _, ok := h.f.state().Requests["r1"]; !ok {
		t.Fatalf("got r1 forgotten at index %d, want it kept", h.index)
	}
	h.must(testApp("app3", "wiki")) // index requestWindow+1: r1 falls out
	reqs := h.f.state().Requests
	if _, ok := reqs["r1"]; ok || len(reqs) != 2 {
		t.Errorf("got requests %v, want r1 pruned and 2 kept", reqs)
	}
}

func TestPublishedStateIsNotMutated(t *testing.T) {
	h := newFSMHarness(t)
	steps := []Command{
		&PutAPI{API: testAPI(t, nil)},
		testApp("app1", "shop"),
		testKey("k1", "app1", testSub("s1", "app1")),
		&PutAPI{API: testAPI(t, func(a *state.API) { a.Lifecycle = state.Deprecated })},
		&PutAPI{API: testAPI(t, func(a *state.API) { a.Version, a.Minor = "1.1", 1 })},
		testKey("k2", "app1", nil),
		&DeleteKey{ID: "k1"},
		&CreateAdminToken{Token: state.AdminToken{ID: "t1"}},
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
			if h.f.state() == kept {
				t.Errorf("got the same state pointer after an apply, want a new one")
			}
		})
	}
}
