package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"
)

func appCommand(g *globalFlags) *cli.Command {
	var description string
	return &cli.Command{
		Name:  "app",
		Usage: "manage applications, the clients of APIs",
		Subcommands: []*cli.Command{
			{Name: "create", Usage: "create an application", ArgsUsage: "NAME",
				Flags: []cli.Flag{&cli.StringFlag{Name: "description", Usage: "free `TEXT`", Destination: &description}},
				Action: action(g, []string{"NAME"}, func(c *cli.Context, op *operator) error {
					return appCreate(c, op, description)
				})},
			{Name: "list", Usage: "list applications", Action: action(g, nil, appList)},
			{Name: "get", Usage: "show an application with its client credentials (never a secret)", ArgsUsage: "APP",
				Action: action(g, []string{"APP"}, appGet)},
			appShareCommand(g),
			appCredentialsCommand(g),
			{Name: "delete", Usage: "delete an application with its keys and subscriptions", ArgsUsage: "NAME",
				Action: action(g, []string{"NAME"}, appDelete)},
		},
	}
}

func appCreate(c *cli.Context, op *operator, description string) error {
	app, err := op.client.CreateApp(c.Context, c.Args().First(), description)
	if err != nil {
		return err
	}
	return op.out.print(app, func(w io.Writer) {
		row(w, "ID", "NAME", "DESCRIPTION")
		row(w, app.ID, app.Name, dash(app.Description))
	})
}

func appList(c *cli.Context, op *operator) error {
	apps, err := op.client.ListApps(c.Context)
	if err != nil {
		return err
	}
	return op.out.print(apps, func(w io.Writer) {
		row(w, "ID", "NAME", "OWNER", "CREATED", "DESCRIPTION")
		for _, a := range apps {
			row(w, a.ID, a.Name, owner(a.Owner), millis(a.CreatedAt), dash(a.Description))
		}
	})
}

func appDelete(c *cli.Context, op *operator) error {
	res, err := op.client.DeleteApp(c.Context, c.Args().First())
	if err != nil {
		return err
	}
	return op.out.print(res, func(w io.Writer) {
		fmt.Fprintf(w, "deleted application %s (%s) with its keys and subscriptions\n", res.Name, res.ID)
	})
}

func appShareCommand(g *globalFlags) *cli.Command {
	var (
		users cli.StringSlice
		none  bool
	)
	return &cli.Command{
		Name:      "share",
		Usage:     "share an application, read-only, with these users (replaces the list)",
		UsageText: "portico app share APP --user U [--user U2]\nportico app share APP --none",
		ArgsUsage: "APP",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "user", Usage: "user `NAME` to share with (repeatable)", Destination: &users},
			&cli.BoolFlag{Name: "none", Usage: "share with nobody", Destination: &none},
		},
		Action: action(g, []string{"APP"}, func(c *cli.Context, op *operator) error {
			return appShare(c, op, users.Value(), none)
		}),
	}
}

func appShare(c *cli.Context, op *operator, users []string, none bool) error {
	if (len(users) == 0) == !none {
		return usagef("app share: give --user NAME (repeatable) or --none")
	}
	if users == nil {
		users = []string{}
	}
	app, err := op.client.ShareApp(c.Context, c.Args().First(), users)
	if err != nil {
		return err
	}
	return op.out.print(app, func(w io.Writer) {
		fmt.Fprintf(w, "application %s is shared with: %s\n", app.Name, dash(strings.Join(app.SharedWith, ", ")))
	})
}
