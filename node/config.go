package node

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"portico/node/certs"
	"portico/node/peer"
)

// Config is a node's static configuration (flags). The replicated, hot-reloaded state lives in raftstore.
type Config struct {
	ID          string
	DataDir     string
	GatewayAddr string
	AdminAddr   string
	RaftAddr    string
	Bootstrap   bool
	Join        string
	LogLevel    string

	// Token authorises --join with the cluster (an admin token); TokenFile is read if Token is empty.
	Token     string
	TokenFile string

	// Mutual TLS between nodes: TLSDir holds ca.crt, <id>.crt and <id>.key (from `portico tls init`), or the three
	// files are named one by one. Insecure runs plain text between nodes instead (local development only).
	TLSDir   string
	TLSCA    string
	TLSCert  string
	TLSKey   string
	Insecure bool

	// RaftPeers overrides, per peer ID, the address this node dials to reach that peer (fault-injection proxies).
	RaftPeers map[string]string
	// Snapshot tuning; 0 = defaults.
	SnapshotThreshold uint64
	TrailingLogs      uint64
	SnapshotInterval  time.Duration

	// InternalAddr, if set, is a second gateway listener that also serves APIs whose access mode is internal.
	InternalAddr string
	// KeyGrace is how long a regenerated API key's predecessor stays valid; 0 = one hour.
	KeyGrace time.Duration
	// Issuer is the "iss" of the tokens this cluster issues; "" = "portico".
	Issuer string
	// ClusterKeyFile holds the 32-byte secret every node shares (it seals token signing keys in the replicated
	// state); "" = cluster.key in TLSDir.
	ClusterKeyFile string

	// DrainTimeout bounds how long shutdown waits for in-flight requests; 0 = 15s.
	DrainTimeout time.Duration
	// Stdout receives the one-time bootstrap message with the first admin token; nil = os.Stdout.
	Stdout *os.File
}

func (c *Config) validate() error {
	var errs []error
	if c.ID == "" {
		errs = append(errs, errors.New("--id: required"))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("--data-dir: required"))
	}
	for _, a := range []struct{ flag, addr string }{
		{"--gateway-addr", c.GatewayAddr}, {"--admin-addr", c.AdminAddr}, {"--raft-addr", c.RaftAddr},
	} {
		if _, _, err := net.SplitHostPort(a.addr); err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not host:port", a.flag, a.addr))
		}
	}
	if c.Bootstrap && c.Join != "" {
		errs = append(errs, errors.New("--bootstrap and --join: choose one"))
	}
	if c.Join != "" {
		if u, err := url.Parse(c.Join); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("--join: %q is not the http(s):// URL of a member's admin API", c.Join))
		}
	}
	if c.InternalAddr != "" {
		if _, _, err := net.SplitHostPort(c.InternalAddr); err != nil {
			errs = append(errs, fmt.Errorf("--internal-addr: %q is not host:port", c.InternalAddr))
		}
	}
	if c.KeyGrace < 0 {
		errs = append(errs, fmt.Errorf("--key-grace: %s is negative", c.KeyGrace))
	}
	errs = append(errs, c.validateTLS()...)
	for id, addr := range c.RaftPeers {
		if _, _, err := net.SplitHostPort(addr); err != nil || id == "" {
			errs = append(errs, fmt.Errorf("--raft-peer: %q=%q is not ID=host:port", id, addr))
		}
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func parseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "", "info":
		return slog.LevelInfo, nil
	case "debug":
		return slog.LevelDebug, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("--log-level: %q is not one of debug, info, warn, error", s)
}

// validateTLS checks that exactly one way of securing the inter-node link is chosen.
func (c *Config) validateTLS() []error {
	files := c.TLSCA != "" || c.TLSCert != "" || c.TLSKey != ""
	switch {
	case c.Insecure && (files || c.TLSDir != ""):
		return []error{errors.New("--insecure: cannot be combined with --tls-dir or --tls-ca/--tls-cert/--tls-key")}
	case files && c.TLSDir != "":
		return []error{errors.New("--tls-dir: cannot be combined with --tls-ca/--tls-cert/--tls-key")}
	case files && (c.TLSCA == "" || c.TLSCert == "" || c.TLSKey == ""):
		return []error{errors.New("--tls-ca, --tls-cert and --tls-key: all three are required together")}
	case !c.Insecure && !files && c.TLSDir == "":
		return []error{errors.New("--tls-dir: required (files from `portico tls init`), or --insecure for " +
			"plain text between nodes (local development only)")}
	}
	return nil
}

// tlsFiles names the CA, certificate and key of this node.
func (c *Config) tlsFiles() peer.TLSFiles {
	if c.TLSDir != "" {
		ca, cert, key := certs.Files(c.TLSDir, c.ID)
		return peer.TLSFiles{CA: ca, Cert: cert, Key: key}
	}
	return peer.TLSFiles{CA: c.TLSCA, Cert: c.TLSCert, Key: c.TLSKey}
}
