package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/urfave/cli/v2"

	"portico/cmd/portico/internal/client"
)

func logoutCommand(g *globalFlags) *cli.Command {
	return &cli.Command{
		Name: "logout",
		Usage: "revoke the admin token in use, and remove it from the current context when it is the one saved " +
			"there",
		Action: func(c *cli.Context) error { return logout(c, g) },
	}
}

// loggedOut is the result of `portico logout`. LoggedOut is false when the server no longer accepted the token
// (expired or revoked already); Context names the context the token was removed from.
type loggedOut struct {
	LoggedOut bool   `json:"loggedOut"`
	Context   string `json:"context,omitempty"`
}

func logout(c *cli.Context, g *globalFlags) error {
	if err := wantArgs(c); err != nil {
		return err
	}
	p, err := newPrinter(c.App.Writer, g.Output)
	if err != nil {
		return err
	}
	server, token, err := g.endpoint()
	if err != nil {
		return err
	}
	if token == "" {
		return usagef("logout: no admin token to log out: give --token or use a context that holds one")
	}
	cl, err := newClient(server, token, false)
	if err != nil {
		return err
	}
	res := loggedOut{LoggedOut: true}
	if err := cl.Logout(c.Context); err != nil {
		var ce *client.Error
		if !errors.As(err, &ce) || ce.Status != http.StatusUnauthorized {
			return err
		}
		res.LoggedOut = false // the token is refused already: there is nothing left to revoke
	}
	if res.Context, err = forgetToken(token); err != nil {
		return err
	}
	return p.print(res, func(w io.Writer) { logoutTable(w, res) })
}

// forgetToken removes token from the current context of the config file if it is the one saved there, and returns
// that context's name ("" when nothing was removed).
func forgetToken(token string) (string, error) {
	path, cfg, err := openConfig()
	if err != nil {
		return "", err
	}
	cur := cfg.Contexts[cfg.Current]
	if cur == nil || cur.Token != token {
		return "", nil
	}
	cur.Token = ""
	return cfg.Current, cfg.save(path)
}

func logoutTable(w io.Writer, res loggedOut) {
	if res.LoggedOut {
		fmt.Fprintln(w, "logged out: the admin token is revoked")
	} else {
		fmt.Fprintln(w, "the admin token was no longer accepted (expired or revoked): nothing to revoke")
	}
	if res.Context != "" {
		fmt.Fprintf(w, "removed the token from context %s\n", res.Context)
	}
}
