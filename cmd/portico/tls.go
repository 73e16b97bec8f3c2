package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"portico/node/certs"
)

// tlsFlags configures `portico tls init`.
type tlsFlags struct {
	Dir   string
	Nodes cli.StringSlice
	Hosts cli.StringSlice
}

func tlsCommand(g *globalFlags) *cli.Command {
	f := &tlsFlags{}
	return &cli.Command{
		Name:  "tls",
		Usage: "create the certificates for mutual TLS between nodes",
		Subcommands: []*cli.Command{{
			Name:      "init",
			Usage:     "write a cluster CA (or reuse the one in --dir) and a certificate and key per node",
			UsageText: "portico tls init --dir D --nodes n1,n2,n3 [--hosts h1,h2]",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "dir", Usage: "directory to write the files into (`DIR`, required)",
					Destination: &f.Dir},
				&cli.StringSliceFlag{Name: "nodes", Usage: "node `IDS`, comma-separated (required)",
					Destination: &f.Nodes},
				&cli.StringSliceFlag{Name: "hosts", Usage: "extra IPs or DNS names every node certificate names",
					Destination: &f.Hosts},
			},
			Action: func(c *cli.Context) error { return tlsInit(c, g, f) },
		}},
	}
}

// tlsFiles is the result of `tls init`.
type tlsFiles struct {
	Dir   string   `json:"dir"`
	Files []string `json:"files"`
}

func tlsInit(c *cli.Context, g *globalFlags, f *tlsFlags) error {
	if err := wantArgs(c); err != nil {
		return err
	}
	if f.Dir == "" || len(f.Nodes.Value()) == 0 {
		return usagef("tls init: --dir and --nodes are required")
	}
	p, err := newPrinter(c.App.Writer, g.Output)
	if err != nil {
		return err
	}
	candidates := tlsCandidates(f.Dir, f.Nodes.Value())
	before := existing(candidates)
	if err := certs.Init(f.Dir, f.Nodes.Value(), f.Hosts.Value(), time.Now()); err != nil {
		return fmt.Errorf("tls init: %w", err)
	}
	res := tlsFiles{Dir: f.Dir, Files: []string{}}
	for _, path := range candidates {
		if !before[path] && existing([]string{path})[path] {
			res.Files = append(res.Files, path)
		}
	}
	return p.print(res, func(w io.Writer) {
		for _, path := range res.Files {
			fmt.Fprintf(w, "wrote %s\n", path)
		}
	})
}

// tlsCandidates are the files tls init may write: the CA's and the cluster key, then each node's.
func tlsCandidates(dir string, nodes []string) []string {
	ca, _, _ := certs.Files(dir, "")
	paths := []string{ca, filepath.Join(dir, "ca.key"), filepath.Join(dir, clusterKeyName)}
	for _, id := range nodes {
		_, cert, key := certs.Files(dir, id)
		paths = append(paths, cert, key)
	}
	return paths
}

// existing says which of paths exist.
func existing(paths []string) map[string]bool {
	m := map[string]bool{}
	for _, p := range paths {
		if _, err := os.Lstat(p); err == nil {
			m[p] = true
		}
	}
	return m
}
