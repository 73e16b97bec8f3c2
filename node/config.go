package node

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"
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
		errs = append(errs, errors.New("--join: joining a cluster is not supported yet"))
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
