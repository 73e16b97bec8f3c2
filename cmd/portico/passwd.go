package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/urfave/cli/v2"

	"portico/cmd/portico/internal/client"
)

// passwdFlags configures `portico user passwd`.
type passwdFlags struct {
	PasswordStdin bool
}

func passwdCommand(g *globalFlags) *cli.Command {
	f := &passwdFlags{}
	return &cli.Command{
		Name: "passwd",
		Usage: "change your own password (the current one is asked too), or, as an admin, set user NAME's " +
			"(at least 12 bytes); every other session (admin token) of the user ends",
		ArgsUsage: "[NAME]",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "password-stdin", Destination: &f.PasswordStdin,
				Usage: "read the passwords from stdin, one a line: the current then the new one for your own, " +
					"only the new one for NAME's (else they are typed on the terminal, without echo)"},
		},
		Action: func(c *cli.Context) error { return userPasswd(c, g, f) },
	}
}

// userPasswd changes the caller's own password when no NAME is given, else sets NAME's. The command line is checked
// and the caller identified before any password is asked for.
func userPasswd(c *cli.Context, g *globalFlags, f *passwdFlags) error {
	if c.NArg() > 1 {
		return usagef("%s: want at most 1 argument [NAME], got %d", c.Command.HelpName, c.NArg())
	}
	pr, err := newPasswordReader(c, f.PasswordStdin)
	if err != nil {
		return err
	}
	op, err := newOperator(c, g)
	if err != nil {
		return err
	}
	name, own := c.Args().First(), c.NArg() == 0
	if own {
		if name, err = ownName(c, op); err != nil {
			return err
		}
	}
	current, password, err := readPasswords(pr, own)
	if err != nil {
		return err
	}
	res, err := op.client.SetPassword(c.Context, name, password, current)
	if err != nil {
		return passwdError(err, own)
	}
	return op.out.print(res, func(w io.Writer) {
		if res.Changed {
			fmt.Fprintf(w, "changed the password of user %s; the user's other sessions are ended\n", res.Name)
		} else {
			fmt.Fprintf(w, "the password of user %s is unchanged\n", res.Name)
		}
	})
}

// ownName is the name of the user the client's token belongs to.
func ownName(c *cli.Context, op *operator) (string, error) {
	id, err := op.client.WhoAmI(c.Context)
	if err != nil {
		return "", err
	}
	if id.User == "" {
		return "", errors.New("user passwd: the bootstrap token belongs to no user: give the NAME of the user " +
			"whose password to set")
	}
	return id.User, nil
}

// readPasswords reads the current password (for one's own only), then the new one.
func readPasswords(pr *passwordReader, own bool) (current, password string, err error) {
	if own {
		if current, err = pr.read("current password"); err != nil {
			return "", "", err
		}
	}
	password, err = pr.readNew()
	return current, password, err
}

// passwdError adds a hint to the refusal of a user who named themselves instead of omitting NAME.
func passwdError(err error, own bool) error {
	var ce *client.Error
	if !own && errors.As(err, &ce) && ce.Status == http.StatusBadRequest &&
		strings.HasPrefix(ce.Message, "currentPassword:") {
		return fmt.Errorf("%w (to change your own password, omit NAME: the current one is asked too)", err)
	}
	return err
}
