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
	cl, err := client.New(client.Config{Server: g.Server, Token: g.Token, UserAgent: "portico-cli/" + version,
		Stale: g.Stale})
	if err != nil {
		return nil, usagef("--server: %v", err)
	}
	return &operator{client: cl, out: p}, nil
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
