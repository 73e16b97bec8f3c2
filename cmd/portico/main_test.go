package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"portico/node/apifile"
)

func TestExitCodes(t *testing.T) {
	c := newCluster(t)
	c.run("deploy", "-f", "testdata/greet.yaml").ok(t)
	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"unknown command", []string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{"no command", nil, exitUsage, "a command is required"},
		{"group without subcommand", []string{"api"}, exitUsage, "portico: api: a command is required"},
		{"unknown subcommand", []string{"key", "rotate"}, exitUsage, `portico: key: unknown command "rotate"`},
		{"unknown flag", []string{"api", "list", "--bogus"}, exitUsage, "flag provided but not defined: -bogus"},
		{"unknown global flag", []string{"--bogus", "api", "list"}, exitUsage, "-bogus"},
		{"flag without value", []string{"api", "list", "-o"}, exitUsage, "flag needs an argument: -o"},
		{"bad int flag", []string{"key", "create", "--app", "a", "--api", "b", "--major", "x"}, exitUsage, "major"},
		{"missing arguments", []string{"api", "get", "greet"}, exitUsage, "want 2 argument(s) [NAME VERSION], got 1"},
		{"extra arguments", []string{"app", "list", "x"}, exitUsage, "want 0 argument(s)"},
		{"missing name", []string{"app", "create"}, exitUsage, "want 1 argument(s) [NAME]"},
		{"missing required flag", []string{"key", "create", "--app", "a"}, exitUsage, "--app and --api are required"},
		{"bad output format", []string{"-o", "xml", "api", "list"}, exitUsage, `-o "xml"`},
		{"deploy without a file", []string{"deploy"}, exitUsage, "either -f"},
		{"deploy with both", []string{"deploy", "-f", "a", "--openapi", "b"}, exitUsage, "either -f"},
		{"openapi without backend", []string{"deploy", "--openapi", "x.yaml", "--name", "n", "--version", "1.0",
			"--context", "/c"}, exitUsage, "--backend is required"},
		{"bad wait", []string{"deploy", "-f", "x", "--wait", "some"}, exitUsage, "--wait"},
		{"node run without id", []string{"node", "run", "--data-dir", "d"}, exitUsage, "--id and --data-dir"},
		{"bootstrap and join", []string{"node", "run", "--id", "a", "--data-dir", "d", "--bootstrap", "--join",
			"http://x"}, exitUsage, "exclude each other"},
		{"absent API", []string{"api", "get", "nope", "1.0"}, exitError, "API nope 1.0 not found"},
		{"absent key", []string{"key", "delete", "0123456789abcdef"}, exitError, "0123456789abcdef"},
		{"invalid API file", []string{"deploy", "-f", "testdata/bad-path.yaml"}, exitError, "operations[1].path"},
		{"unreadable file", []string{"deploy", "-f", "testdata/none.yaml"}, exitError, "reading the API file"},
		{"duplicate app", []string{"app", "create", "dup"}, exitError, "dup"},
	}
	c.run("app", "create", "dup").ok(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c.run(tc.args...).failed(t, tc.code, tc.msg)
		})
	}
}

func TestConnectionErrors(t *testing.T) {
	c := newCluster(t)
	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"bad token", []string{"--server", c.url, "--token", "wrong", "api", "list"}, exitError,
			"a valid admin token is required"},
		{"no token", []string{"--server", c.url, "app", "list"}, exitError, "a valid admin token is required"},
		{"unreachable server", []string{"--server", "http://127.0.0.1:1", "--token", "t", "api", "list"}, exitError,
			"cannot reach the admin API at http://127.0.0.1:1"},
		{"not a URL", []string{"--server", "127.0.0.1:9080", "api", "list"}, exitUsage, "--server"},
	}
	t.Setenv("PORTICO_TOKEN", "")
	t.Setenv("PORTICO_SERVER", "")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			runCLI(tc.args...).failed(t, tc.code, tc.msg)
		})
	}
}

func TestEnvironment(t *testing.T) {
	c := newCluster(t)
	t.Setenv("PORTICO_SERVER", c.url)
	t.Setenv("PORTICO_TOKEN", testToken)
	if out := runCLI("-o", "json", "app", "list").ok(t); strings.TrimSpace(out) != "[]" {
		t.Errorf("app list: got %q, want []", out)
	}
}

