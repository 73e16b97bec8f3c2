package main

import (
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"
)

func pluginCommand(g *globalFlags) *cli.Command {
	return &cli.Command{
		Name:  "plugin",
		Usage: "manage the wasm policy modules stored in the cluster",
		Subcommands: []*cli.Command{
			{Name: "push", Usage: "store a wasm module as NAME@VERSION", ArgsUsage: "NAME VERSION FILE",
				Action: action(g, []string{"NAME", "VERSION", "FILE"}, pluginPush)},
			{Name: "list", Usage: "list the stored modules", Action: action(g, nil, pluginList)},
			{Name: "delete", Usage: "remove a stored module", ArgsUsage: "NAME VERSION",
				Action: action(g, []string{"NAME", "VERSION"}, pluginDelete)},
		},
	}
}

func pluginPush(c *cli.Context, op *operator) error {
	wasm, err := os.ReadFile(c.Args().Get(2))
	if err != nil {
		return fmt.Errorf("reading the plugin: %w", err)
	}
	p, err := op.client.PushPlugin(c.Context, c.Args().Get(0), c.Args().Get(1), wasm)
	if err != nil {
		return err
	}
	return op.out.print(p, func(w io.Writer) {
		row(w, "NAME", "VERSION", "SHA256", "SIZE", "CHANGED")
		row(w, p.Name, p.Version, p.SHA256, p.Size, p.Changed)
	})
}

func pluginList(c *cli.Context, op *operator) error {
	plugins, err := op.client.ListPlugins(c.Context)
	if err != nil {
		return err
	}
	return op.out.print(plugins, func(w io.Writer) {
		row(w, "NAME", "VERSION", "SHA256", "SIZE", "CREATED")
		for _, p := range plugins {
			row(w, p.Name, p.Version, p.SHA256, p.Size, millis(p.CreatedAt))
		}
	})
}

func pluginDelete(c *cli.Context, op *operator) error {
	res, err := op.client.DeletePlugin(c.Context, c.Args().Get(0), c.Args().Get(1))
	if err != nil {
		return err
	}
	return op.out.print(res, func(w io.Writer) { fmt.Fprintf(w, "deleted plugin %s\n", res.Deleted) })
}
