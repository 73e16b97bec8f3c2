package main

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"portico/cmd/portico/internal/client"
)

// planFlags configures `portico plan create`.
type planFlags struct {
	RPM   int64
	Burst int64
}

func planCommand(g *globalFlags) *cli.Command {
	f := &planFlags{}
	return &cli.Command{
		Name:  "plan",
		Usage: "manage usage plans, the request rates of subscriptions",
		Subcommands: []*cli.Command{
			{Name: "list", Usage: "list the built-in and custom plans", Action: action(g, nil, planList)},
			{Name: "create", Usage: "create a custom plan", ArgsUsage: "NAME",
				Flags: []cli.Flag{
					&cli.Int64Flag{Name: "rpm", Usage: "requests per minute, at least 1 (required)", Destination: &f.RPM},
					&cli.Int64Flag{Name: "burst", Usage: "requests allowed above the steady rate", Destination: &f.Burst},
				},
				Action: action(g, []string{"NAME"}, func(c *cli.Context, op *operator) error {
					return planCreate(c, op, f)
				})},
		},
	}
}

func planList(c *cli.Context, op *operator) error {
	plans, err := op.client.ListPlans(c.Context)
	if err != nil {
		return err
	}
	return op.out.print(plans, func(w io.Writer) {
		row(w, "NAME", "RPM", "BURST", "BUILT-IN")
		for _, p := range plans {
			planRow(w, p)
		}
	})
}

func planRow(w io.Writer, p client.Plan) {
	rpm := fmt.Sprint(p.RPM)
	if p.RPM == 0 {
		rpm = "unlimited"
	}
	row(w, p.Name, rpm, p.Burst, p.BuiltIn)
}

func planCreate(c *cli.Context, op *operator, f *planFlags) error {
	if !c.IsSet("rpm") || f.RPM < 1 {
		return usagef("plan create: --rpm is required and at least 1")
	}
	if f.Burst < 0 {
		return usagef("plan create: --burst cannot be negative")
	}
	p, err := op.client.CreatePlan(c.Context, c.Args().First(), f.RPM, f.Burst)
	if err != nil {
		return err
	}
	return op.out.print(p, func(w io.Writer) {
		row(w, "NAME", "RPM", "BURST", "BUILT-IN")
		planRow(w, *p)
	})
}
