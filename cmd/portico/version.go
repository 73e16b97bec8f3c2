package main

import (
	"io"
	"runtime"

	"github.com/urfave/cli/v2"
)

func versionCommand(g *globalFlags) *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version of this binary",
		Action: func(c *cli.Context) error {
			if err := wantArgs(c); err != nil {
				return err
			}
			p, err := newPrinter(c.App.Writer, g.Output)
			if err != nil {
				return err
			}
			v := map[string]string{"version": version, "go": runtime.Version()}
			return p.print(v, func(w io.Writer) { row(w, "portico", version, runtime.Version()) })
		},
	}
}
