package admin

import (
	"net/http"
	"testing"
	"time"

	"portico/raftstore/state"
)

func TestStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	got := decodeObject(t, e.do(request{method: "GET", path: "/v1/status"}), http.StatusOK)
	if got["id"] != "n1" || got["leader"] != "n1" || got["isLeader"] != true {
		t.Errorf("status: got %v, want id n1, leader n1, isLeader true", got)
	}
	if idx, _ := got["appliedIndex"].(float64); uint64(idx) < e.store.State().Index || idx == 0 {
		t.Errorf("appliedIndex: got %v, want at least %d", got["appliedIndex"], e.store.State().Index)
	}
	health := decodeObject(t, e.do(request{method: "GET", path: "/healthz"}), http.StatusOK)
	if health["status"] != "ok" || health["id"] != "n1" {
		t.Errorf("healthz: got %v, want status ok and id n1", health)
	}
}

func TestReadyz(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	deadline := time.Now().Add(10 * time.Second)
	for !e.store.Ready() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	rec := e.do(request{method: "GET", path: "/readyz", header: map[string]string{"Authorization": ""}})
	decodeObject(t, rec, http.StatusOK)

	cases := []struct {
		name   string
		leader string
		msg    string
	}{
		{"no leader", "", "no leader known"},
		{"catching up", "n2", "catching up"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			store := newFakeStore(map[string]*state.AdminToken{}, nil)
			store.leader = c.leader
			adm, err := New(Config{Store: store})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			wantError(t, serve(adm, request{method: "GET", path: "/readyz"}), http.StatusServiceUnavailable,
				"unavailable", c.msg)
		})
	}
}
