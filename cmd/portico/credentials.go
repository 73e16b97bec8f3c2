package main

import (
	"io"
	"time"

	"github.com/urfave/cli/v2"

	"portico/cmd/portico/internal/client"
)

// Environments of credentials.
const (
	envProduction = "production"
	envSandbox    = "sandbox"
)

// credentialFlags configures `portico app credentials`.
type credentialFlags struct {
	Env          string
	GrantTypes   cli.StringSlice
	TokenTTL     time.Duration
	RefreshTTL   time.Duration
	Public       bool
	PKCE         bool
	RedirectURIs cli.StringSlice
}

func appCredentialsCommand(g *globalFlags) *cli.Command {
	f := &credentialFlags{}
	return &cli.Command{
		Name: "credentials",
		Usage: "create an application's OAuth2 client in an environment, or regenerate its secret (same client " +
			"ID); the secret is shown once",
		UsageText: "portico app credentials APP --env production|sandbox [--grant-types a,b] [--token-ttl 900s] " +
			"[--refresh-ttl 24h] [--public] [--pkce] [--redirect-uri U]",
		ArgsUsage: "APP",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "env", Usage: "`ENV`: production or sandbox (required)", Destination: &f.Env},
			&cli.StringSliceFlag{Name: "grant-types", Destination: &f.GrantTypes, Usage: "allowed `GRANTS`, " +
				"comma-separated: client_credentials, password, refresh_token, authorization_code " +
				"(default client_credentials)"},
			&cli.DurationFlag{Name: "token-ttl", Usage: "access token lifetime", DefaultText: "900s",
				Destination: &f.TokenTTL},
			&cli.DurationFlag{Name: "refresh-ttl", Usage: "refresh token lifetime", DefaultText: "24h",
				Destination: &f.RefreshTTL},
			&cli.BoolFlag{Name: "public", Usage: "a public client: no secret", Destination: &f.Public},
			&cli.BoolFlag{Name: "pkce", Usage: "require PKCE in the authorization code grant", Destination: &f.PKCE},
			&cli.StringSliceFlag{Name: "redirect-uri", Usage: "allowed redirect `URI` (repeatable)",
				Destination: &f.RedirectURIs},
		},
		Action: action(g, []string{"APP"}, func(c *cli.Context, op *operator) error {
			return appCredentials(c, op, f)
		}),
	}
}

func appCredentials(c *cli.Context, op *operator, f *credentialFlags) error {
	req, err := f.request(c)
	if err != nil {
		return err
	}
	cr, err := op.client.SetCredentials(c.Context, c.Args().First(), req)
	if err != nil {
		return err
	}
	if cr.Env == "" {
		cr.Env = req.Env
	}
	return op.out.print(cr, func(w io.Writer) {
		credentialHeader(w)
		credentialRow(w, cr.Env, cr.Credential)
		row(w)
		if cr.Public {
			row(w, "A public client has no secret.")
			return
		}
		row(w, "CLIENT SECRET", cr.ClientSecret)
		row(w)
		row(w, "Store this secret now: it is shown once.")
	})
}

// request checks the flags and builds the credential request: only the flags given are sent.
func (f *credentialFlags) request(c *cli.Context) (client.CredentialRequest, error) {
	if f.Env != envProduction && f.Env != envSandbox {
		return client.CredentialRequest{}, usagef("app credentials: --env %q: want production or sandbox", f.Env)
	}
	req := client.CredentialRequest{Env: f.Env, GrantTypes: f.GrantTypes.Value(), RedirectURIs: f.RedirectURIs.Value()}
	for _, ttl := range []struct {
		flag string
		d    time.Duration
		dst  **int64
	}{{"token-ttl", f.TokenTTL, &req.AccessTokenTTL}, {"refresh-ttl", f.RefreshTTL, &req.RefreshTokenTTL}} {
		if !c.IsSet(ttl.flag) {
			continue
		}
		if ttl.d < time.Second || ttl.d%time.Second != 0 {
			return client.CredentialRequest{}, usagef("app credentials: --%s %s: want a whole number of seconds, "+
				"at least 1s", ttl.flag, ttl.d)
		}
		s := int64(ttl.d / time.Second)
		*ttl.dst = &s
	}
	if c.IsSet("public") {
		req.Public = &f.Public
	}
	if c.IsSet("pkce") {
		req.PKCERequired = &f.PKCE
	}
	return req, nil
}
