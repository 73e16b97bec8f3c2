package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"portico/cmd/portico/internal/client"
	"portico/raftstore/state"
)

// userFlags configures `portico user create`.
type userFlags struct {
	Role          string
	PasswordStdin bool
}

func userCommand(g *globalFlags) *cli.Command {
	f := &userFlags{}
	roles := strings.Join(state.Roles, "|")
	return &cli.Command{
		Name:  "user",
		Usage: "manage the cluster's users: their role decides what their admin tokens may do",
		Subcommands: []*cli.Command{
			{Name: "create", Usage: "create a user and its first admin token (shown once)", ArgsUsage: "NAME",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "role", Usage: "`ROLE`: " + roles + " (required)", Destination: &f.Role},
					&cli.BoolFlag{Name: "password-stdin", Destination: &f.PasswordStdin,
						Usage: "read a password from the first line of stdin (without one the user cannot log in)"},
				},
				Action: action(g, []string{"NAME"}, func(c *cli.Context, op *operator) error {
					return userCreate(c, op, f)
				})},
			{Name: "list", Usage: "list users", Action: action(g, nil, userList)},
			{Name: "delete", Usage: "delete a user and its admin tokens", ArgsUsage: "NAME",
				Action: action(g, []string{"NAME"}, userDelete)},
			passwdCommand(g),
		},
	}
}

func userCreate(c *cli.Context, op *operator, f *userFlags) error {
	if !slices.Contains(state.Roles, f.Role) {
		return usagef("user create: --role %q: want %s", f.Role, strings.Join(state.Roles, ", "))
	}
	req := client.UserRequest{Name: c.Args().First(), Role: f.Role}
	if f.PasswordStdin {
		var err error
		if req.Password, err = readPassword(c, true); err != nil {
			return err
		}
	}
	u, err := op.client.CreateUser(c.Context, req)
	if err != nil {
		return err
	}
	return op.out.print(u, func(w io.Writer) {
		row(w, "NAME", "ROLE")
		row(w, u.Name, u.Role)
		row(w)
		row(w, "TOKEN", u.Token)
		row(w)
		row(w, "Store this token now: it is not shown again.")
	})
}

func userList(c *cli.Context, op *operator) error {
	users, err := op.client.ListUsers(c.Context)
	if err != nil {
		return err
	}
	return op.out.print(users, func(w io.Writer) {
		row(w, "NAME", "ROLE", "CREATED")
		for _, u := range users {
			row(w, u.Name, u.Role, millis(u.CreatedAt))
		}
	})
}

func userDelete(c *cli.Context, op *operator) error {
	name := c.Args().First()
	if err := op.client.DeleteUser(c.Context, name); err != nil {
		return err
	}
	res := client.Deleted{Name: name, Deleted: true}
	return op.out.print(res, func(w io.Writer) { fmt.Fprintf(w, "deleted user %s with its admin tokens\n", name) })
}
