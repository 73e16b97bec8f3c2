package main

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// permute reorders a command line so that flags may follow positional arguments, as in
// `portico api get greet 1.0 -o yaml` or `portico app create web --description D`: global flags move right after
// the program name, the command path follows, then the command's own flags, then its positional arguments. A "--"
// ends the flags: it and everything after it stay positional. Unknown flags are kept with the command's flags, where
// parsing reports them; a flag missing its value is a usage error.
func permute(app *cli.App, args []string) ([]string, error) {
	if len(args) == 0 {
		return args, nil
	}
	var globals, path, flags, pos, tail []string
	cmds, local := app.Commands, []cli.Flag(nil)
	rest := args[1:]
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		switch {
		case a == "--":
			tail = rest[i:]
			i = len(rest)
		case len(a) > 1 && a[0] == '-':
			group, f := &flags, lookupFlag(local, a)
			if g := lookupFlag(app.Flags, a); g != nil {
				group, f = &globals, g
			}
			n := flagTokens(f, a)
			if i+n > len(rest) {
				return nil, usagef("flag needs an argument: %s", a)
			}
			*group = append(*group, rest[i:i+n]...)
			i += n - 1
		case len(pos) == 0 && findCommand(cmds, a) != nil:
			cmd := findCommand(cmds, a)
			path = append(path, a)
			cmds, local = cmd.Subcommands, cmd.Flags
		default:
			pos = append(pos, a)
		}
	}
	out := append([]string{args[0]}, globals...)
	out = append(out, path...)
	out = append(out, flags...)
	if len(tail) > 0 {
		out = append(out, "--")
		tail = tail[1:]
	}
	out = append(out, pos...)
	return append(out, tail...), nil
}

// flagTokens is how many tokens a flag occupies: 2 when it takes a value not written as --name=value, else 1.
func flagTokens(f cli.Flag, token string) int {
	if f == nil || strings.Contains(token, "=") {
		return 1
	}
	if _, isBool := f.(*cli.BoolFlag); isBool {
		return 1
	}
	return 2
}

// lookupFlag finds the flag a "-name", "--name" or "--name=value" token refers to.
func lookupFlag(flags []cli.Flag, token string) cli.Flag {
	name, _, _ := strings.Cut(strings.TrimLeft(token, "-"), "=")
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return f
			}
		}
	}
	return nil
}

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}
