package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"
	"gopkg.in/yaml.v3"
)

// defaultServer is the admin API called when neither --server, PORTICO_SERVER nor the current context names one.
const defaultServer = "http://127.0.0.1:9080"

// configEnv names the config file in place of ~/.config/portico/config.yaml.
const configEnv = "PORTICO_CONFIG"

// cliConfig is the CLI's config file: named contexts, each an admin API and a token, and the current one.
type cliConfig struct {
	Current  string                 `yaml:"current-context,omitempty"`
	Contexts map[string]*cliContext `yaml:"contexts,omitempty"`
}

// cliContext is one admin API and the token to call it with.
type cliContext struct {
	Server string `yaml:"server"`
	Token  string `yaml:"token,omitempty"`
}

// contextName is what a context may be called.
var contextName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// configPath is $PORTICO_CONFIG, else ~/.config/portico/config.yaml.
func configPath() (string, error) {
	if p := os.Getenv(configEnv); p != "" {
		return p, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("finding the config file: %w", err)
	}
	return filepath.Join(home, ".config", "portico", "config.yaml"), nil
}

// loadConfig reads the config file at path; a missing file is an empty config.
func loadConfig(path string) (*cliConfig, error) {
	cfg := &cliConfig{}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return cfg, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the config file: %w", err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("reading the config file %s: %w", path, err)
	}
	for name, ctx := range cfg.Contexts {
		if ctx == nil || ctx.Server == "" {
			return nil, fmt.Errorf("config file %s: context %q has no server", path, name)
		}
	}
	if cfg.Current != "" && cfg.Contexts[cfg.Current] == nil {
		return nil, fmt.Errorf("config file %s: current context %q is not defined", path, cfg.Current)
	}
	return cfg, nil
}

// openConfig finds and reads the config file.
func openConfig() (string, *cliConfig, error) {
	path, err := configPath()
	if err != nil {
		return "", nil, err
	}
	cfg, err := loadConfig(path)
	return path, cfg, err
}

// save writes the config file at path with mode 0600 (it holds tokens), replacing it whole, and creates its
// directory with mode 0700 if needed.
func (cfg *cliConfig) save(path string) error {
	data, err := yaml.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("encoding the config file: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("creating the config directory: %w", err)
	}
	_ = os.Remove(path + ".tmp") // a leftover could carry a wider mode
	err = writeAtomically(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
	if err != nil {
		return fmt.Errorf("writing the config file: %w", err)
	}
	return nil
}

// endpoint resolves the admin API and token of a command: the flags (or their environment variables) first, then
// the current context. The context's token is only sent to the context's server.
func (g *globalFlags) endpoint() (server, token string, err error) {
	server, token = g.Server, g.Token
	if server == "" || token == "" {
		cur, err := currentContext()
		if err != nil {
			return "", "", err
		}
		if cur != nil && server == "" {
			server = cur.Server
		}
		if cur != nil && token == "" && strings.TrimRight(server, "/") == strings.TrimRight(cur.Server, "/") {
			token = cur.Token
		}
	}
	if server == "" {
		server = defaultServer
	}
	return server, token, nil
}

// currentContext is the current context of the config file; nil when there is none.
func currentContext() (*cliContext, error) {
	_, cfg, err := openConfig()
	if err != nil {
		return nil, err
	}
	return cfg.Contexts[cfg.Current], nil
}

// saveContext stores a context in the config file; it becomes the current one when there is none. It says whether
// it is current.
func saveContext(name string, ctx cliContext) (bool, error) {
	path, cfg, err := openConfig()
	if err != nil {
		return false, err
	}
	if cfg.Contexts == nil {
		cfg.Contexts = map[string]*cliContext{}
	}
	cfg.Contexts[name] = &ctx
	if cfg.Current == "" {
		cfg.Current = name
	}
	return cfg.Current == name, cfg.save(path)
}

// checkContextName refuses a context name that is not [A-Za-z0-9][A-Za-z0-9._-]*.
func checkContextName(flag, name string) error {
	if !contextName.MatchString(name) {
		return usagef("%s %q: want letters, digits, '.', '_' or '-' (at most 64)", flag, name)
	}
	return nil
}

func contextCommand(g *globalFlags) *cli.Command {
	return &cli.Command{
		Name:  "context",
		Usage: "choose the admin API and token commands use by default (saved by 'portico login --save')",
		Subcommands: []*cli.Command{
			{Name: "use", Usage: "make a saved context the current one", ArgsUsage: "NAME",
				Action: func(c *cli.Context) error { return contextUse(c, g) }},
			{Name: "list", Usage: "list the saved contexts (never their tokens)",
				Action: func(c *cli.Context) error { return contextList(c, g) }},
		},
	}
}

// contextView is a context as the CLI shows it: never its token.
type contextView struct {
	Name    string `json:"name"`
	Server  string `json:"server"`
	Current bool   `json:"current"`
}

func contextUse(c *cli.Context, g *globalFlags) error {
	if err := wantArgs(c, "NAME"); err != nil {
		return err
	}
	p, err := newPrinter(c.App.Writer, g.Output)
	if err != nil {
		return err
	}
	name := c.Args().First()
	path, cfg, err := openConfig()
	if err != nil {
		return err
	}
	ctx := cfg.Contexts[name]
	if ctx == nil {
		return fmt.Errorf("context use: no context %q in %s (save one with 'portico login --save %s')", name, path,
			name)
	}
	cfg.Current = name
	if err := cfg.save(path); err != nil {
		return err
	}
	v := contextView{Name: name, Server: ctx.Server, Current: true}
	return p.print(v, func(w io.Writer) { fmt.Fprintf(w, "using context %s (%s)\n", v.Name, v.Server) })
}

func contextList(c *cli.Context, g *globalFlags) error {
	if err := wantArgs(c); err != nil {
		return err
	}
	p, err := newPrinter(c.App.Writer, g.Output)
	if err != nil {
		return err
	}
	_, cfg, err := openConfig()
	if err != nil {
		return err
	}
	views := []contextView{}
	for name, ctx := range cfg.Contexts {
		views = append(views, contextView{Name: name, Server: ctx.Server, Current: name == cfg.Current})
	}
	sort.Slice(views, func(i, j int) bool { return views[i].Name < views[j].Name })
	return p.print(views, func(w io.Writer) {
		row(w, "CURRENT", "NAME", "SERVER")
		for _, v := range views {
			mark := ""
			if v.Current {
				mark = "*"
			}
			row(w, mark, v.Name, v.Server)
		}
	})
}
