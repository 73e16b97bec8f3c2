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

// Bounds of the passwords read: the length of one, and how many one command reads from stdin.
const (
	maxPassword      = 1024
	maxPasswordLines = 2
)

// passwordReader reads passwords without ever writing them: successive lines of stdin with --password-stdin, else
// typed on the terminal without echo after a prompt on stderr.
type passwordReader struct {
	lines  *bufio.Reader // stdin, with --password-stdin
	tty    int           // the terminal's descriptor, without
	prompt io.Writer
}

// newPasswordReader reads from stdin with --password-stdin, else from the terminal. Without --password-stdin a stdin
// that is not a terminal is refused, so that a password is never taken from a pipe by accident.
func newPasswordReader(c *cli.Context, fromStdin bool) (*passwordReader, error) {
	if fromStdin {
		if c.App.Reader == nil {
			return nil, errors.New("reading the password: no stdin")
		}
		limited := io.LimitReader(c.App.Reader, maxPasswordLines*(maxPassword+2))
		return &passwordReader{lines: bufio.NewReader(limited)}, nil
	}
	f, ok := c.App.Reader.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		cmd := strings.TrimPrefix(c.Command.HelpName, "portico ")
		return nil, usagef("%s: stdin is not a terminal: give the password on stdin with --password-stdin", cmd)
	}
	return &passwordReader{tty: int(f.Fd()), prompt: c.App.ErrWriter}, nil
}

// readPassword reads one password: the first line of stdin with --password-stdin, else typed on the terminal.
func readPassword(c *cli.Context, fromStdin bool) (string, error) {
	p, err := newPasswordReader(c, fromStdin)
	if err != nil {
		return "", err
	}
	return p.read("password")
}

// read reads the password called what ("password", "current password"): the next line of stdin, or what is typed
// on the terminal after the prompt "What: ".
func (p *passwordReader) read(what string) (string, error) {
	if p.lines != nil {
		return p.line(what)
	}
	fmt.Fprintf(p.prompt, "%s%s: ", strings.ToUpper(what[:1]), what[1:])
	b, err := term.ReadPassword(p.tty)
	fmt.Fprintln(p.prompt)
	if err != nil {
		return "", fmt.Errorf("reading the %s: %w", what, err)
	}
	return checkPassword(what, string(b))
}

// readNew reads a new password; typed on the terminal, it is asked twice and both must match.
func (p *passwordReader) readNew() (string, error) {
	pw, err := p.read("new password")
	if err != nil || p.lines != nil {
		return pw, err
	}
	again, err := p.read("new password again")
	if err != nil {
		return "", err
	}
	if again != pw {
		return "", errors.New("the two new passwords typed differ: nothing was changed")
	}
	return pw, nil
}

// line reads the next line of stdin, without its line ending.
func (p *passwordReader) line(what string) (string, error) {
	line, err := p.lines.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the %s: %w", what, err)
	}
	return checkPassword(what, strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"))
}

func checkPassword(what, p string) (string, error) {
	switch {
	case p == "":
		return "", fmt.Errorf("reading the %s: it is empty", what)
	case len(p) > maxPassword:
		return "", fmt.Errorf("reading the %s: it is longer than %d bytes", what, maxPassword)
	}
	return p, nil
}
