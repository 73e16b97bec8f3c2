package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"
)

// maxPassword bounds a password, in bytes.
const maxPassword = 1024

// readPassword reads a password without ever writing it: the first line of stdin with --password-stdin, else typed
// on the terminal without echo after a prompt on stderr. Without --password-stdin a stdin that is not a terminal is
// refused, so that a password is never taken from a pipe by accident.
func readPassword(c *cli.Context, fromStdin bool) (string, error) {
	cmd := strings.TrimPrefix(c.Command.HelpName, "portico ")
	if fromStdin {
		return readPasswordLine(c.App.Reader)
	}
	f, ok := c.App.Reader.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", usagef("%s: stdin is not a terminal: give the password on stdin with --password-stdin", cmd)
	}
	fmt.Fprint(c.App.ErrWriter, "Password: ")
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(c.App.ErrWriter)
	if err != nil {
		return "", fmt.Errorf("reading the password: %w", err)
	}
	return checkPassword(string(b))
}

// readPasswordLine reads the first line of r, without its line ending.
func readPasswordLine(r io.Reader) (string, error) {
	if r == nil {
		return "", errors.New("reading the password: no stdin")
	}
	line, err := bufio.NewReader(io.LimitReader(r, maxPassword+2)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the password: %w", err)
	}
	return checkPassword(strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"))
}

func checkPassword(p string) (string, error) {
	switch {
	case p == "":
		return "", errors.New("reading the password: it is empty")
	case len(p) > maxPassword:
		return "", fmt.Errorf("reading the password: it is longer than %d bytes", maxPassword)
	}
	return p, nil
}
