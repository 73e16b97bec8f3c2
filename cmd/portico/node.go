package main

import (
	"context"

	"portico/node"
)

// runNode runs a node with the flags of `portico node run`.
func runNode(ctx context.Context, f nodeFlags) error {
	return node.Run(ctx, node.Config{
		ID: f.ID, DataDir: f.DataDir, GatewayAddr: f.GatewayAddr, AdminAddr: f.AdminAddr, RaftAddr: f.RaftAddr,
		Bootstrap: f.Bootstrap, Join: f.Join, LogLevel: f.LogLevel,
	})
}

// runDev runs `portico dev`.
func runDev(ctx context.Context, f devFlags) error {
	return node.RunDev(ctx, node.DevConfig{
		DataDir: f.DataDir, GatewayAddr: f.GatewayAddr, AdminAddr: f.AdminAddr, RaftAddr: f.RaftAddr,
		BackendAddr: f.BackendAddr, LogLevel: f.LogLevel,
	})
}
