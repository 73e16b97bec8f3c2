package main

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"
)

// signingKeysCommand is `portico keys`: the keys that sign access tokens. API keys are `portico key`.
func signingKeysCommand(g *globalFlags) *cli.Command {
	return &cli.Command{
		Name:  "keys",
		Usage: "manage the keys that sign the cluster's OAuth2 access tokens (API keys: see 'portico key')",
		Subcommands: []*cli.Command{
			{Name: "rotate", Usage: "make a new token signing key current; the old one verifies until its tokens expire",
				Action: action(g, nil, signingRotate)},
			{Name: "list", Usage: "list the token signing keys (never their private halves)",
				Action: action(g, nil, signingList)},
		},
	}
}

func signingRotate(c *cli.Context, op *operator) error {
	k, err := op.client.RotateSigningKey(c.Context)
	if err != nil {
		return err
	}
	return op.out.print(k, func(w io.Writer) {
		fmt.Fprintf(w, "signing key %s is current (created %s)\n", k.KID, millis(k.CreatedAt))
		if k.Retired != "" {
			fmt.Fprintf(w, "signing key %s is retired: it still verifies the tokens it signed until they expire\n",
				k.Retired)
		}
	})
}

func signingList(c *cli.Context, op *operator) error {
	keys, err := op.client.ListSigningKeys(c.Context)
	if err != nil {
		return err
	}
	return op.out.print(keys, func(w io.Writer) {
		row(w, "KID", "ALG", "CREATED", "RETIRED", "STATUS")
		for _, k := range keys {
			status := "current"
			if k.RetiredAt != 0 {
				status = "retired"
			}
			row(w, k.KID, k.Alg, millis(k.CreatedAt), millis(k.RetiredAt), status)
		}
	})
}
