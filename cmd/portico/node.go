package main

import (
	"context"
	"path/filepath"

	"portico/node"
)

// runNode runs a node with the config of `portico node run`; tests replace it to see the config.
var runNode = node.Run

// nodeConfig maps the flags of `portico node run`, the global admin token and the parsed --raft-peer overrides to
// the node's config.
func nodeConfig(f nodeFlags, token string, peers map[string]string) node.Config {
	return node.Config{
		ID: f.ID, DataDir: f.DataDir, GatewayAddr: f.GatewayAddr, AdminAddr: f.AdminAddr, RaftAddr: f.RaftAddr,
		Bootstrap: f.Bootstrap, Join: f.Join, LogLevel: f.LogLevel,
		Token: token, TokenFile: f.TokenFile,
		TLSDir: f.TLSDir, TLSCA: f.TLSCA, TLSCert: f.TLSCert, TLSKey: f.TLSKey, Insecure: f.Insecure,
		RaftPeers: peers, SnapshotThreshold: f.SnapshotThreshold, TrailingLogs: f.TrailingLogs,
		SnapshotInterval: f.SnapshotInterval,
		KeyGrace:         f.KeyGrace, InternalAddr: f.InternalAddr, Issuer: f.Issuer, ClusterKeyFile: clusterKeyFile(f),
	}
}

// clusterKeyName is the cluster key's file in a --tls-dir, beside the files of 'portico tls init'.
const clusterKeyName = "cluster.key"

// clusterKeyFile is --cluster-key, else cluster.key in --tls-dir when that is given.
func clusterKeyFile(f nodeFlags) string {
	if f.ClusterKey == "" && f.TLSDir != "" {
		return filepath.Join(f.TLSDir, clusterKeyName)
	}
	return f.ClusterKey
}

// runDev runs `portico dev`.
func runDev(ctx context.Context, f devFlags) error {
	return node.RunDev(ctx, node.DevConfig{
		DataDir: f.DataDir, GatewayAddr: f.GatewayAddr, AdminAddr: f.AdminAddr, RaftAddr: f.RaftAddr,
		BackendAddr: f.BackendAddr, LogLevel: f.LogLevel,
	})
}
