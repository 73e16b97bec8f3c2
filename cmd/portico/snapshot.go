package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"
)

func snapshotCommand(g *globalFlags) *cli.Command {
	return &cli.Command{
		Name:  "snapshot",
		Usage: "back up or restore the whole replicated state",
		Subcommands: []*cli.Command{
			{Name: "save", Usage: "write a backup of the cluster's state to FILE", ArgsUsage: "FILE",
				Action: action(g, []string{"FILE"}, snapshotSave)},
			{Name: "restore", Usage: "replace the cluster's state with the backup in FILE", ArgsUsage: "FILE",
				Action: action(g, []string{"FILE"}, snapshotRestore)},
		},
	}
}

// savedSnapshot is the result of `snapshot save`.
type savedSnapshot struct {
	File  string `json:"file"`
	Bytes int64  `json:"bytes"`
	Index uint64 `json:"index"`
}

func snapshotSave(c *cli.Context, op *operator) error {
	res := savedSnapshot{File: c.Args().First()}
	err := writeAtomically(res.File, func(w io.Writer) error {
		var err error
		res.Bytes, res.Index, err = op.client.SaveSnapshot(c.Context, w)
		return err
	})
	if err != nil {
		return err
	}
	return op.out.print(res, func(w io.Writer) {
		fmt.Fprintf(w, "saved %s (%d bytes, index %d)\n", res.File, res.Bytes, res.Index)
	})
}

// writeAtomically has write fill FILE.tmp, syncs it and renames it to file. On any error it removes FILE.tmp, so
// file is never left partial: it is the complete new content or what it was before.
func writeAtomically(file string, write func(w io.Writer) error) error {
	tmp := file + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600) // a backup holds credential hashes
	if err != nil {
		return fmt.Errorf("creating %s: %w", tmp, err)
	}
	err = write(f)
	if err == nil {
		err = f.Sync()
	}
	err = errors.Join(err, f.Close())
	if err == nil {
		err = os.Rename(tmp, file)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return nil
}

// restoredSnapshot is the result of `snapshot restore`.
type restoredSnapshot struct {
	File     string `json:"file"`
	Restored bool   `json:"restored"`
	Index    uint64 `json:"index"`
}

func snapshotRestore(c *cli.Context, op *operator) error {
	file := c.Args().First()
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("reading the snapshot: %w", err)
	}
	defer f.Close()
	r, err := op.client.RestoreSnapshot(c.Context, f)
	if err != nil {
		return err
	}
	res := restoredSnapshot{File: file, Restored: r.Restored, Index: r.Index}
	return op.out.print(res, func(w io.Writer) { fmt.Fprintf(w, "restored %s at index %d\n", res.File, res.Index) })
}
