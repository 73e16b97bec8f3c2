package raftstore

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

const (
	transportMaxPool = 3
	transportTimeout = 10 * time.Second
)

// newTransport builds the raft transport: over cfg.StreamLayer if set, else raft's plain TCP stream layer listening
// on cfg.RaftAddr, which is also the advertised address (port 0 advertises the port picked). peers, if not nil,
// overrides the address dialled per server ID.
func newTransport(cfg Config, peers *peerAddrs, logger hclog.Logger) (*raft.NetworkTransport, error) {
	tc := &raft.NetworkTransportConfig{MaxPool: transportMaxPool, Timeout: transportTimeout, Logger: logger}
	if peers != nil { // a nil *peerAddrs in the interface would not be nil to raft
		tc.ServerAddressProvider = peers
	}
	if cfg.StreamLayer != nil {
		tc.Stream = cfg.StreamLayer
		return raft.NewNetworkTransportWithConfig(tc), nil
	}
	trans, err := raft.NewTCPTransportWithConfig(cfg.RaftAddr, nil, tc)
	if err != nil {
		return nil, fmt.Errorf("listening for raft on %s: %w", cfg.RaftAddr, err)
	}
	return trans, nil
}

// peerAddrs is the raft.ServerAddressProvider of Config.PeerAddrs: listed IDs are dialled at their override, the
// others at their address in the latest raft configuration.
type peerAddrs struct {
	overrides map[string]string
	raft      atomic.Pointer[raft.Raft] // set once raft is started; the transport may dial before
}

// newPeerAddrs returns nil (no provider: raft dials the configured addresses) if there is no override.
func newPeerAddrs(overrides map[string]string) *peerAddrs {
	if len(overrides) == 0 {
		return nil
	}
	p := &peerAddrs{overrides: make(map[string]string, len(overrides))}
	for id, addr := range overrides {
		p.overrides[id] = addr
	}
	return p
}

// ServerAddr implements raft.ServerAddressProvider.
func (p *peerAddrs) ServerAddr(id raft.ServerID) (raft.ServerAddress, error) {
	if addr, ok := p.overrides[string(id)]; ok {
		return raft.ServerAddress(addr), nil
	}
	if r := p.raft.Load(); r != nil {
		for _, srv := range r.GetConfiguration().Configuration().Servers {
			if srv.ID == id {
				return srv.Address, nil
			}
		}
	}
	return "", errors.New("no address for server " + string(id)) // raft then dials the address it was given
}

var _ raft.ServerAddressProvider = (*peerAddrs)(nil)
