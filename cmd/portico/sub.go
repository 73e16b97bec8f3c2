package main

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"portico/cmd/portico/internal/client"
)

// subFlags configures `portico sub create` and `portico sub list`.
type subFlags struct {
	App   string
	API   string
	Major int
	Plan  string
}

func subCommand(g *globalFlags) *cli.Command {
	f := &subFlags{}
	return &cli.Command{
		Name:  "sub",
		Usage: "manage subscriptions of applications to API major versions",
		Subcommands: []*cli.Command{
			{Name: "create", Usage: "subscribe an application to an API major version under a plan",
				UsageText: "portico sub create --app APP --api NAME --major N --plan PLAN",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "app", Usage: "application `NAME` or ID (required)", Destination: &f.App},
					&cli.StringFlag{Name: "api", Usage: "API `NAME` (required)", Destination: &f.API},
					&cli.IntFlag{Name: "major", Usage: "API major version (required)", Destination: &f.Major},
					&cli.StringFlag{Name: "plan", Usage: "usage `PLAN` (required; see 'portico plan list')",
						Destination: &f.Plan},
				},
				Action: action(g, nil, func(c *cli.Context, op *operator) error { return subCreate(c, op, f) })},
			{Name: "list", Usage: "list subscriptions",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "app", Usage: "only this application's (`NAME` or ID)", Destination: &f.App},
				},
				Action: action(g, nil, func(c *cli.Context, op *operator) error { return subList(c, op, f.App) })},
			{Name: "block", Usage: "refuse every call of a subscription, on every node", ArgsUsage: "ID",
				Action: action(g, []string{"ID"}, subBlock)},
			{Name: "unblock", Usage: "make a blocked subscription active again", ArgsUsage: "ID",
				Action: action(g, []string{"ID"}, subUnblock)},
			{Name: "delete", Usage: "delete a subscription with the application's keys for that API version",
				ArgsUsage: "ID", Action: action(g, []string{"ID"}, subDelete)},
		},
	}
}

func subCreate(c *cli.Context, op *operator, f *subFlags) error {
	if f.App == "" || f.API == "" || !c.IsSet("major") || f.Plan == "" {
		return usagef("sub create: --app, --api, --major and --plan are required")
	}
	s, err := op.client.CreateSubscription(c.Context, client.SubscriptionRequest{App: f.App, API: f.API,
		Major: f.Major, Plan: f.Plan})
	if err != nil {
		return err
	}
	return printSubs(op, s, []client.Subscription{*s})
}

func subList(c *cli.Context, op *operator, app string) error {
	subs, err := op.client.ListSubscriptions(c.Context, app)
	if err != nil {
		return err
	}
	return printSubs(op, subs, subs)
}

// printSubs prints v (a subscription or a list of them) as JSON or YAML, or the table of subs.
func printSubs(op *operator, v any, subs []client.Subscription) error {
	return op.out.print(v, func(w io.Writer) {
		row(w, "ID", "APP", "API", "MAJOR", "PLAN", "STATUS")
		for _, s := range subs {
			row(w, s.ID, s.App, s.API, s.Major, s.Plan, s.Status)
		}
	})
}

func subBlock(c *cli.Context, op *operator) error {
	s, err := op.client.BlockSubscription(c.Context, c.Args().First())
	if err != nil {
		return err
	}
	return printSubs(op, s, []client.Subscription{*s})
}

func subUnblock(c *cli.Context, op *operator) error {
	s, err := op.client.UnblockSubscription(c.Context, c.Args().First())
	if err != nil {
		return err
	}
	return printSubs(op, s, []client.Subscription{*s})
}

func subDelete(c *cli.Context, op *operator) error {
	id := c.Args().First()
	if err := op.client.DeleteSubscription(c.Context, id); err != nil {
		return err
	}
	res := client.Deleted{ID: id, Deleted: true}
	return op.out.print(res, func(w io.Writer) {
		fmt.Fprintf(w, "deleted subscription %s with the application's keys for that API version\n", id)
	})
}
