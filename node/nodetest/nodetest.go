// Package nodetest starts real `portico` node processes on free loopback ports for end-to-end tests, and drives them
// the way operators and clients do: through the CLI binary and plain HTTP.
package nodetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"portico/node/certs"
)

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// Binary builds ./cmd/portico once per test process and returns the path of the binary.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		root, err := moduleRoot()
		if err != nil {
			buildErr = err
			return
		}
		dir, err := os.MkdirTemp("", "portico-e2e-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "portico")
		cmd := exec.Command("go", "build", "-o", buildPath, "./cmd/portico")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/portico: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for i := 0; i < 20; i++ {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		dir = filepath.Dir(dir)
	}
	return "", errors.New("go.mod not found above the test's directory")
}

// FreeAddr returns a loopback address with a port that was free a moment ago. Ports come from below the kernel's
// ephemeral range (32768 and up), so that servers other tests open on port 0 cannot take them in the meantime.
func FreeAddr(t testing.TB) string {
	t.Helper()
	for i := 0; i < 200; i++ {
		port := 20000 + rand.IntN(12000)
		if !claimPort(port) {
			continue
		}
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		addr := ln.Addr().String()
		ln.Close()
		return addr
	}
	t.Fatal("no free loopback port found in 20000-31999")
	return ""
}

// handedOut are the ports FreeAddr has returned in this test process: it never returns one twice, so two nodes (or
// a node and a proxy) of one test cannot be given the same port while neither has bound it yet.
var handedOut = struct {
	sync.Mutex
	ports map[int]bool
}{ports: map[int]bool{}}

func claimPort(port int) bool {
	handedOut.Lock()
	defer handedOut.Unlock()
	if handedOut.ports[port] {
		return false
	}
	handedOut.ports[port] = true
	return true
}

// Node is one running (or stopped) node process.
type Node struct {
	t                                testing.TB
	Bin                              string
	ID, DataDir                      string
	GatewayAddr, AdminAddr, RaftAddr string
	Token                            string
	// TLSDir holds the cluster CA and this node's certificate (passed as --tls-dir); Flags are added to every Start.
	TLSDir string
	Flags  []string

	mu     sync.Mutex
	cmd    *exec.Cmd
	logs   *syncBuffer // stderr: the node's log
	stdout *syncBuffer // stdout: one-time messages such as the bootstrap token
	done   chan struct{}
}

// NewNode prepares a node with fresh ports, data dir and a cluster CA of its own; call Start to run it.
func NewNode(t testing.TB, id string) *Node {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "tls")
	if err := certs.Init(dir, []string{id}, nil, time.Now()); err != nil {
		t.Fatalf("creating TLS files for %s: %v", id, err)
	}
	return newNode(t, id, dir)
}

func newNode(t testing.TB, id, tlsDir string) *Node {
	n := &Node{
		t: t, Bin: Binary(t), ID: id, DataDir: filepath.Join(t.TempDir(), id),
		GatewayAddr: FreeAddr(t), AdminAddr: FreeAddr(t), RaftAddr: FreeAddr(t), TLSDir: tlsDir,
	}
	// A failed test shows the end of each node's log: CI keeps only the test output.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the last %d lines of %s's log:\n%s", failLogLines, id, lastLines(n.Logs(), failLogLines))
		}
	})
	return n
}

// failLogLines is how much of each node's log a failed test prints.
const failLogLines = 40

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	s = strings.TrimRight(s, "\n")
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '\n' {
			if n--; n == 0 {
				return s[i+1:]
			}
		}
	}
	return s
}

// GatewayURL is the base URL of the node's gateway listener.
func (n *Node) GatewayURL() string { return "http://" + n.GatewayAddr }

// AdminURL is the base URL of the node's admin listener.
func (n *Node) AdminURL() string { return "http://" + n.AdminAddr }

// Start runs `portico node run` with extra flags (e.g. --bootstrap) and waits until /healthz answers 200.
func (n *Node) Start(extra ...string) {
	n.t.Helper()
	args := []string{"node", "run", "--id", n.ID, "--data-dir", n.DataDir,
		"--gateway-addr", n.GatewayAddr, "--admin-addr", n.AdminAddr, "--raft-addr", n.RaftAddr}
	if n.TLSDir != "" {
		args = append(args, "--tls-dir", n.TLSDir)
	}
	args = append(append(args, n.Flags...), extra...)
	cmd := exec.Command(n.Bin, args...)
	logs, stdout := &syncBuffer{}, &syncBuffer{}
	cmd.Stdout, cmd.Stderr = stdout, logs
	if err := cmd.Start(); err != nil {
		n.t.Fatalf("starting node %s: %v", n.ID, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	n.mu.Lock()
	n.cmd, n.logs, n.stdout, n.done = cmd, logs, stdout, done
	n.mu.Unlock()
	n.t.Cleanup(n.Kill)
	n.waitHealthy(30 * time.Second)
	if b, err := os.ReadFile(filepath.Join(n.DataDir, "admin.token")); err == nil && n.Token == "" {
		n.Token = strings.TrimSpace(string(b))
	}
}

func (n *Node) waitHealthy(limit time.Duration) {
	n.t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-n.done:
			n.t.Fatalf("node %s exited during start-up; logs:\n%s", n.ID, n.Logs())
		default:
		}
		if n.healthy() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	n.t.Fatalf("node %s not healthy after %s; logs:\n%s", n.ID, limit, n.Logs())
}

// healthClient bounds each /healthz probe: a node that accepts but does not answer is asked again, not waited for.
var healthClient = &http.Client{Timeout: 2 * time.Second}

// healthy reports whether this node (not some other server that took its port) answers /healthz.
func (n *Node) healthy() bool {
	resp, err := healthClient.Get(n.AdminURL() + "/healthz")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var h struct{ Status, ID string }
	return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&h) == nil && h.ID == n.ID
}

