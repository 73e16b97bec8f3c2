package node

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	good := Config{ID: "n1", DataDir: "/tmp/x", GatewayAddr: "127.0.0.1:8080", AdminAddr: "127.0.0.1:9080",
		RaftAddr: "127.0.0.1:9090", Bootstrap: true, TLSDir: "/tmp/tls"}
	cases := []struct {
		name string
		edit func(*Config)
		want string // substring of the error; "" = valid
	}{
		{"valid", func(*Config) {}, ""},
		{"no id", func(c *Config) { c.ID = "" }, "--id: required"},
		{"no data dir", func(c *Config) { c.DataDir = "" }, "--data-dir: required"},
		{"bad gateway addr", func(c *Config) { c.GatewayAddr = "8080" }, "--gateway-addr"},
		{"bad raft addr", func(c *Config) { c.RaftAddr = "" }, "--raft-addr"},
		{"bootstrap and join", func(c *Config) { c.Join = "http://127.0.0.1:9081" }, "choose one"},
		{"bad log level", func(c *Config) { c.LogLevel = "loud" }, "--log-level"},
		{"log level upper case", func(c *Config) { c.LogLevel = "DEBUG" }, ""},
		{"join", func(c *Config) { c.Bootstrap, c.Join = false, "http://127.0.0.1:9081" }, ""},
		{"join not a URL", func(c *Config) { c.Bootstrap, c.Join = false, "127.0.0.1:9081" }, "--join"},
		{"insecure", func(c *Config) { c.TLSDir, c.Insecure = "", true }, ""},
		{"tls files", func(c *Config) { c.TLSDir, c.TLSCA, c.TLSCert, c.TLSKey = "", "ca", "c", "k" }, ""},
		{"no tls", func(c *Config) { c.TLSDir = "" }, "--tls-dir: required"},
		{"insecure and tls", func(c *Config) { c.Insecure = true }, "--insecure: cannot be combined"},
		{"tls dir and files", func(c *Config) { c.TLSCA = "ca" }, "--tls-dir: cannot be combined"},
		{"tls files incomplete", func(c *Config) { c.TLSDir, c.TLSCA = "", "ca" }, "all three are required"},
		{"bad raft peer", func(c *Config) { c.RaftPeers = map[string]string{"n2": "nope"} }, "--raft-peer"},
		{"internal addr", func(c *Config) { c.InternalAddr = "127.0.0.1:8081" }, ""},
		{"bad internal addr", func(c *Config) { c.InternalAddr = "8081" }, "--internal-addr"},
		{"negative key grace", func(c *Config) { c.KeyGrace = -time.Second }, "--key-grace"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := good
			c.edit(&cfg)
			err := cfg.validate()
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("got %v, want no error", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}
