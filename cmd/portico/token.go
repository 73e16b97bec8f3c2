package main

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"portico/cmd/portico/internal/client"
)

func tokenCommand(g *globalFlags) *cli.Command {
	return &cli.Command{
		Name:  "token",
		Usage: "list and revoke admin tokens: your own, or every user's as an admin (see also 'portico logout')",
		Subcommands: []*cli.Command{
			{Name: "list", Usage: "list admin tokens (never their values)", Action: action(g, nil, tokenList)},
			{Name: "revoke", Usage: "revoke an admin token at once", ArgsUsage: "ID",
				Action: action(g, []string{"ID"}, tokenRevoke)},
		},
	}
}

func tokenList(c *cli.Context, op *operator) error {
	tokens, err := op.client.ListTokens(c.Context)
	if err != nil {
		return err
	}
	return op.out.print(tokens, func(w io.Writer) {
		row(w, "ID", "USER", "NAME", "ROLE", "CREATED", "EXPIRES")
		for _, t := range tokens {
			user := t.User
			if user == "" {
				user = "(bootstrap)"
			}
			row(w, t.ID, user, dash(t.Name), t.Role, millis(t.CreatedAt), millis(t.ExpiresAt))
		}
	})
}

func tokenRevoke(c *cli.Context, op *operator) error {
	id := c.Args().First()
	if err := op.client.RevokeToken(c.Context, id); err != nil {
		return err
	}
	res := client.Deleted{ID: id, Deleted: true}
	return op.out.print(res, func(w io.Writer) { fmt.Fprintf(w, "revoked admin token %s\n", id) })
}
