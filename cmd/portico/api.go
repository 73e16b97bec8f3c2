package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"portico/cmd/portico/internal/client"
	"portico/node/apifile"
	"portico/raftstore/state"
)

func apiCommand(g *globalFlags) *cli.Command {
	return &cli.Command{
		Name:  "api",
		Usage: "manage deployed API versions: read, remove, lifecycle, consumers and documents",
		Subcommands: []*cli.Command{
			{Name: "list", Usage: "list API versions", Action: action(g, nil, apiList)},
			{Name: "get", Usage: "show one API version (-o yaml prints it as an API file)", ArgsUsage: "NAME VERSION",
				Action: action(g, []string{"NAME", "VERSION"}, apiGet)},
			{Name: "delete", Usage: "remove one API version", ArgsUsage: "NAME VERSION",
				Action: action(g, []string{"NAME", "VERSION"}, apiDelete)},
			{Name: "lifecycle", Usage: "move an API version to a lifecycle state: Created, Pre-released, Published, " +
				"Blocked, Deprecated or Retired", ArgsUsage: "NAME VERSION STATE",
				Action: action(g, []string{"NAME", "VERSION", "STATE"}, apiLifecycle)},
			{Name: "consumers", Usage: "list the applications subscribed to an API", ArgsUsage: "NAME",
				Action: action(g, []string{"NAME"}, apiConsumers)},
			docCommand(g),
		},
	}
}

func apiList(c *cli.Context, op *operator) error {
	apis, err := op.client.ListAPIs(c.Context)
	if err != nil {
		return err
	}
	return op.out.print(apis, func(w io.Writer) {
		row(w, "NAME", "VERSION", "CONTEXT", "LIFECYCLE", "REVISION", "URLS")
		for _, a := range apis {
			row(w, a.Name, a.Version, a.Context, a.Lifecycle, a.Revision, strings.Join(a.URLs, ", "))
		}
	})
}

func apiGet(c *cli.Context, op *operator) error {
	api, err := op.client.GetAPI(c.Context, c.Args().Get(0), c.Args().Get(1))
	if err != nil {
		return err
	}
	if op.out.format == formatYAML {
		return writeAPIFile(op.out.w, api.API)
	}
	return op.out.print(api, func(w io.Writer) { apiTable(w, api) })
}

// writeAPIFile prints an API version in the form of the API file that deploys it.
func writeAPIFile(w io.Writer, api state.API) error {
	b, err := apifile.Encode(api)
	if err != nil {
		return fmt.Errorf("encoding the API file: %w", err)
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return nil
}

// apiTable shows an API version's settings, then its operations.
func apiTable(w io.Writer, api *client.API) {
	security := strings.Join(api.Security, ", ")
	for _, kv := range [][2]string{
		{"NAME", api.Name}, {"VERSION", api.Version}, {"CONTEXT", api.Context}, {"LIFECYCLE", api.Lifecycle},
		{"REVISION", fmt.Sprint(api.Revision)}, {"UPDATED", millis(api.UpdatedAt)}, {"SECURITY", dash(security)},
		{"URLS", strings.Join(api.URLs, ", ")},
		{"PRODUCTION", dash(strings.Join(api.Endpoints.Production, ", "))},
		{"SANDBOX", dash(strings.Join(api.Endpoints.Sandbox, ", "))},
	} {
		row(w, kv[0], kv[1])
	}
	row(w)
	row(w, "METHOD", "PATH", "SECURITY", "POLICIES")
	for i, o := range api.Operations {
		row(w, o.Method, o.Path, dash(strings.Join(api.EffectiveSecurity(i), ", ")), dash(policyNames(o.Policies)))
	}
}

// policyNames lists the policies attached to an operation, by phase.
func policyNames(p state.Policies) string {
	var parts []string
	for _, ph := range []struct {
		name string
		refs []state.PolicyRef
	}{{"request", p.Request}, {"response", p.Response}, {"fault", p.Fault}} {
		for _, r := range ph.refs {
			parts = append(parts, ph.name+":"+r.Name)
		}
	}
	return strings.Join(parts, ", ")
}

func apiDelete(c *cli.Context, op *operator) error {
	res, err := op.client.DeleteAPI(c.Context, c.Args().Get(0), c.Args().Get(1))
	if err != nil {
		return err
	}
	return op.out.print(res, func(w io.Writer) { fmt.Fprintf(w, "deleted API %s %s\n", res.Name, res.Version) })
}

func apiLifecycle(c *cli.Context, op *operator) error {
	args := c.Args()
	res, err := op.client.SetLifecycle(c.Context, args.Get(0), args.Get(1), args.Get(2))
	if err != nil {
		return err
	}
	return op.out.print(res, func(w io.Writer) {
		if res.Previous == res.Lifecycle {
			fmt.Fprintf(w, "API %s %s is %s already\n", res.Name, res.Version, res.Lifecycle)
			return
		}
		fmt.Fprintf(w, "API %s %s moved from %s to %s\n", res.Name, res.Version, res.Previous, res.Lifecycle)
	})
}

func apiConsumers(c *cli.Context, op *operator) error {
	consumers, err := op.client.ListConsumers(c.Context, c.Args().First())
	if err != nil {
		return err
	}
	return op.out.print(consumers, func(w io.Writer) {
		row(w, "SUBSCRIPTION", "APP", "OWNER", "MAJOR", "PLAN", "STATUS")
		for _, s := range consumers {
			row(w, s.Subscription, s.App, owner(s.Owner), s.Major, s.Plan, s.Status)
		}
	})
}
