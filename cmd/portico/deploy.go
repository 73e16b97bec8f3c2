package main

import (
	"errors"
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
			&cli.StringFlag{Name: "wait", Value: client.WaitNone, Destination: &f.Wait,
				Usage: "wait until all nodes, a quorum of them or only the leader serve the change: all|quorum|none"},
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
		res, err = deployFile(c, op, f.File, f.Wait)
	} else {
		res, err = deployOpenAPI(c, op, f)
	}
	if err != nil {
		return err
	}
	if err := op.out.print(res, func(w io.Writer) { deployTable(w, res) }); err != nil {
		return err
	}
	return propagationError(res.Propagation)
}

// deployTable shows the deployed version, then one line per node when the deploy waited for the nodes.
func deployTable(w io.Writer, res *client.Deployed) {
	row(w, "NAME", "VERSION", "CONTEXT", "LIFECYCLE", "REVISION", "CHANGED", "URLS")
	row(w, res.Name, res.Version, res.Context, res.Lifecycle, res.Revision, res.Changed, strings.Join(res.URLs, ", "))
	if res.Propagation == nil {
		return
	}
	for _, n := range res.Propagation.Nodes {
		if n.OK {
			fmt.Fprintf(w, "%s  served index %d  lag %.1f ms\n", n.ID, n.ServedIndex, n.LagMs)
		} else {
			fmt.Fprintf(w, "%s  not served: %s\n", n.ID, dash(n.Error))
		}
	}
}

// propagationWait is how long the admin API waits for the nodes to serve a deploy.
const propagationWait = "10s"

// propagationError reports a deploy that the nodes it waited for did not all serve in time.
func propagationError(p *client.Propagation) error {
	if p == nil || p.Complete {
		return nil
	}
	who := "all nodes"
	if p.Wait == client.WaitQuorum {
		who = "a quorum of nodes"
	}
	var late []string
	for _, n := range p.Nodes {
		if !n.OK {
			late = append(late, n.ID+": "+dash(n.Error))
		}
	}
	msg := fmt.Sprintf("deploy applied but not served by %s within %s", who, propagationWait)
	if len(late) > 0 {
		msg += " (" + strings.Join(late, "; ") + ")"
	}
	return errors.New(msg)
}

// check refuses inconsistent deploy flags.
func (f *deployFlags) check() error {
	switch f.Wait {
	case client.WaitAll, client.WaitQuorum, client.WaitNone:
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

func deployFile(c *cli.Context, op *operator, path, wait string) (*client.Deployed, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the API file: %w", err)
	}
	return op.client.Deploy(c.Context, data, mediaType(path), wait)
}

func deployOpenAPI(c *cli.Context, op *operator, f *deployFlags) (*client.Deployed, error) {
	data, err := os.ReadFile(f.OpenAPI)
	if err != nil {
		return nil, fmt.Errorf("reading the OpenAPI document: %w", err)
	}
	return op.client.DeployOpenAPI(c.Context, data, mediaType(f.OpenAPI), f.Wait, client.OpenAPIOptions{
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