// Stop sends SIGTERM and waits (bounded) for a clean exit.
func (n *Node) Stop() {
	n.t.Helper()
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGCONT) // a paused process would keep SIGTERM pending
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		n.t.Fatalf("node %s did not stop within 30s after SIGTERM; logs:\n%s", n.ID, n.Logs())
	}
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		n.t.Fatalf("node %s exited with %d after SIGTERM; logs:\n%s", n.ID, code, n.Logs())
	}
}

// Pause stops the process with SIGSTOP, as a long GC pause or a frozen VM would: it holds its sockets and state but
// runs nothing until Resume.
func (n *Node) Pause() { n.signal(syscall.SIGSTOP) }

// Resume continues a paused process (SIGCONT).
func (n *Node) Resume() { n.signal(syscall.SIGCONT) }

func (n *Node) signal(sig syscall.Signal) {
	n.t.Helper()
	n.mu.Lock()
	cmd := n.cmd
	n.mu.Unlock()
	if cmd == nil {
		n.t.Fatalf("node %s: no process to signal", n.ID)
	}
	if err := cmd.Process.Signal(sig); err != nil {
		n.t.Fatalf("node %s: %v: %v", n.ID, sig, err)
	}
}

// Kill stops the process with SIGKILL if it is still running.
func (n *Node) Kill() {
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-done:
	default:
		_ = cmd.Process.Kill()
		<-done
	}
}

// Stdout returns what the current process printed on stdout.
func (n *Node) Stdout() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.stdout == nil {
		return ""
	}
	return n.stdout.String()
}

// Logs returns the current process's log (stderr).
func (n *Node) Logs() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.logs == nil {
		return ""
	}
	return n.logs.String()
}

// Result is the outcome of one CLI run.
type Result struct {
	Stdout, Stderr string
	Code           int
}

// CLI runs the portico binary against this node's admin API with its admin token.
func (n *Node) CLI(args ...string) Result {
	n.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	full := append([]string{"--server", n.AdminURL(), "--token", n.Token}, args...)
	cmd := exec.CommandContext(ctx, n.Bin, full...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			n.t.Fatalf("running portico %v: %v", args, err)
		}
		code = ee.ExitCode()
	}
	return Result{Stdout: out.String(), Stderr: errb.String(), Code: code}
}

// MustCLI runs the CLI and fails the test unless it exits 0.
func (n *Node) MustCLI(args ...string) string {
	n.t.Helper()
	r := n.CLI(args...)
	if r.Code != 0 {
		n.t.Fatalf("portico %v: exit %d, stderr %q", args, r.Code, r.Stderr)
	}
	return r.Stdout
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// RunToExit runs `portico node run` with extra flags and waits (bounded) for the process to exit on its own, as it
// does when its configuration is refused; it returns the exit code and the log.
func (n *Node) RunToExit(limit time.Duration, extra ...string) (int, string) {
	n.t.Helper()
	args := []string{"node", "run", "--id", n.ID, "--data-dir", n.DataDir,
		"--gateway-addr", n.GatewayAddr, "--admin-addr", n.AdminAddr, "--raft-addr", n.RaftAddr}
	if n.TLSDir != "" {
		args = append(args, "--tls-dir", n.TLSDir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, n.Bin, append(append(args, n.Flags...), extra...)...)
	var logs bytes.Buffer
	cmd.Stderr = &logs
	err := cmd.Run()
	if ctx.Err() != nil {
		n.t.Fatalf("node %s still running after %s; logs:\n%s", n.ID, limit, logs.String())
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		n.t.Fatalf("running node %s: %v", n.ID, err)
	}
	return cmd.ProcessState.ExitCode(), logs.String()
}

// CLIAs runs the CLI against this node's admin API with another token (a user's), feeding stdin.
func (n *Node) CLIAs(token, stdin string, args ...string) Result {
	n.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	full := append([]string{"--server", n.AdminURL(), "--token", token}, args...)
	cmd := exec.CommandContext(ctx, n.Bin, full...)
	cmd.Env = append(os.Environ(), "PORTICO_CONFIG="+filepath.Join(n.t.TempDir(), "config.yaml"))
	var out, errb bytes.Buffer
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			n.t.Fatalf("running portico %v: %v", args, err)
		}
		code = ee.ExitCode()
	}
	return Result{Stdout: out.String(), Stderr: errb.String(), Code: code}
}

// MustCLIAs is CLIAs that fails the test unless the CLI exits 0.
func (n *Node) MustCLIAs(token string, args ...string) string {
	n.t.Helper()
	r := n.CLIAs(token, "", args...)
	if r.Code != 0 {
		n.t.Fatalf("portico %v: exit %d, stderr %q", args, r.Code, r.Stderr)
	}
	return r.Stdout
}
