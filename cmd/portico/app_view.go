package main

import (
	"io"
	"sort"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"portico/cmd/portico/internal/client"
)

func appGet(c *cli.Context, op *operator) error {
	app, err := op.client.GetApp(c.Context, c.Args().First())
	if err != nil {
		return err
	}
	return op.out.print(app, func(w io.Writer) { appTable(w, app) })
}

// appTable shows an application, then its credentials by environment.
func appTable(w io.Writer, app *client.AppDetail) {
	for _, kv := range [][2]string{
		{"ID", app.ID}, {"NAME", app.Name}, {"DESCRIPTION", dash(app.Description)}, {"OWNER", owner(app.Owner)},
		{"SHARED WITH", dash(strings.Join(app.SharedWith, ", "))}, {"CREATED", millis(app.CreatedAt)},
	} {
		row(w, kv[0], kv[1])
	}
	if len(app.Credentials) == 0 {
		return
	}
	envs := make([]string, 0, len(app.Credentials))
	for env := range app.Credentials {
		envs = append(envs, env)
	}
	sort.Strings(envs)
	row(w)
	credentialHeader(w)
	for _, env := range envs {
		credentialRow(w, env, app.Credentials[env])
	}
}

// owner shows an application's owner; "" is an admin (the bootstrap token).
func owner(user string) string {
	if user == "" {
		return "(admin)"
	}
	return user
}

func credentialHeader(w io.Writer) {
	row(w, "ENV", "CLIENT ID", "GRANT TYPES", "ACCESS TTL", "REFRESH TTL", "PUBLIC", "PKCE", "REDIRECT URIS")
}

func credentialRow(w io.Writer, env string, cr client.Credential) {
	row(w, env, cr.ClientID, dash(strings.Join(cr.GrantTypes, ",")), seconds(cr.AccessTokenTTL),
		seconds(cr.RefreshTokenTTL), cr.Public, cr.PKCERequired, dash(strings.Join(cr.RedirectURIs, ", ")))
}

// seconds shows a lifetime in seconds as a duration.
func seconds(s int64) string {
	return (time.Duration(s) * time.Second).String()
}
