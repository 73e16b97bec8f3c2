package raftstore

import (
	"fmt"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

const (
	transportMaxPool = 3
	transportTimeout = 10 * time.Second
)

// newTransport listens on addr, which is also the advertised address (port 0 advertises the port picked), with raft's
// plain TCP stream layer. A TLS stream layer replaces it here, through raft.NewNetworkTransportWithConfig.
func newTransport(addr string, logger hclog.Logger) (*raft.NetworkTransport, error) {
	trans, err := raft.NewTCPTransportWithConfig(addr, nil, &raft.NetworkTransportConfig{
		MaxPool: transportMaxPool,
		Timeout: transportTimeout,
		Logger:  logger,
	})
	if err != nil {
		return nil, fmt.Errorf("listening for raft on %s: %w", addr, err)
	}
	return trans, nil
}
