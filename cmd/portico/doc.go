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

func docCommand(g *globalFlags) *cli.Command {
	var file string
	return &cli.Command{
		Name:  "doc",
		Usage: "manage the documents (named Markdown texts) of an API version",
		Subcommands: []*cli.Command{
			{Name: "add", Usage: "store a document, replacing one of the same name", ArgsUsage: "NAME VERSION DOC",
				UsageText: "portico api doc add NAME VERSION DOC --file F",
				Flags: []cli.Flag{&cli.StringFlag{Name: "file", Aliases: []string{"f"}, Destination: &file,
					Usage: "Markdown (or .txt plain text) `FILE`, at most 256 KiB (required)"}},
				Action: action(g, []string{"NAME", "VERSION", "DOC"}, func(c *cli.Context, op *operator) error {
					return docAdd(c, op, file)
				})},
			{Name: "list", Usage: "list the documents of an API version", ArgsUsage: "NAME VERSION",
				Action: action(g, []string{"NAME", "VERSION"}, docList)},
			{Name: "get", Usage: "print a document's Markdown", ArgsUsage: "NAME VERSION DOC",
				Action: action(g, []string{"NAME", "VERSION", "DOC"}, docGet)},
			{Name: "delete", Usage: "remove a document", ArgsUsage: "NAME VERSION DOC",
				Action: action(g, []string{"NAME", "VERSION", "DOC"}, docDelete)},
		},
	}
}

// docRef names a document of an API version.
type docRef struct {
	API     string `json:"api"`
	Version string `json:"version"`
	Name    string `json:"name"`
}

// docBody is a document with its text, as `doc get -o json|yaml` prints it.
type docBody struct {
	docRef
	Body string `json:"body"`
}

// docDeleted is the result of `doc delete`.
type docDeleted struct {
	docRef
	Deleted bool `json:"deleted"`
}

func docAdd(c *cli.Context, op *operator, file string) error {
	if file == "" {
		return usagef("api doc add: --file is required")
	}
	body, err := readDoc(file)
	if err != nil {
		return err
	}
	args := c.Args()
	res, err := op.client.PutDoc(c.Context, args.Get(0), args.Get(1), args.Get(2), body, docType(file))
	if err != nil {
		return err
	}
	return op.out.print(res, func(w io.Writer) {
		fmt.Fprintf(w, "stored document %s of API %s %s (%d bytes)\n", args.Get(2), args.Get(0), args.Get(1),
			len(body))
	})
}

// readDoc reads a document file, refusing one larger than a document may be.
func readDoc(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("reading the document: %w", err)
	}
	defer f.Close()
	body, err := io.ReadAll(io.LimitReader(f, client.MaxDocSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading the document: %w", err)
	}
	if len(body) > client.MaxDocSize {
		return nil, fmt.Errorf("reading the document: %s is larger than %d KiB", file, client.MaxDocSize>>10)
	}
	return body, nil
}

// docType is text/plain for a .txt file, text/markdown otherwise.
func docType(file string) string {
	if strings.EqualFold(filepath.Ext(file), ".txt") {
		return "text/plain"
	}
	return "text/markdown"
}

func docList(c *cli.Context, op *operator) error {
	docs, err := op.client.ListDocs(c.Context, c.Args().Get(0), c.Args().Get(1))
	if err != nil {
		return err
	}
	return op.out.print(docs, func(w io.Writer) {
		row(w, "NAME", "SIZE", "UPDATED")
		for _, d := range docs {
			row(w, d.Name, d.Size, millis(d.UpdatedAt))
		}
	})
}

// docGet prints the Markdown as it is, or, with -o json or yaml, one document holding it.
func docGet(c *cli.Context, op *operator) error {
	args := c.Args()
	body, err := op.client.GetDoc(c.Context, args.Get(0), args.Get(1), args.Get(2))
	if err != nil {
		return err
	}
	if op.out.format != formatTable {
		doc := docBody{docRef: docRef{API: args.Get(0), Version: args.Get(1), Name: args.Get(2)}, Body: string(body)}
		return op.out.print(doc, nil)
	}
	if _, err := op.out.w.Write(body); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return nil
}

func docDelete(c *cli.Context, op *operator) error {
	args := c.Args()
	if err := op.client.DeleteDoc(c.Context, args.Get(0), args.Get(1), args.Get(2)); err != nil {
		return err
	}
	res := docDeleted{docRef: docRef{API: args.Get(0), Version: args.Get(1), Name: args.Get(2)}, Deleted: true}
	return op.out.print(res, func(w io.Writer) {
		fmt.Fprintf(w, "deleted document %s of API %s %s\n", res.Name, res.API, res.Version)
	})
}
