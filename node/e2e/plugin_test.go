package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// buildTenantPolicy compiles the policy author's example (deploy/examples/tenant-policy) with the SDK, as a policy
// author would, and returns the .wasm path.
func buildTenantPolicy(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "tenant.wasm")
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-trimpath", "-o", out, "../../deploy/examples/tenant-policy")
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the tenant policy: %v\n%s", err, b)
	}
	return out
}

const tenantAPI = `name: tenant
version: "1.0"
context: /tenant
security: [none]
endpoints:
  production: [{{BACKEND}}]
operations:
  - method: GET
    path: /hello
    policies:
      request:
        - name: tenant
          version: "1.0.0"
`

// TestPluginPushedToCluster: a policy module of a few MiB, pushed through a follower, is stored in entries of at
// most 512 KiB, runs on every node for the API that references it, and reaches a node that catches up later.
func TestPluginPushedToCluster(t *testing.T) {
	be := newBackend(t)
	wasm := buildTenantPolicy(t)
	info, err := os.Stat(wasm)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() < 1<<20 {
		t.Fatalf("tenant policy is %d bytes: want a module over 1 MiB to exercise chunking", info.Size())
	}
	c := startCluster(t)
	leader := c.WaitLeader(10 * time.Second)
	fs := followers(c, leader)
	late := fs[1]
	late.Stop()
	// Should leadership have moved to late since it was read (a stall on a loaded machine), the other two elect a
	// leader among them before the push: late stays the node that catches up later either way.
	leader = waitNewLeader(t, c, late, 20*time.Second, leader, fs[0])

	var pushed struct {
		Name, Version, SHA256 string
		Size                  int64
	}
	if err := json.Unmarshal([]byte(fs[0].MustCLI("-o", "json", "plugin", "push", "tenant", "1.0.0", wasm)), &pushed); err != nil {
		t.Fatal(err)
	}
	if pushed.Size != info.Size() || len(pushed.SHA256) != 64 {
		t.Fatalf("plugin push: got %+v, want size %d and a sha256", pushed, info.Size())
	}
	path := filepath.Join(t.TempDir(), "tenant.yaml")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(tenantAPI, "{{BACKEND}}", be.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	fs[0].MustCLI("deploy", "-f", path, "--wait", "quorum")
	late.Start()
	c.WaitConverged(30 * time.Second)
	for _, n := range c.Nodes {
		if got := statusOf(n.GatewayURL()+"/tenant/v1/hello", ""); got != http.StatusBadRequest {
			t.Fatalf("%s without x-tenant: got %d, want 400 from the pushed policy", n.ID, got)
		}
		req, _ := http.NewRequest(http.MethodGet, n.GatewayURL()+"/tenant/v1/hello", nil)
		req.Header.Set("x-tenant", "acme")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s with x-tenant: got %d, want 200", n.ID, resp.StatusCode)
		}
	}
	var list []struct{ Name, Version string }
	if err := json.Unmarshal([]byte(late.MustCLI("-o", "json", "plugin", "list")), &list); err != nil || len(list) != 1 {
		t.Fatalf("plugin list on the late node: %v %+v", err, list)
	}
	if r := leader.CLI("plugin", "delete", "tenant", "1.0.0"); r.Code != 1 || !strings.Contains(r.Stderr, "tenant") {
		t.Fatalf("deleting a plugin an API uses: got exit %d %q, want 1 naming the API", r.Code, r.Stderr)
	}
}
