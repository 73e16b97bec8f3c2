package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"portico/cmd/portico/internal/client"
)

// deployFlags configures `portico deploy`.
type deployFlags struct {
	File      string
	OpenAPI   string
	Name      string
	Version   string
	Context   string
	Backend   string
	Lifecycle string
	Security  cli.StringSlice
	Wait      string
}

func deployCommand(g *globalFlags) *cli.Command {
	f := &deployFlags{}
	return &cli.Command{
		Name:      "deploy",
		Usage:     "create or update an API version from its API file or an OpenAPI document",
		UsageText: "portico deploy -f api.yaml\nportico deploy --openapi spec.yaml --name N --version V --context /c --backend URL",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "file", Aliases: []string{"f"}, Usage: "API file (`PATH`, YAML or JSON)",
				Destination: &f.File},
			&cli.StringFlag{Name: "openapi", Usage: "OpenAPI 3 or Swagger 2 document (`PATH`)", Destination: &f.OpenAPI},
			&cli.StringFlag{Name: "name", Usage: "API name (with --openapi)", Destination: &f.Name},
			&cli.StringFlag{Name: "version", Usage: "API version major.minor (with --openapi)", Destination: &f.Version},
			&cli.StringFlag{Name: "context", Usage: "API context, e.g. /pets (with --openapi)", Destination: &f.Context},
			&cli.StringFlag{Name: "backend", Usage: "production backend `URL` (with --openapi)", Destination: &f.Backend},
			&cli.StringFlag{Name: "lifecycle", Usage: "lifecycle state (with --openapi)", Destination: &f.Lifecycle},
			&cli.StringSliceFlag{Name: "security", Usage: "security scheme: api-key, oauth2 or none (with --openapi)",
				Destination: &f.Security},
			&cli.StringFlag{Name: "wait", Value: "none", Destination: &f.Wait,
				Usage: "wait for all nodes, a quorum or none to serve the change: all|quorum|none (for now every " +
					"value returns once the leader has applied it)"},
		},
		Action: action(g, nil, func(c *cli.Context, op *operator) error { return deploy(c, op, f) }),
	}
}

func deploy(c *cli.Context, op *operator, f *deployFlags) error {
	if err := f.check(); err != nil {
		return err
	}
	var (
		res *client.Deployed
		err error
	)
	if f.File != "" {
		res, err = deployFile(c, op, f.File)
	} else {
		res, err = deployOpenAPI(c, op, f)
	}
	if err != nil {
		return err
	}
	return op.out.print(res, func(w io.Writer) {
		row(w, "NAME", "VERSION", "CONTEXT", "LIFECYCLE", "REVISION", "CHANGED", "URLS")
		row(w, res.Name, res.Version, res.Context, res.Lifecycle, res.Revision, res.Changed,
			strings.Join(res.URLs, ", "))
	})
}

// check refuses inconsistent deploy flags.
func (f *deployFlags) check() error {
	switch f.Wait {
	case "all", "quorum", "none":
	default:
		return usagef("deploy: --wait %q: want all, quorum or none", f.Wait)
	}
	if (f.File == "") == (f.OpenAPI == "") {
		return usagef("deploy: give either -f API_FILE or --openapi SPEC")
	}
	if f.File != "" {
		if f.Name != "" || f.Version != "" || f.Context != "" || f.Backend != "" || f.Lifecycle != "" ||
			len(f.Security.Value()) > 0 {
			return usagef("deploy: --name, --version, --context, --backend, --lifecycle and --security go " +
				"with --openapi; an API file says them itself")
		}
		return nil
	}
	for _, req := range []struct{ flag, value string }{
		{"--name", f.Name}, {"--version", f.Version}, {"--context", f.Context}, {"--backend", f.Backend},
	} {
		if req.value == "" {
			return usagef("deploy --openapi: %s is required", req.flag)
		}
	}
	return nil
}

func deployFile(c *cli.Context, op *operator, path string) (*client.Deployed, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the API file: %w", err)
	}
	return op.client.Deploy(c.Context, data, mediaType(path))
}

func deployOpenAPI(c *cli.Context, op *operator, f *deployFlags) (*client.Deployed, error) {
	data, err := os.ReadFile(f.OpenAPI)
	if err != nil {
		return nil, fmt.Errorf("reading the OpenAPI document: %w", err)
	}
	return op.client.DeployOpenAPI(c.Context, data, mediaType(f.OpenAPI), client.OpenAPIOptions{
		Name: f.Name, Version: f.Version, Context: f.Context, Backend: f.Backend, Lifecycle: f.Lifecycle,
		Security: f.Security.Value(),
	})
}

// mediaType is application/json for a .json file, application/yaml otherwise.
func mediaType(path string) string {
	if strings.EqualFold(filepath.Ext(path), ".json") {
		return "application/json"
	}
	return "application/yaml"
}
