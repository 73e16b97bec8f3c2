package main

import (
	"fmt"
	"io"

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
		row(w, "ID", "NAME", "CREATED", "DESCRIPTION")
		for _, a := range apps {
			row(w, a.ID, a.Name, millis(a.CreatedAt), dash(a.Description))
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
