package main

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"portico/cmd/portico/internal/client"
)

// keyFlags configures `portico key create` and `portico key list`.
type keyFlags struct {
	App   string
	API   string
	Major int
	Env   string
	Name  string
	Plan  string
}

func keyCommand(g *globalFlags) *cli.Command {
	f := &keyFlags{}
	return &cli.Command{
		Name:  "key",
		Usage: "manage API keys (token signing keys: see 'portico keys')",
		Subcommands: []*cli.Command{
			{Name: "create", Usage: "create an API key (shown once), subscribing the application if needed",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "app", Usage: "application `NAME` or ID (required)", Destination: &f.App},
					&cli.StringFlag{Name: "api", Usage: "API `NAME` (required)", Destination: &f.API},
					&cli.IntFlag{Name: "major", Usage: "API major version (default: the highest deployed)",
						Destination: &f.Major},
					&cli.StringFlag{Name: "env", Usage: "production or sandbox", Value: "production",
						Destination: &f.Env},
					&cli.StringFlag{Name: "name", Usage: "key `NAME`", Destination: &f.Name},
					&cli.StringFlag{Name: "plan", Usage: "usage `PLAN` of a new subscription (default Unlimited)",
						Destination: &f.Plan},
				},
				Action: action(g, nil, func(c *cli.Context, op *operator) error { return keyCreate(c, op, f) })},
			{Name: "list", Usage: "list API keys (never the keys themselves)",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "app", Usage: "only this application's (`NAME` or ID)", Destination: &f.App},
				},
				Action: action(g, nil, func(c *cli.Context, op *operator) error { return keyList(c, op, f.App) })},
			{Name: "regenerate", Usage: "issue a new API key (shown once) in place of one; the old key stays valid " +
				"for the cluster's grace period", ArgsUsage: "ID", Action: action(g, []string{"ID"}, keyRegenerate)},
			{Name: "delete", Usage: "revoke an API key at once", ArgsUsage: "ID",
				Action: action(g, []string{"ID"}, keyDelete)},
		},
	}
}

func keyCreate(c *cli.Context, op *operator, f *keyFlags) error {
	if f.App == "" || f.API == "" {
		return usagef("key create: --app and --api are required")
	}
	req := client.KeyRequest{App: f.App, API: f.API, Env: f.Env, Name: f.Name, Plan: f.Plan}
	if c.IsSet("major") {
		req.Major = &f.Major
	}
	k, err := op.client.CreateKey(c.Context, req)
	if err != nil {
		return err
	}
	return op.out.print(k, func(w io.Writer) {
		row(w, "ID", "NAME", "APP", "API", "MAJOR", "ENV", "SUBSCRIPTION")
		row(w, k.ID, dash(k.Name), k.App, k.API, k.Major, k.Env, dash(k.Subscription))
		row(w)
		row(w, "KEY", k.Value)
		row(w)
		row(w, "Store this key now: it is not shown again.")
	})
}

func keyList(c *cli.Context, op *operator, app string) error {
	keys, err := op.client.ListKeys(c.Context, app)
	if err != nil {
		return err
	}
	return op.out.print(keys, func(w io.Writer) {
		row(w, "ID", "NAME", "APP", "API", "MAJOR", "ENV", "CREATED", "EXPIRES")
		for _, k := range keys {
			row(w, k.ID, dash(k.Name), k.App, k.API, k.Major, k.Env, millis(k.CreatedAt), millis(k.ExpiresAt))
		}
	})
}

func keyRegenerate(c *cli.Context, op *operator) error {
	k, err := op.client.RegenerateKey(c.Context, c.Args().First())
	if err != nil {
		return err
	}
	return op.out.print(k, func(w io.Writer) {
		row(w, "ID", "PREVIOUS", "PREVIOUS VALID UNTIL")
		row(w, k.ID, k.Previous, millis(k.GraceUntil))
		row(w)
		row(w, "KEY", k.Value)
		row(w)
		row(w, "Store this key now: it is not shown again.")
	})
}

func keyDelete(c *cli.Context, op *operator) error {
	res, err := op.client.DeleteKey(c.Context, c.Args().First())
	if err != nil {
		return err
	}
	return op.out.print(res, func(w io.Writer) { fmt.Fprintf(w, "deleted key %s\n", res.ID) })
}
