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
	"net/http"
	"os"
	"strings"
	"time"

	"portico/raftstore"
	"portico/raftstore/state"
)

// Bounds of joining and registering.
const (
	joinWait      = 60 * time.Second // how long --join keeps trying a member that cannot answer yet
	joinRetry     = 500 * time.Millisecond
	registerEvery = 2 * time.Second
)

// self is this node's entry in the member registry.
func (n *Node) self() state.Node {
	return state.Node{
		ID: n.cfg.ID, RaftAddr: n.mux.Addr().String(),
		AdminURL: "http://" + n.admLn.Addr().String(), GatewayURL: "http://" + n.gwLn.Addr().String(),
	}
}

// joinToken is the admin token --join presents.
func (c *Config) joinToken() (string, error) {
	if c.Token != "" {
		return c.Token, nil
	}
	if c.TokenFile == "" {
		return "", errors.New("--join: an admin token is required (--token, PORTICO_TOKEN or --token-file)")
	}
	b, err := os.ReadFile(c.TokenFile)
	if err != nil {
		return "", fmt.Errorf("--token-file: %w", err)
	}
	t := strings.TrimSpace(string(b))
	if t == "" {
		return "", fmt.Errorf("--token-file: %s is empty", c.TokenFile)
	}
	return t, nil
}

// join asks the member at cfg.Join to add this node as a voter. It retries while the cluster cannot answer (no
// leader yet, member starting) and gives up at once on a refusal.
func (n *Node) join(ctx context.Context) error {
	token, err := n.cfg.joinToken()
	if err != nil {
		return err
	}
	body, err := json.Marshal(n.self())
	if err != nil {
		return fmt.Errorf("--join: %w", err)
	}
	url := strings.TrimRight(n.cfg.Join, "/") + "/v1/cluster/join"
	key := "join-" + n.cfg.ID + "-" + randomHex(8)
	ctx, cancel := context.WithTimeout(ctx, joinWait)
	defer cancel()
	for {
		retry, err := n.joinOnce(ctx, url, token, key, body)
		if err == nil {
			n.log.Info("joined the cluster", "via", n.cfg.Join)
			return nil
		}
		if !retry {
			return fmt.Errorf("--join %s: %w", n.cfg.Join, err)
		}
		n.log.Warn("joining the cluster: retrying", "via", n.cfg.Join, "err", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("--join %s: gave up after %s: %w", n.cfg.Join, joinWait, err)
		case <-time.After(joinRetry):
		}
	}
}

func (n *Node) joinOnce(ctx context.Context, url, token, key string, body []byte) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Idempotency-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return true, err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	switch {
	case resp.StatusCode == http.StatusOK:
		return false, nil
	case resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode >= 500:
		return true, fmt.Errorf("%s: %s", resp.Status, wireMessage(msg))
	}
	return false, fmt.Errorf("%s: %s", resp.Status, wireMessage(msg))
}

// wireMessage is the message of a JSON wire error, or the body itself.
func wireMessage(body []byte) string {
	var e struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) == nil && e.Message != "" {
		return e.Message
	}
	return strings.TrimSpace(string(body))
}

// register keeps this node's registry entry (its admin, gateway and raft addresses) current, until the node stops:
// a member announces itself after each start, and again if a restore or a removal dropped the entry.
func (n *Node) register() {
	t := time.NewTicker(registerEvery)
	defer t.Stop()
	for {
		if err := n.registerOnce(); err != nil {
			n.log.Debug("registering this node: will retry", "err", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := n.ensureSigningKey(ctx); err != nil {
			n.log.Warn("creating the first token signing key: will retry", "err", err)
		}
		cancel()
		select {
		case <-n.stopped:
			return
		case <-t.C:
		}
	}
}

func (n *Node) registerOnce() error {
	want := n.self()
	if have, ok := n.store.State().Nodes[want.ID]; ok && have.RaftAddr == want.RaftAddr &&
		have.AdminURL == want.AdminURL && have.GatewayURL == want.GatewayURL {
		return nil
	}
	if !n.isMember() {
		return errors.New("not a member of the raft configuration")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	leader := n.store.LeaderID()
	switch leader {
	case "":
		return errors.New("no leader")
	case n.cfg.ID:
		want.UpdatedAt = time.Now().UnixMilli()
		_, err := n.store.Apply(ctx, "register-"+want.ID+"-"+randomHex(8), raftstore.RegisterNode{Node: want})
		return err
	}
	body, err := json.Marshal(want)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "/internal/v1/register", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := n.peers.Do(leader, req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("leader %s: %s: %s", leader, resp.Status, wireMessage(msg))
	}
	return nil
}

func (n *Node) isMember() bool {
	members, err := n.store.Members()
	if err != nil {
		return false
	}
	for _, m := range members {
		if m.ID == n.cfg.ID {
			return true
		}
	}
	return false
}

// randomHex returns n crypto-random bytes in hex (crypto/rand.Read never fails; it panics instead).
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
