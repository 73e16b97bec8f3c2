package node

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"portico/node/certs"
	"portico/node/demo"
	"portico/plugins/abi"
)

// DevConfig configures `portico dev`: a single-node cluster with a demo backend, a demo API, an application and a key.
type DevConfig struct {
	DataDir     string
	GatewayAddr string
	AdminAddr   string
	RaftAddr    string
	BackendAddr string
	LogLevel    string
	// Stdout receives the instructions; nil = os.Stdout.
	Stdout io.Writer
}

const devAPI = `name: greet
version: "1.0"
context: /greet
lifecycle: Published
security: [api-key]
endpoints:
  production: [http://%s]
operations:
  - method: GET
    path: /hello
  - method: GET
    path: /items/{id}
  - method: GET
    path: /status
    security: [none]
`

// devKeyFile keeps the demo application's key in the dev data dir so that a second `portico dev` prints the same
// working commands (the cluster itself stores only the key's hash).
const devKeyFile = "dev.key"

// RunDev runs the dev setup until ctx is done. Run twice on the same data dir, it reuses its data.
func RunDev(ctx context.Context, cfg DevConfig) error {
	out := cfg.Stdout
	if out == nil {
		out = os.Stdout
	}
	backend, err := startDemoBackend(cfg.BackendAddr)
	if err != nil {
		return err
	}
	defer backend.Close()
	tlsDir, err := devTLS(cfg.DataDir, devNodeID)
	if err != nil {
		return err
	}
	n, err := Start(ctx, Config{
		ID: devNodeID, DataDir: cfg.DataDir, GatewayAddr: cfg.GatewayAddr, AdminAddr: cfg.AdminAddr,
		RaftAddr: cfg.RaftAddr, Bootstrap: true, LogLevel: cfg.LogLevel, Stdout: os.Stderr, TLSDir: tlsDir,
	})
	if err != nil {
		return err
	}
	key, err := provisionDemo(ctx, n, cfg)
	if err != nil {
		_ = n.Stop()
		return err
	}
	printDevInstructions(out, n, cfg, key)
	<-ctx.Done()
	return n.Stop()
}

func startDemoBackend(addr string) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on --backend-addr: %w", err)
	}
	srv := &http.Server{Handler: demo.Handler("the Portico demo backend"), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return srv, nil
}

// provisionDemo deploys the demo API, creates the demo application and returns a working API key.
func provisionDemo(ctx context.Context, n *Node, cfg DevConfig) (string, error) {
	tok, err := os.ReadFile(filepath.Join(cfg.DataDir, TokenFile))
	if err != nil {
		return "", fmt.Errorf("reading the admin token (remove %s to start afresh): %w", cfg.DataDir, err)
	}
	c := &devClient{base: "http://" + n.AdminAddr(), token: strings.TrimSpace(string(tok))}
	api := fmt.Sprintf(devAPI, cfg.BackendAddr)
	if err := c.call(ctx, "POST", "/v1/apis", "application/yaml", []byte(api), nil); err != nil {
		return "", fmt.Errorf("deploying the demo API: %w", err)
	}
	err = c.call(ctx, "POST", "/v1/apps", "application/json", []byte(`{"name":"demo-app"}`), nil)
	if err != nil && !errors.Is(err, errConflict) {
		return "", fmt.Errorf("creating the demo application: %w", err)
	}
	return devKey(ctx, c, n, cfg.DataDir)
}

// devKey returns the saved demo key if the cluster still knows it, otherwise creates and saves a new one.
func devKey(ctx context.Context, c *devClient, n *Node, dir string) (string, error) {
	path := filepath.Join(dir, devKeyFile)
	if b, err := os.ReadFile(path); err == nil {
		key := strings.TrimSpace(string(b))
		if id, ok := abi.ParseAPIKey(key); ok && n.store.State().Keys[id] != nil {
			return key, nil
		}
	}
	var created struct {
		Key string `json:"key"`
	}
	body := []byte(`{"app":"demo-app","api":"greet","name":"demo-key"}`)
	if err := c.call(ctx, "POST", "/v1/keys", "application/json", body, &created); err != nil {
		return "", fmt.Errorf("creating the demo key: %w", err)
	}
	if err := writeSecret(path, created.Key); err != nil {
		return "", err
	}
	return created.Key, nil
}

func printDevInstructions(out io.Writer, n *Node, cfg DevConfig, key string) {
	gw := "http://" + n.GatewayAddr()
	fmt.Fprintf(out, `
Portico dev cluster is running (data in %s; Ctrl-C stops it, run again to reuse it).
  gateway  %s
  admin    http://%s   (admin token in %s)
  backend  http://%s   (demo backend)

Call the demo API through the api-key policy (200):
  curl -i -H 'api-key: %s' %s/greet/v1/hello

Without a key (401):
  curl -i %s/greet/v1/hello

Operate the cluster:
  export PORTICO_SERVER=http://%s PORTICO_TOKEN=$(cat %s)
  go run ./cmd/portico api list
`, cfg.DataDir, gw, n.AdminAddr(), filepath.Join(cfg.DataDir, TokenFile), cfg.BackendAddr,
		key, gw, gw, n.AdminAddr(), filepath.Join(cfg.DataDir, TokenFile))
}

var errConflict = errors.New("conflict")

// devClient is the few admin calls `portico dev` makes against its own node.
type devClient struct {
	base, token string
}

func (c *devClient) call(ctx context.Context, method, path, ctype string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	var idem [16]byte
	_, _ = rand.Read(idem[:])
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Idempotency-Key", hex.EncodeToString(idem[:]))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode == http.StatusConflict {
		return errConflict
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(b)))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// devNodeID is the dev node's ID.
const devNodeID = "dev"

// devTLS gives the dev node a cluster CA and certificate of its own (made once, in DATA/tls), so that dev runs with
// mutual TLS on its raft port like any node.
func devTLS(dataDir, id string) (string, error) {
	dir := filepath.Join(dataDir, "tls")
	_, cert, _ := certs.Files(dir, id)
	if _, err := os.Stat(cert); err == nil {
		return dir, certs.EnsureClusterKey(dir)
	}
	if err := certs.Init(dir, []string{id}, nil, time.Now()); err != nil {
		return "", fmt.Errorf("creating the dev node's TLS certificates: %w", err)
	}
	return dir, nil
}
