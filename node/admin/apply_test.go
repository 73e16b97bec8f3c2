package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"portico/raftstore"
	"portico/raftstore/state"
)

// TestApplyErrors checks how store failures reach the client, with a fake store that fails every Apply.
func TestApplyErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		err    error
		status int
		code   string
		msg    string
	}{
		{"not the leader", fmt.Errorf("applying: %w", raftstore.ErrNotLeader), 503, "unavailable",
			"not the leader (leader: n2)"},
		{"unknown outcome", fmt.Errorf("waiting: %w: leadership lost", raftstore.ErrUnknownOutcome), 503,
			"unavailable", "safe to retry with the same Idempotency-Key"},
		{"request cancelled", context.Canceled, 503, "unavailable", "its outcome is unknown"},
		{"closed", raftstore.ErrClosed, 503, "unavailable", "shutting down"},
		{"conflict", &raftstore.ApplyError{Code: raftstore.CodeConflict, Message: "taken"}, 409, "conflict", "taken"},
		{"not found", &raftstore.ApplyError{Code: raftstore.CodeNotFound, Message: "gone"}, 404, "not_found", "gone"},
		{"invalid", &raftstore.ApplyError{Code: raftstore.CodeInvalid, Message: "bad"}, 400, "invalid_request", "bad"},
		{"unknown code", &raftstore.ApplyError{Code: "odd", Message: "odd detail"}, 500, "internal", "internal error"},
		{"anything else", errors.New("disk on fire"), 500, "internal", "internal error"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			store := newFakeStore(map[string]*state.AdminToken{"tok1": ptr(testAdminToken())}, c.err)
			adm, err := New(Config{Store: store})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			rec := serve(adm, request{method: "POST", path: "/v1/apps", ctype: "application/json",
				body: `{"name":"x"}`})
			wantError(t, rec, c.status, c.code, c.msg)
			if c.status == http.StatusInternalServerError && strings.Contains(rec.Body.String(), "detail") ||
				strings.Contains(rec.Body.String(), "fire") {
				t.Errorf("body exposes the cause: %s", rec.Body)
			}
			if store.calls() != 1 {
				t.Errorf("Apply calls: got %d, want 1", store.calls())
			}
		})
	}
}

func TestNotLeaderWithoutLeader(t *testing.T) {
	t.Parallel()
	store := newFakeStore(map[string]*state.AdminToken{"tok1": ptr(testAdminToken())}, raftstore.ErrNotLeader)
	store.leader = ""
	adm, err := New(Config{Store: store})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	rec := serve(adm, request{method: "DELETE", path: "/v1/keys/0123456789abcdef"})
	wantError(t, rec, http.StatusServiceUnavailable, "unavailable", "not the leader (leader: none known)")
}

func TestNewNeedsStore(t *testing.T) {
	t.Parallel()
	if _, err := New(Config{}); err == nil {
		t.Errorf("New without a store: got no error, want one")
	}
}

func ptr[T any](v T) *T { return &v }
