package main

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"portico/node"
)

func TestNodeRunConfig(t *testing.T) {
	base := []string{"node", "run", "--id", "n2", "--data-dir", "/d", "--raft-addr", "127.0.0.1:9091"}
	cases := []struct {
		name string
		args []string
		env  string // PORTICO_TOKEN
		want node.Config
	}{
		{"insecure bootstrap", []string{"--insecure", "--bootstrap"}, "", node.Config{Insecure: true, Bootstrap: true}},
		{"join with the global token", []string{"--tls-dir", "/tls", "--join", "http://127.0.0.1:9080",
			"--token", "t0k"}, "", node.Config{TLSDir: "/tls", Join: "http://127.0.0.1:9080", Token: "t0k",
			ClusterKeyFile: filepath.Join("/tls", "cluster.key")}},
		{"join with PORTICO_TOKEN", []string{"--tls-dir", "/tls", "--join", "http://h:1"}, "envtok",
			node.Config{TLSDir: "/tls", Join: "http://h:1", Token: "envtok",
				ClusterKeyFile: filepath.Join("/tls", "cluster.key")}},
		{"join with a token file", []string{"--insecure", "--join", "http://h:1", "--token-file", "/tok"}, "",
			node.Config{Insecure: true, Join: "http://h:1", TokenFile: "/tok"}},
		{"three TLS files", []string{"--tls-ca", "ca.crt", "--tls-cert", "n2.crt", "--tls-key", "n2.key"}, "",
			node.Config{TLSCA: "ca.crt", TLSCert: "n2.crt", TLSKey: "n2.key"}},
		{"raft peers and tuning", []string{"--insecure", "--raft-peer", "n1=127.0.0.1:19090", "--raft-peer",
			"n3=[::1]:19092", "--snapshot-threshold", "64", "--trailing-logs", "16", "--snapshot-interval", "250ms"}, "",
			node.Config{Insecure: true, RaftPeers: map[string]string{"n1": "127.0.0.1:19090", "n3": "[::1]:19092"},
				SnapshotThreshold: 64, TrailingLogs: 16, SnapshotInterval: 250 * time.Millisecond}},
		{"credentials settings", []string{"--insecure", "--key-grace", "2s", "--internal-addr", "127.0.0.1:8181",
			"--issuer", "https://gw.example", "--cluster-key", "/keys/cluster.key"}, "",
			node.Config{Insecure: true, KeyGrace: 2 * time.Second, InternalAddr: "127.0.0.1:8181",
				Issuer: "https://gw.example", ClusterKeyFile: "/keys/cluster.key"}},
		{"cluster key beside the TLS files", []string{"--tls-dir", "/tls"}, "",
			node.Config{TLSDir: "/tls", ClusterKeyFile: filepath.Join("/tls", "cluster.key")}},
		{"cluster key given with a TLS dir", []string{"--tls-dir", "/tls", "--cluster-key", "/k"}, "",
			node.Config{TLSDir: "/tls", ClusterKeyFile: "/k"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("PORTICO_TOKEN", tc.env)
			var got node.Config
			runNode = func(_ context.Context, cfg node.Config) error { got = cfg; return nil }
			t.Cleanup(func() { runNode = node.Run })
			runCLI(append(base, tc.args...)...).ok(t)
			want := tc.want
			if want.KeyGrace == 0 {
				want.KeyGrace = time.Hour // the default
			}
			want.ID, want.DataDir, want.RaftAddr = "n2", "/d", "127.0.0.1:9091"
			want.GatewayAddr, want.AdminAddr, want.LogLevel = "127.0.0.1:8080", "127.0.0.1:9080", "info"
			if !reflect.DeepEqual(got, want) {
				t.Errorf("config:\ngot  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	nodeRun := []string{"node", "run", "--id", "n1", "--data-dir", "d"}
	cases := []struct {
		name string
		args []string
		msg  string
	}{
		{"cluster without subcommand", []string{"cluster"}, "portico: cluster: a command is required"},
		{"unknown cluster subcommand", []string{"cluster", "grow"}, `portico: cluster: unknown command "grow"`},
		{"cluster remove without ID", []string{"cluster", "remove"}, "want 1 argument(s) [ID], got 0"},
		{"cluster status with an argument", []string{"cluster", "status", "n1"}, "want 0 argument(s)"},
		{"snapshot save without FILE", []string{"snapshot", "save"}, "want 1 argument(s) [FILE]"},
		{"snapshot restore with two files", []string{"snapshot", "restore", "a", "b"}, "want 1 argument(s) [FILE]"},
		{"plugin push without FILE", []string{"plugin", "push", "hdr", "1.0.0"},
			"want 3 argument(s) [NAME VERSION FILE], got 2"},
		{"plugin delete without VERSION", []string{"plugin", "delete", "hdr"}, "want 2 argument(s) [NAME VERSION]"},
		{"plugin list with an argument", []string{"plugin", "list", "x"}, "want 0 argument(s)"},
		{"tls init without flags", []string{"tls", "init"}, "--dir and --nodes are required"},
		{"tls init without nodes", []string{"tls", "init", "--dir", "d"}, "--dir and --nodes are required"},
		{"tls init with an argument", []string{"tls", "init", "--dir", "d", "--nodes", "n1", "x"}, "want 0 argument(s)"},
		{"deploy with a bad wait", []string{"deploy", "-f", "x", "--wait", "most"}, `--wait "most"`},
		{"stale takes no value", []string{"--stale=maybe", "cluster", "status"}, "stale"},
		{"node run without TLS", nodeRun, "exactly one of --tls-dir, --tls-ca/--tls-cert/--tls-key or --insecure"},
		{"node run with two TLS forms", append(nodeRun, "--tls-dir", "t", "--insecure"), "exactly one of --tls-dir"},
		{"node run with part of the TLS files", append(nodeRun, "--tls-ca", "ca", "--tls-cert", "c"),
			"--tls-ca, --tls-cert and --tls-key go together"},
		{"join without a token", append(nodeRun, "--insecure", "--join", "http://h:1"), "--join needs an admin token"},
		{"raft peer without =", append(nodeRun, "--insecure", "--raft-peer", "n2"), `--raft-peer "n2": want ID=HOST:PORT`},
		{"raft peer without port", append(nodeRun, "--insecure", "--raft-peer", "n2=host"), `--raft-peer "n2=host"`},
		{"raft peer without ID", append(nodeRun, "--insecure", "--raft-peer", "=h:1"), `--raft-peer "=h:1"`},
		{"raft peer without host", append(nodeRun, "--insecure", "--raft-peer", "n2=:1"), `--raft-peer "n2=:1"`},
		{"raft peer twice", append(nodeRun, "--insecure", "--raft-peer", "n2=h:1", "--raft-peer", "n2=h:2"),
			`--raft-peer: peer "n2" given twice`},
		{"bad snapshot threshold", append(nodeRun, "--insecure", "--snapshot-threshold", "-1"), "snapshot-threshold"},
		{"negative key grace", append(nodeRun, "--insecure", "--key-grace", "-1s"), "--key-grace cannot be negative"},
		{"bad key grace", append(nodeRun, "--insecure", "--key-grace", "soon"), "key-grace"},
	}
	t.Setenv("PORTICO_TOKEN", "")
	runNode = func(context.Context, node.Config) error { return errors.New("node started") }
	t.Cleanup(func() { runNode = node.Run })
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAdmin(t)
			runCLI(append([]string{"--server", f.url}, tc.args...)...).failed(t, exitUsage, tc.msg)
			if n := len(f.requests()); n != 0 {
				t.Errorf("requests: got %d, want none", n)
			}
		})
	}
}
