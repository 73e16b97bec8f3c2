package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"portico/raftstore"
)

// applyPath is the inter-node endpoint through which a member that is not the leader proposes a command of its own
// (the gateway's OAuth endpoints revoking tokens, for example).
const applyPath = "/internal/v1/apply"

// proposable lists the command kinds a member may propose through applyPath (what the gateway itself writes), each
// with a decoder of its result. Operator writes go through the admin API, which authorises them.
var proposable = map[string]func(json.RawMessage) (any, error){
	raftstore.RevokeTokens{}.Kind(): decodeResult[raftstore.RevokeResult],
}

func decodeResult[T any](b json.RawMessage) (any, error) {
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("decoding the leader's result: %w", err)
	}
	return v, nil
}

// applyResponse is the leader's answer on applyPath: the command's result and the index of the leader's state once
// it had applied it.
type applyResponse struct {
	Result json.RawMessage `json:"result"`
	Index  uint64          `json:"index"`
}

// applyRequest is the body of applyPath.
type applyRequest struct {
	RequestID string          `json:"requestId"`
	Kind      string          `json:"kind"`
	Payload   json.RawMessage `json:"payload"`
}

// proposer applies commands through the leader: locally when this node leads, over the inter-node link otherwise.
type proposer struct {
	n *Node
}

// Propose applies cmd with the idempotency key requestID and returns once the leader has applied it and this node's
// gateway serves it (bounded by servedWait): a token revoked through a node is refused by that node when the
// revocation returns.
func (p proposer) Propose(ctx context.Context, requestID string, cmd raftstore.Command) (any, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res, index, err := p.propose(ctx, requestID, cmd)
	if err != nil {
		return nil, err
	}
	if !waitServed(ctx, p.n.gw, index) {
		p.n.log.Warn("answering a proposal before this node serves it", "kind", cmd.Kind(), "index", index,
			"served", p.n.gw.ServedIndex())
	}
	return res, nil
}

// propose applies cmd through the leader and returns its result and the index of a state that holds it.
func (p proposer) propose(ctx context.Context, requestID string, cmd raftstore.Command) (any, uint64, error) {
	var last error
	for attempt := 0; attempt < 4; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return nil, 0, errors.Join(last, ctx.Err())
			case <-time.After(150 * time.Millisecond):
			}
		}
		switch leader := p.n.store.LeaderID(); leader {
		case "":
			last = errors.New("no leader")
		case p.n.cfg.ID:
			res, err := p.n.store.Apply(ctx, requestID, cmd)
			if !errors.Is(err, raftstore.ErrNotLeader) {
				return res, p.n.store.State().Index, err
			}
			last = err
		default:
			res, index, err := p.remote(ctx, leader, requestID, cmd)
			if err == nil {
				return res, index, nil
			}
			last = err
		}
	}
	return nil, 0, fmt.Errorf("proposing %s: %w", cmd.Kind(), last)
}

func (p proposer) remote(ctx context.Context, leader, requestID string, cmd raftstore.Command) (any, uint64, error) {
	kind, payload, err := raftstore.EncodeCommand(cmd)
	if err != nil {
		return nil, 0, err
	}
	decode, ok := proposable[kind]
	if !ok {
		return nil, 0, fmt.Errorf("command kind %s cannot be proposed by a member", kind)
	}
	body, err := json.Marshal(applyRequest{RequestID: requestID, Kind: kind, Payload: payload})
	if err != nil {
		return nil, 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, applyPath, bytes.NewReader(body))
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.n.peers.Do(leader, req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("leader %s: %s: %s", leader, resp.Status, wireMessage(msg))
	}
	var out applyResponse
	if err := json.Unmarshal(msg, &out); err != nil {
		return nil, 0, fmt.Errorf("leader %s: decoding its answer: %w", leader, err)
	}
	res, err := decode(out.Result)
	return res, out.Index, err
}

// serveApply is applyPath on the leader: it applies a command another member proposes (the link is mutual TLS
// between members, and only the kinds in proposable are taken).
func (n *Node) serveApply(w http.ResponseWriter, r *http.Request) {
	var req applyRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil || req.RequestID == "" {
		peerError(w, http.StatusBadRequest, "invalid_request", "body must be {requestId, kind, payload}")
		return
	}
	if proposable[req.Kind] == nil {
		peerError(w, http.StatusForbidden, "forbidden", "this command kind cannot be proposed by a member")
		return
	}
	cmd, err := raftstore.DecodeCommand(req.Kind, req.Payload)
	if err != nil {
		peerError(w, http.StatusBadRequest, "invalid_request", "undecodable command: "+err.Error())
		return
	}
	res, err := n.store.Apply(r.Context(), req.RequestID, cmd)
	if err != nil {
		n.log.Warn("applying a member's proposal", "kind", req.Kind, "err", err)
		peerError(w, http.StatusServiceUnavailable, "unavailable", "not applied here: "+err.Error())
		return
	}
	result, err := json.Marshal(res)
	if err != nil {
		peerError(w, http.StatusInternalServerError, "internal", "encoding the result failed")
		return
	}
	b, err := json.Marshal(applyResponse{Result: result, Index: n.store.State().Index})
	if err != nil {
		peerError(w, http.StatusInternalServerError, "internal", "encoding the result failed")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

// peerError writes a JSON wire error on the inter-node link.
func peerError(w http.ResponseWriter, status int, code, msg string) {
	b, _ := json.Marshal(map[string]string{"error": code, "message": msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
