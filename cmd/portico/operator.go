package main

import (
	"github.com/urfave/cli/v2"

	"portico/cmd/portico/internal/client"
)

// version is the binary's version, set at build time with -ldflags "-X main.version=...".
var version = "dev"

// operator is what every operator command needs: an admin API client and a printer for its result.
type operator struct {
	client *client.Client
	out    printer
}

// newOperator builds the client and printer from the global flags.
func newOperator(c *cli.Context, g *globalFlags) (*operator, error) {
	p, err := newPrinter(c.App.Writer, g.Output)
	if err != nil {
		return nil, err
	}
	server, token, err := g.endpoint()
	if err != nil {
		return nil, err
	}
	cl, err := newClient(server, token, g.Stale)
	if err != nil {
		return nil, err
	}
	return &operator{client: cl, out: p}, nil
}

// newClient builds an admin API client; a bad server URL is a usage error.
func newClient(server, token string, stale bool) (*client.Client, error) {
	cl, err := client.New(client.Config{Server: server, Token: token, UserAgent: "portico-cli/" + version,
		Stale: stale})
	if err != nil {
		return nil, usagef("--server: %v", err)
	}
	return cl, nil
}

// action wraps an operator command's body: it checks the positional arguments and builds the operator first.
func action(g *globalFlags, args []string, body func(c *cli.Context, op *operator) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		if err := wantArgs(c, args...); err != nil {
			return err
		}
		op, err := newOperator(c, g)
		if err != nil {
			return err
		}
		return body(c, op)
	}
}
