package main

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"portico/cmd/portico/internal/client"
)

// loginFlags configures `portico login`.
type loginFlags struct {
	User          string
	PasswordStdin bool
	Save          string
}

func loginCommand(g *globalFlags) *cli.Command {
	f := &loginFlags{}
	return &cli.Command{
		Name:      "login",
		Usage:     "exchange a user's password for an admin token (valid 12 h), optionally saved as a context",
		UsageText: "portico login --user NAME [--password-stdin] [--save CONTEXT]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "user", Usage: "user `NAME` (required)", Destination: &f.User},
			&cli.BoolFlag{Name: "password-stdin", Destination: &f.PasswordStdin,
				Usage: "read the password from the first line of stdin instead of asking on the terminal, without echo"},
			&cli.StringFlag{Name: "save", Destination: &f.Save,
				Usage: "save the server and token as context `NAME` in the config file (mode 0600)"},
		},
		Action: func(c *cli.Context) error { return login(c, g, f) },
	}
}

// loggedIn is the result of `portico login`: the session, and the context it was saved as.
type loggedIn struct {
	client.Session
	Context string `json:"context,omitempty"`
	Current bool   `json:"current,omitempty"`
}

func login(c *cli.Context, g *globalFlags, f *loginFlags) error {
	if err := checkLogin(c, f); err != nil {
		return err
	}
	p, err := newPrinter(c.App.Writer, g.Output)
	if err != nil {
		return err
	}
	server, _, err := g.endpoint()
	if err != nil {
		return err
	}
	cl, err := newClient(server, "", false) // a login needs no token, and sends none
	if err != nil {
		return err
	}
	password, err := readPassword(c, f.PasswordStdin)
	if err != nil {
		return err
	}
	s, err := cl.Login(c.Context, f.User, password)
	if err != nil {
		return err
	}
	res := loggedIn{Session: *s}
	if f.Save != "" {
		if res.Current, err = saveContext(f.Save, cliContext{Server: server, Token: s.Token}); err != nil {
			return err
		}
		res.Context = f.Save
	}
	return p.print(res, func(w io.Writer) { loginTable(w, res) })
}

// checkLogin refuses a login command line that is wrong before asking for the password.
func checkLogin(c *cli.Context, f *loginFlags) error {
	if err := wantArgs(c); err != nil {
		return err
	}
	if f.User == "" {
		return usagef("login: --user is required")
	}
	if f.Save != "" {
		return checkContextName("login: --save", f.Save)
	}
	return nil
}

func loginTable(w io.Writer, res loggedIn) {
	row(w, "USER", "ROLE", "EXPIRES")
	row(w, res.User, res.Role, millis(res.ExpiresAt))
	row(w)
	row(w, "TOKEN", res.Token)
	switch {
	case res.Context != "" && res.Current:
		fmt.Fprintf(w, "\nsaved as context %s, the current context\n", res.Context)
	case res.Context != "":
		fmt.Fprintf(w, "\nsaved as context %s; select it with 'portico context use %s'\n", res.Context, res.Context)
	}
}

func whoamiCommand(g *globalFlags) *cli.Command {
	return &cli.Command{
		Name:   "whoami",
		Usage:  "show the user and role of the admin token in use",
		Action: action(g, nil, whoami),
	}
}

func whoami(c *cli.Context, op *operator) error {
	id, err := op.client.WhoAmI(c.Context)
	if err != nil {
		return err
	}
	return op.out.print(id, func(w io.Writer) {
		user := id.User
		if user == "" {
			user = "(bootstrap token)"
		}
		row(w, "USER", "ROLE")
		row(w, user, id.Role)
	})
}
