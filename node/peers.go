package node

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"portico/node/peer"
	"portico/raftstore"
)

// peers reaches other members over the inter-node link: a member's address is its raft address (the raft
// configuration's, then the registry's), unless a --raft-peer override names another.
type peers struct {
	store     *raftstore.Store
	client    *http.Client
	overrides map[string]string
}

func newPeers(store *raftstore.Store, t *peer.TLS, overrides map[string]string) *peers {
	return &peers{store: store, client: peer.NewClient(t, nil), overrides: overrides}
}

// Do sends req (path and query only) to member id.
func (p *peers) Do(id string, req *http.Request) (*http.Response, error) {
	addr, err := p.addr(id)
	if err != nil {
		return nil, err
	}
	req.URL.Scheme, req.URL.Host, req.Host = "http", addr, addr
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("calling member %s: %w", id, err)
	}
	return resp, nil
}

func (p *peers) addr(id string) (string, error) {
	if a, ok := p.overrides[id]; ok {
		return a, nil
	}
	members, err := p.store.Members()
	if err == nil {
		for _, m := range members {
			if m.ID == id {
				return m.RaftAddr, nil
			}
		}
	}
	if n, ok := p.store.State().Nodes[id]; ok {
		return n.RaftAddr, nil
	}
	return "", fmt.Errorf("calling member %s: no address known for it", id)
}

// getJSON GETs path from member id and decodes a 200 answer into out.
func (p *peers) getJSON(ctx context.Context, id, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, path, nil)
	if err != nil {
		return fmt.Errorf("building request: %w", err)
	}
	resp, err := p.Do(id, req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("reading %s from %s: %w", path, id, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s from %s: %s: %s", path, id, resp.Status, body)
	}
	return json.Unmarshal(body, out)
}
