package main

import (
	"github.com/urfave/cli/v2"
)

// nodeFlags configures `portico node run`.
type nodeFlags struct {
	ID          string
	DataDir     string
	GatewayAddr string
	AdminAddr   string
	RaftAddr    string
	Bootstrap   bool
	Join        string
	LogLevel    string
}

// devFlags configures `portico dev`.
type devFlags struct {
	DataDir     string
	GatewayAddr string
	AdminAddr   string
	RaftAddr    string
	BackendAddr string
	LogLevel    string
}

func nodeCommand() *cli.Command {
	f := &nodeFlags{}
	return &cli.Command{
		Name:  "node",
		Usage: "run a cluster node",
		Subcommands: []*cli.Command{{
			Name:      "run",
			Usage:     "run a node until SIGINT or SIGTERM, then drain and stop",
			UsageText: "portico node run --id n1 --data-dir DIR [--bootstrap | --join ADMIN_URL]",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "id", Usage: "node `ID` (required)", Destination: &f.ID},
				&cli.StringFlag{Name: "data-dir", Usage: "data `DIR` (required)", Destination: &f.DataDir},
				&cli.StringFlag{Name: "gateway-addr", Value: "127.0.0.1:8080", Usage: "gateway listener `ADDR`",
					Destination: &f.GatewayAddr},
				&cli.StringFlag{Name: "admin-addr", Value: "127.0.0.1:9080", Usage: "admin API listener `ADDR`",
					Destination: &f.AdminAddr},
				&cli.StringFlag{Name: "raft-addr", Value: "127.0.0.1:9090", Usage: "raft listener `ADDR`",
					Destination: &f.RaftAddr},
				&cli.BoolFlag{Name: "bootstrap", Usage: "create a new cluster on a fresh data dir",
					Destination: &f.Bootstrap},
				&cli.StringFlag{Name: "join", Usage: "join the cluster of the member with this admin `URL`",
					Destination: &f.Join},
				&cli.StringFlag{Name: "log-level", Value: "info", Usage: "debug, info, warn or error",
					Destination: &f.LogLevel},
			},
			Action: func(c *cli.Context) error {
				if err := f.check(c); err != nil {
					return err
				}
				return runNode(c.Context, *f)
			},
		}},
	}
}

func (f *nodeFlags) check(c *cli.Context) error {
	if err := wantArgs(c); err != nil {
		return err
	}
	if f.ID == "" || f.DataDir == "" {
		return usagef("node run: --id and --data-dir are required")
	}
	if f.Bootstrap && f.Join != "" {
		return usagef("node run: --bootstrap and --join exclude each other")
	}
	return nil
}

func devCommand() *cli.Command {
	f := &devFlags{}
	return &cli.Command{
		Name:  "dev",
		Usage: "run a single-node cluster with a demo backend, a demo API, an application and a key",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "data-dir", Value: "./.portico/dev", Usage: "data `DIR`", Destination: &f.DataDir},
			&cli.StringFlag{Name: "gateway-addr", Value: "127.0.0.1:8080", Usage: "gateway listener `ADDR`",
				Destination: &f.GatewayAddr},
			&cli.StringFlag{Name: "admin-addr", Value: "127.0.0.1:9080", Usage: "admin API listener `ADDR`",
				Destination: &f.AdminAddr},
			&cli.StringFlag{Name: "raft-addr", Value: "127.0.0.1:9090", Usage: "raft listener `ADDR`",
				Destination: &f.RaftAddr},
			&cli.StringFlag{Name: "backend-addr", Value: "127.0.0.1:9000", Usage: "demo backend listener `ADDR`",
				Destination: &f.BackendAddr},
			&cli.StringFlag{Name: "log-level", Value: "info", Usage: "debug, info, warn or error",
				Destination: &f.LogLevel},
		},
		Action: func(c *cli.Context) error {
			if err := wantArgs(c); err != nil {
				return err
			}
			return runDev(c.Context, *f)
		},
	}
}
