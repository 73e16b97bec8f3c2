package main

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"portico/cmd/portico/internal/client"
)

func clusterCommand(g *globalFlags) *cli.Command {
	return &cli.Command{
		Name:  "cluster",
		Usage: "show and change the cluster's membership",
		Subcommands: []*cli.Command{
			{Name: "status", Usage: "show the members and their raft state", Action: action(g, nil, clusterStatus)},
			{Name: "remove", Usage: "remove a member from the cluster", ArgsUsage: "ID",
				Action: action(g, []string{"ID"}, clusterRemove)},
		},
	}
}

func clusterStatus(c *cli.Context, op *operator) error {
	s, err := op.client.ClusterStatus(c.Context)
	if err != nil {
		return err
	}
	return op.out.print(s, func(w io.Writer) {
		fmt.Fprintf(w, "leader %s, term %d\n", leaderName(s.Leader), s.Term)
		row(w, "ID", "STATE", "VOTER", "APPLIED", "SERVED", "ADMIN", "HEALTHY")
		for _, n := range s.Nodes {
			row(w, n.ID, n.State, n.Voter, n.AppliedIndex, n.ServedIndex, dash(n.AdminAddr), health(n))
		}
	})
}

func leaderName(id string) string {
	if id == "" {
		return "none"
	}
	return id
}

// health is a node's HEALTHY cell: true, or false with the reason when there is one.
func health(n client.ClusterNode) string {
	switch {
	case n.Healthy:
		return "true"
	case n.Error != "":
		return "false (" + oneLine(n.Error) + ")"
	}
	return "false"
}

func clusterRemove(c *cli.Context, op *operator) error {
	res, err := op.client.RemoveNode(c.Context, c.Args().First())
	if err != nil {
		return err
	}
	return op.out.print(res, func(w io.Writer) { fmt.Fprintf(w, "removed node %s\n", res.Removed) })
}
