package main

import (
	"io"
	"strings"

	"github.com/urfave/cli/v2"
)

// globalFlags are the flags every operator command uses; they may be written anywhere on the command line.
type globalFlags struct {
	Server string
	Token  string
	Output string
	Stale  bool
}

// newApp builds the command tree reading stdin (passwords) and writing to stdout and stderr.
func newApp(stdin io.Reader, stdout, stderr io.Writer) *cli.App {
	g := &globalFlags{}
	app := &cli.App{
		Name:           "portico",
		HelpName:       "portico",
		Usage:          "API gateway cluster: run a node, or operate a cluster through its admin API",
		UsageText:      "portico [global options] command [command options] [arguments...]",
		Reader:         stdin,
		Writer:         stdout,
		ErrWriter:      stderr,
		HideVersion:    true,
		Flags:          g.flags(),
		Commands:       commands(g),
		ExitErrHandler: func(*cli.Context, error) {}, // errors are reported once, by runContext
		OnUsageError:   onUsageError,
		Action:         groupAction,
	}
	for _, c := range app.Commands {
		setUsageErrors(c)
	}
	return app
}

func (g *globalFlags) flags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "server", EnvVars: []string{"PORTICO_SERVER"}, Destination: &g.Server,
			Usage: "admin API `URL` of any node (default: the current context's, else " + defaultServer + ")"},
		&cli.StringFlag{Name: "token", EnvVars: []string{"PORTICO_TOKEN"}, Destination: &g.Token,
			Usage: "admin `TOKEN` (default: the current context's, when the server is the context's)"},
		&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "table",
			Usage: "output `FORMAT`: table, json or yaml", Destination: &g.Output},
		&cli.BoolFlag{Name: "stale", Destination: &g.Stale,
			Usage: "read the answering node's local copy instead of confirming with the leader"},
	}
}

// commands is the command tree.
func commands(g *globalFlags) []*cli.Command {
	return []*cli.Command{
		deployCommand(g),
		apiCommand(g),
		appCommand(g),
		subCommand(g),
		keyCommand(g),
		planCommand(g),
		userCommand(g),
		loginCommand(g),
		logoutCommand(g),
		whoamiCommand(g),
		tokenCommand(g),
		contextCommand(g),
		signingKeysCommand(g),
		pluginCommand(g),
		clusterCommand(g),
		snapshotCommand(g),
		tlsCommand(g),
		nodeCommand(g),
		devCommand(),
		versionCommand(g),
	}
}

// setUsageErrors makes every flag parsing error of c and its subcommands a usage error, and gives every command
// group an action that refuses a missing or unknown subcommand.
func setUsageErrors(c *cli.Command) {
	c.OnUsageError = onUsageError
	if len(c.Subcommands) > 0 && c.Action == nil {
		c.Action = groupAction
	}
	for _, sub := range c.Subcommands {
		setUsageErrors(sub)
	}
}

func onUsageError(_ *cli.Context, err error, _ bool) error {
	return &usageError{msg: err.Error()}
}

// groupAction runs when a command group is given no known subcommand.
func groupAction(c *cli.Context) error {
	prefix, help := "", "portico"
	if c.Command != nil && c.Command.HelpName != "" && c.Command.HelpName != "portico" {
		prefix, help = strings.TrimPrefix(c.Command.HelpName, "portico ")+": ", c.Command.HelpName
	}
	if c.Args().Present() {
		return usagef("%sunknown command %q (see '%s --help')", prefix, c.Args().First(), help)
	}
	return usagef("%sa command is required (see '%s --help')", prefix, help)
}

// wantArgs checks the number of positional arguments of a leaf command.
func wantArgs(c *cli.Context, names ...string) error {
	if c.NArg() == len(names) {
		return nil
	}
	return usagef("%s: want %d argument(s) %v, got %d", c.Command.HelpName, len(names), names, c.NArg())
}