func TestHelpAndVersion(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"root help", []string{"--help"}, "deploy"},
		{"command help", []string{"key", "create", "--help"}, "--major"},
		{"group help", []string{"api", "--help"}, "delete"},
		{"help command", []string{"help"}, "deploy"},
		{"version", []string{"version"}, "portico"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if out := runCLI(tc.args...).ok(t); !strings.Contains(out, tc.want) {
				t.Errorf("stdout: got %q, want it to contain %q", out, tc.want)
			}
		})
	}
	var v map[string]string
	decodeOne(t, runCLI("version", "-o", "json").ok(t), &v)
	if v["version"] == "" {
		t.Errorf("version -o json: got %v, want a version field", v)
	}
}

// decodeOne requires out to be exactly one JSON document and decodes it into v.
func decodeOne(t *testing.T, out string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decoding %q: %v", out, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		t.Fatalf("output %q: want exactly one JSON document", out)
	}
}

func TestJSONOutput(t *testing.T) {
	c := newCluster(t)
	objects := [][]string{
		{"deploy", "-f", "testdata/greet.yaml", "-o", "json"},
		{"-o", "json", "app", "create", "web", "--description", "the web app"},
		{"api", "get", "greet", "1.0", "-o", "json"},
		{"key", "create", "--app", "web", "--api", "greet", "-o", "json"},
	}
	lists := [][]string{
		{"api", "list", "-o", "json"},
		{"app", "list", "-o", "json"},
		{"key", "list", "-o", "json", "--app", "web"},
	}
	for _, args := range objects {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var obj map[string]any
			decodeOne(t, c.run(args...).ok(t), &obj)
			if obj["name"] == nil && obj["id"] == nil {
				t.Errorf("object: got %v, want a name or id", obj)
			}
		})
	}
	for _, args := range lists {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var list []map[string]any
			decodeOne(t, c.run(args...).ok(t), &list)
			if len(list) != 1 {
				t.Errorf("list: got %d items, want 1", len(list))
			}
		})
	}
	var deleted map[string]any
	decodeOne(t, c.run("-o", "json", "api", "delete", "greet", "1.0").ok(t), &deleted)
	if deleted["deleted"] != true || deleted["name"] != "greet" {
		t.Errorf("api delete: got %v, want greet deleted", deleted)
	}
	if out := c.run("api", "list", "-o", "json").ok(t); strings.TrimSpace(out) != "[]" {
		t.Errorf("empty api list: got %q, want []", out)
	}
}

func TestDeployRoundTrip(t *testing.T) {
	c := newCluster(t)
	out := c.run("deploy", "-f", "testdata/greet.yaml").ok(t)
	for _, want := range []string{"REVISION", "greet", "/greet/v1, /greet/v1.0", "true"} {
		if !strings.Contains(out, want) {
			t.Errorf("deploy table: got %q, want it to contain %q", out, want)
		}
	}
	list := c.run("api", "list").ok(t)
	if lines := strings.Split(strings.TrimSpace(list), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[1], "greet") {
		t.Errorf("api list: got %q, want a header and greet", list)
	}

	exported := c.run("api", "get", "greet", "1.0", "-o", "yaml").ok(t)
	file := filepath.Join(t.TempDir(), "exported.yaml")
	if err := os.WriteFile(file, []byte(exported), 0o600); err != nil {
		t.Fatal(err)
	}
	original := decodeFile(t, "testdata/greet.yaml")
	if got := decodeFile(t, file); !reflect.DeepEqual(got, original) {
		t.Errorf("api get -o yaml decodes to %+v, want %+v", got, original)
	}

	var again map[string]any
	decodeOne(t, c.run("-o", "json", "deploy", "-f", file).ok(t), &again)
	if again["changed"] != false || again["revision"] != float64(1) {
		t.Errorf("redeploying the exported file: got %v, want changed false at revision 1", again)
	}
}

func decodeFile(t *testing.T, path string) any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	api, err := apifile.Decode(b)
	if err != nil {
		t.Fatalf("decoding %s: %v", path, err)
	}
	return api
}

func TestDeployOpenAPI(t *testing.T) {
	c := newCluster(t)
	var res map[string]any
	decodeOne(t, c.run("-o", "json", "deploy", "--openapi", "testdata/petstore.yaml", "--name", "pets",
		"--version", "1.0", "--context", "/pets", "--backend", "http://127.0.0.1:9000", "--lifecycle", "Published",
		"--security", "api-key").ok(t), &res)
	if res["name"] != "pets" || res["lifecycle"] != "Published" ||
		!reflect.DeepEqual(res["urls"], []any{"/pets/v1", "/pets/v1.0"}) {
		t.Errorf("deploy --openapi: got %v", res)
	}
	api := c.store.State().APIs["pets@1.0"]
	if api == nil || !reflect.DeepEqual(api.Security, []string{"api-key"}) {
		t.Errorf("stored API: got %+v, want pets@1.0 with security [api-key]", api)
	}
}

