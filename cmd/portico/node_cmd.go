package main

import (
	"net"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
)

// nodeFlags configures `portico node run`.
type nodeFlags struct {
	ID                string
	DataDir           string
	GatewayAddr       string
	AdminAddr         string
	RaftAddr          string
	Bootstrap         bool
	Join              string
	LogLevel          string
	TokenFile         string
	TLSDir            string
	TLSCA             string
	TLSCert           string
	TLSKey            string
	Insecure          bool
	RaftPeers         cli.StringSlice
	SnapshotThreshold uint64
	TrailingLogs      uint64
	SnapshotInterval  time.Duration
	KeyGrace          time.Duration
	InternalAddr      string
	Issuer            string
	ClusterKey        string
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

func nodeCommand(g *globalFlags) *cli.Command {
	f := &nodeFlags{}
	return &cli.Command{
		Name:  "node",
		Usage: "run a cluster node",
		Subcommands: []*cli.Command{{
			Name:  "run",
			Usage: "run a node until SIGINT or SIGTERM, then drain and stop",
			UsageText: "portico node run --id n1 --data-dir DIR (--tls-dir D | --tls-ca F --tls-cert F --tls-key F | " +
				"--insecure) [--bootstrap | --join ADMIN_URL]",
			Flags: f.flags(),
			Action: func(c *cli.Context) error {
				peers, err := f.check(c, g.Token)
				if err != nil {
					return err
				}
				return runNode(c.Context, nodeConfig(*f, g.Token, peers))
			},
		}},
	}
}

func (f *nodeFlags) flags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "id", Usage: "node `ID` (required)", Destination: &f.ID},
		&cli.StringFlag{Name: "data-dir", Usage: "data `DIR` (required)", Destination: &f.DataDir},
		&cli.StringFlag{Name: "gateway-addr", Value: "127.0.0.1:8080", Usage: "gateway listener `ADDR`",
			Destination: &f.GatewayAddr},
		&cli.StringFlag{Name: "admin-addr", Value: "127.0.0.1:9080", Usage: "admin API listener `ADDR`",
			Destination: &f.AdminAddr},
		&cli.StringFlag{Name: "raft-addr", Value: "127.0.0.1:9090", Usage: "raft listener `ADDR`",
			Destination: &f.RaftAddr},
		&cli.BoolFlag{Name: "bootstrap", Usage: "create a new cluster on a fresh data dir", Destination: &f.Bootstrap},
		&cli.StringFlag{Name: "join", Usage: "join the cluster of the member with this admin `URL` (needs an admin " +
			"token: --token, PORTICO_TOKEN or --token-file)", Destination: &f.Join},
		&cli.StringFlag{Name: "token-file", Usage: "`FILE` holding the admin token for --join",
			Destination: &f.TokenFile},
		&cli.StringFlag{Name: "log-level", Value: "info", Usage: "debug, info, warn or error",
			Destination: &f.LogLevel},
		&cli.StringFlag{Name: "tls-dir", Usage: "`DIR` with ca.crt, <id>.crt and <id>.key from 'portico tls init'",
			Destination: &f.TLSDir},
		&cli.StringFlag{Name: "tls-ca", Usage: "cluster CA certificate `FILE`", Destination: &f.TLSCA},
		&cli.StringFlag{Name: "tls-cert", Usage: "this node's certificate `FILE`", Destination: &f.TLSCert},
		&cli.StringFlag{Name: "tls-key", Usage: "this node's key `FILE`", Destination: &f.TLSKey},
		&cli.BoolFlag{Name: "insecure", Usage: "plain text between nodes (local development only)",
			Destination: &f.Insecure},
		&cli.StringSliceFlag{Name: "raft-peer", Usage: "dial `ID=HOST:PORT` to reach peer ID (repeatable)",
			Destination: &f.RaftPeers},
		&cli.Uint64Flag{Name: "snapshot-threshold", Usage: "raft log entries between snapshots (0 = default)",
			Destination: &f.SnapshotThreshold},
		&cli.Uint64Flag{Name: "trailing-logs", Usage: "raft log entries kept after a snapshot (0 = default)",
			Destination: &f.TrailingLogs},
		&cli.DurationFlag{Name: "snapshot-interval", Usage: "how often the snapshot threshold is checked (0 = default 2m)",
			Destination: &f.SnapshotInterval},
		&cli.DurationFlag{Name: "key-grace", Value: time.Hour, Destination: &f.KeyGrace,
			Usage: "how long a regenerated API key's predecessor stays valid"},
		&cli.StringFlag{Name: "internal-addr", Destination: &f.InternalAddr,
			Usage: "internal gateway listener `ADDR`, which also serves APIs whose access mode is internal"},
		&cli.StringFlag{Name: "issuer", Destination: &f.Issuer,
			Usage: "`URL` in the iss claim of the access tokens the cluster issues (default portico)"},
		&cli.StringFlag{Name: "cluster-key", Destination: &f.ClusterKey, Usage: "`FILE` with the 32-byte secret " +
			"every node shares, which seals the token signing keys (default: cluster.key in --tls-dir)"},
	}
}

// check refuses an inconsistent `node run` command line and returns the parsed --raft-peer overrides.
func (f *nodeFlags) check(c *cli.Context, token string) (map[string]string, error) {
	if err := wantArgs(c); err != nil {
		return nil, err
	}
	if f.ID == "" || f.DataDir == "" {
		return nil, usagef("node run: --id and --data-dir are required")
	}
	if f.Bootstrap && f.Join != "" {
		return nil, usagef("node run: --bootstrap and --join exclude each other")
	}
	if f.Join != "" && token == "" && f.TokenFile == "" {
		return nil, usagef("node run: --join needs an admin token: --token, PORTICO_TOKEN or --token-file")
	}
	if err := f.checkTLS(); err != nil {
		return nil, err
	}
	if f.KeyGrace < 0 {
		return nil, usagef("node run: --key-grace cannot be negative")
	}
	return parsePeers(f.RaftPeers.Value())
}

// checkTLS requires exactly one of --tls-dir, the three --tls-ca/--tls-cert/--tls-key files, or --insecure.
func (f *nodeFlags) checkTLS() error {
	files := 0
	for _, v := range []string{f.TLSCA, f.TLSCert, f.TLSKey} {
		if v != "" {
			files++
		}
	}
	if files != 0 && files != 3 {
		return usagef("node run: --tls-ca, --tls-cert and --tls-key go together")
	}
	forms := 0
	for _, set := range []bool{f.TLSDir != "", files == 3, f.Insecure} {
		if set {
			forms++
		}
	}
	if forms != 1 {
		return usagef("node run: give exactly one of --tls-dir, --tls-ca/--tls-cert/--tls-key or --insecure")
	}
	return nil
}

// parsePeers reads the repeated --raft-peer ID=HOST:PORT values; nil when there are none.
func parsePeers(values []string) (map[string]string, error) {
	if len(values) == 0 {
		return nil, nil
	}
	peers := make(map[string]string, len(values))
	for _, v := range values {
		id, addr, ok := strings.Cut(v, "=")
		host, port, err := net.SplitHostPort(addr)
		if !ok || id == "" || err != nil || host == "" || port == "" {
			return nil, usagef("node run: --raft-peer %q: want ID=HOST:PORT", v)
		}
		if _, dup := peers[id]; dup {
			return nil, usagef("node run: --raft-peer: peer %q given twice", id)
		}
		peers[id] = addr
	}
	return peers, nil
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
