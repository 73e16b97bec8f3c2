package e2e

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"portico/node/nodetest"
)

// TestPausedLeader freezes the leader with SIGSTOP for longer than an election, as a long GC pause or a frozen VM
// would, while the others elect a new leader and take writes. Once resumed, the old leader still believes for a
// moment that it leads: its first successful linearizable read must already hold the writes made during the pause
// (leadership is confirmed before a read is answered), and a write sent to it at once is either refused or applied
// and then present on every node, never lost.
func TestPausedLeader(t *testing.T) {
	c := startCluster(t)
	old := c.WaitLeader(10 * time.Second)
	mustCreateApp(t, old, "before-pause")

	old.Pause()
	paused := true
	defer func() {
		if paused {
			old.Resume()
		}
	}()
	others := followers(c, old)
	leader := waitNewLeader(t, c, old, 20*time.Second, others...)
	mustCreateApp(t, leader, "during-pause")

	// A read and a write reach the old leader the moment it runs again.
	read, write := make(chan adminResult, 1), make(chan adminResult, 1)
	go func() { read <- admin(old, http.MethodGet, "/v1/apps", nil, "") }()
	go func() {
		write <- admin(old, http.MethodPost, "/v1/apps", map[string]string{"name": "after-pause"}, "after-pause")
	}()
	time.Sleep(100 * time.Millisecond) // both requests are sent and wait in the frozen node's socket buffers
	old.Resume()
	paused = false

	r := <-read
	switch r.status {
	case http.StatusOK:
		if names := decodeNames(t, r); !slices.Contains(names, "during-pause") {
			t.Fatalf("the resumed old leader answered a linearizable read without the write made during its pause: %v",
				names)
		}
	case http.StatusServiceUnavailable:
		t.Logf("the resumed old leader refused the first read: %s", r.body)
	default:
		t.Fatalf("read on the resumed old leader: %d %s %v", r.status, r.body, r.err)
	}
	if names := appNames(t, old, false); !slices.Contains(names, "during-pause") || !slices.Contains(names, "before-pause") {
		t.Fatalf("linearizable read on the resumed old leader: got %v, want before-pause and during-pause", names)
	}

	w := <-write
	switch w.status {
	case http.StatusCreated:
		// Acknowledged: it must be on every node.
		for _, n := range c.Nodes {
			waitAppOn(t, n, "after-pause")
		}
	case http.StatusServiceUnavailable, 0:
		// Refused or unknown outcome: a retry with the same Idempotency-Key settles it (a write that was applied is
		// answered with its first result), and then the application is on every node once.
		deadline := time.Now().Add(writeWait)
		for w.status != http.StatusCreated {
			if time.Now().After(deadline) || w.status != 0 && w.status != http.StatusServiceUnavailable {
				t.Fatalf("retrying the write: %d %s %v", w.status, w.body, w.err)
			}
			time.Sleep(100 * time.Millisecond)
			w = admin(old, http.MethodPost, "/v1/apps", map[string]string{"name": "after-pause"}, "after-pause")
		}
		for _, n := range c.Nodes {
			waitAppOn(t, n, "after-pause")
		}
	default:
		t.Fatalf("write on the resumed old leader: %d %s %v", w.status, w.body, w.err)
	}
	t.Logf("after the pause: read %d, write %d", r.status, w.status)
}

// decodeNames returns the application names of a GET /v1/apps answer.
func decodeNames(t *testing.T, r adminResult) []string {
	t.Helper()
	var apps []struct{ Name string }
	if err := json.Unmarshal(r.body, &apps); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
	names := make([]string, 0, len(apps))
	for _, a := range apps {
		names = append(names, a.Name)
	}
	return names
}

// waitAppOn waits (bounded) until node n's own copy holds application name exactly once.
func waitAppOn(t *testing.T, n *nodetest.Node, name string) {
	t.Helper()
	deadline := time.Now().Add(writeWait)
	for {
		names := appNames(t, n, true)
		count := 0
		for _, got := range names {
			if got == name {
				count++
			}
		}
		switch {
		case count == 1:
			return
		case count > 1:
			t.Fatalf("%s holds %d applications named %s, want one", n.ID, count, name)
		case time.Now().After(deadline):
			t.Fatalf("%s does not hold %s within %s: %v", n.ID, name, writeWait, names)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