func TestKeyShownOnce(t *testing.T) {
	c := newCluster(t)
	c.run("deploy", "-f", "testdata/greet.yaml").ok(t)
	c.run("app", "create", "mobile").ok(t)

	out := c.run("key", "create", "--app", "mobile", "--api", "greet", "--name", "ci").ok(t)
	key := findKey(out)
	if key == "" || !strings.Contains(out, "not shown again") {
		t.Fatalf("key create: got %q, want a pk_ key and a note that it is not shown again", out)
	}
	var created map[string]any
	decodeOne(t, c.run("key", "create", "--app", "mobile", "--api", "greet", "-o", "json").ok(t), &created)
	second, _ := created["key"].(string)
	if !strings.HasPrefix(second, "pk_") || created["id"] == "" {
		t.Fatalf("key create -o json: got %v, want id and key", created)
	}

	reads := [][]string{
		{"key", "list"}, {"key", "list", "-o", "json"}, {"key", "list", "-o", "yaml"}, {"key", "list", "--app", "mobile"},
		{"app", "list", "-o", "json"}, {"api", "get", "greet", "1.0", "-o", "json"}, {"api", "list"},
	}
	for _, args := range reads {
		out := c.run(args...).ok(t)
		if strings.Contains(out, key) || strings.Contains(out, second) || strings.Contains(out, "pk_") {
			t.Errorf("%v: output shows a key: %q", args, out)
		}
	}
	var keys []map[string]any
	decodeOne(t, c.run("key", "list", "-o", "json").ok(t), &keys)
	if len(keys) != 2 {
		t.Fatalf("key list: got %d keys, want 2", len(keys))
	}
	c.run("key", "delete", keys[0]["id"].(string)).ok(t)
	decodeOne(t, c.run("key", "list", "-o", "json").ok(t), &keys)
	if len(keys) != 1 {
		t.Errorf("key list after delete: got %d keys, want 1", len(keys))
	}
}

// findKey returns the first pk_ token of out.
func findKey(out string) string {
	for _, f := range strings.Fields(out) {
		if strings.HasPrefix(f, "pk_") {
			return f
		}
	}
	return ""
}

func TestYAMLOutput(t *testing.T) {
	c := newCluster(t)
	c.run("app", "create", "web", "--description", "first: second").ok(t)
	var apps []map[string]any
	if err := yaml.Unmarshal([]byte(c.run("app", "list", "-o", "yaml").ok(t)), &apps); err != nil {
		t.Fatalf("app list -o yaml: %v", err)
	}
	if len(apps) != 1 || apps[0]["name"] != "web" || apps[0]["description"] != "first: second" {
		t.Errorf("app list -o yaml: got %v", apps)
	}
}

func TestWritesCarryIdempotencyKeys(t *testing.T) {
	c := newCluster(t)
	c.run("app", "create", "a").ok(t)
	c.run("app", "create", "b").ok(t)
	c.run("app", "list").ok(t)
	c.run("app", "delete", "a").ok(t)
	keys := map[string]bool{}
	for _, r := range c.seen.all() {
		k := r.Header.Get("Idempotency-Key")
		if r.Header.Get("Authorization") != "Bearer "+testToken {
			t.Errorf("%s %s: Authorization header missing", r.Method, r.URL.Path)
		}
		if r.Method == "GET" {
			if k != "" {
				t.Errorf("GET %s: got Idempotency-Key %q, want none", r.URL.Path, k)
			}
			continue
		}
		if k == "" || keys[k] {
			t.Errorf("%s %s: got Idempotency-Key %q, want a fresh one", r.Method, r.URL.Path, k)
		}
		keys[k] = true
	}
	if len(keys) != 3 {
		t.Errorf("writes with keys: got %d, want 3", len(keys))
	}
}

func TestOneLine(t *testing.T) {
	var buf bytes.Buffer
	code := run([]string{"portico", "--server", "http://127.0.0.1:1", "node", "run", "--id", "x"}, nil, io.Discard,
		&buf)
	if code != exitUsage || strings.Count(buf.String(), "\n") != 1 {
		t.Errorf("got exit %d, stderr %q, want 2 and one line", code, buf.String())
	}
	if got := oneLine("a\nb\n  c"); got != "a; b; c" {
		t.Errorf("oneLine: got %q, want %q", got, "a; b; c")
	}
}
