package openapi

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"portico/raftstore/state"
)

// opSummary is what a test expects of one converted operation.
type opSummary struct {
	method, path string
	security     []string
	scopes       []string
}

func summarize(ops []state.Operation) []opSummary {
	out := make([]opSummary, 0, len(ops))
	for _, o := range ops {
		out = append(out, opSummary{o.Method, o.Path, o.Security, o.Scopes})
	}
	return out
}

func TestConvertFixtures(t *testing.T) {
	cases := []struct {
		file       string
		opts       Options
		name       string
		version    string
		context    string
		backend    string
		lifecycle  string
		security   []string
		operations []opSummary
	}{
		{
			file: "petstore-3.0.yaml", name: "swagger-petstore", version: "1.0", context: "/v1",
			backend: "https://api.petstore.example/v1", lifecycle: state.Published, security: []string{"api-key"},
			operations: []opSummary{
				{"GET", "/pets", []string{"oauth2"}, []string{"read:pets"}},
				{"POST", "/pets", []string{"oauth2", "api-key"}, []string{"write:pets", "read:pets"}},
				{"GET", "/pets/{petId}", nil, nil},
				{"DELETE", "/pets/{petId}", []string{"none"}, nil},
				{"GET", "/store/inventory", []string{"api-key"}, nil},
			},
		},
		{
			file: "petstore-3.1.json", opts: Options{Lifecycle: state.PreReleased}, name: "pet-store-3-1", version: "2.0",
			context: "/api/v3", backend: "http://localhost:8080/api/v3", lifecycle: state.PreReleased,
			security: []string{"api-key"},
			operations: []opSummary{
				{"PUT", "/pet", []string{"oauth2"}, []string{"pets.write"}},
				{"POST", "/pet", []string{"oauth2"}, nil},
				{"GET", "/pet/findByStatus", []string{"none"}, nil},
				{"POST", "/pet/{petId}/uploadImage", nil, nil},
			},
		},
		{
			file: "petstore-2.0.yaml", opts: Options{Name: "pets", Context: "/pets"}, name: "pets", version: "1.2",
			context: "/pets", backend: "http://petstore.swagger.io/v2", lifecycle: state.Published,
			security: []string{"oauth2"},
			operations: []opSummary{
				{"POST", "/pet", []string{"oauth2"}, []string{"write:pets", "read:pets"}},
				{"GET", "/pet/{petId}", []string{"api-key"}, nil},
				{"DELETE", "/pet/{petId}", nil, []string{"read:pets"}},
				{"GET", "/user/logout", []string{"none"}, nil},
			},
		},
		{
			file: "petstore-2.0.yaml", name: "my-api", version: "3.1", context: "/shop/pets", backend: "https://b.internal",
			lifecycle: state.Created, security: []string{"api-key", "oauth2"},
			opts: Options{Name: "my-api", Version: "3.1", Context: "/shop/pets", Backend: "https://b.internal",
				Lifecycle: state.Created, Security: []string{"api-key", "oauth2"}},
			operations: []opSummary{
				{"POST", "/pet", []string{"oauth2"}, []string{"write:pets", "read:pets"}},
				{"GET", "/pet/{petId}", []string{"api-key"}, nil},
				{"DELETE", "/pet/{petId}", nil, nil},
				{"GET", "/user/logout", []string{"none"}, nil},
			},
		},
	}
	for _, c := range cases {
		t.Run(c.file+" "+c.name, func(t *testing.T) {
			doc, err := os.ReadFile("testdata/" + c.file)
			if err != nil {
				t.Fatal(err)
			}
			api, err := Convert(doc, c.opts)
			if err != nil {
				t.Fatalf("Convert: got error %v, want nil", err)
			}
			got := []any{api.Name, api.Version, api.Context, api.Endpoints.Production, api.Lifecycle, api.Security}
			want := []any{c.name, c.version, c.context, []string{c.backend}, c.lifecycle, c.security}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("name, version, context, backend, lifecycle, security:\ngot  %q\nwant %q", got, want)
			}
			if g := summarize(api.Operations); !reflect.DeepEqual(g, c.operations) {
				t.Errorf("operations:\ngot  %q\nwant %q", g, c.operations)
			}
			if api.Major*1000+api.Minor == 0 && c.version != "0.0" {
				t.Errorf("Major/Minor not filled: got %d.%d for version %q", api.Major, api.Minor, api.Version)
			}
		})
	}
}

func TestConvertRefused(t *testing.T) {
	const head = "openapi: 3.0.0\ninfo: {title: T, version: '1.0'}\nservers: [{url: 'http://b/ctx'}]\n"
	const schemes = "components:\n  securitySchemes:\n    k: {type: apiKey, in: header, name: k}\n" +
		"    o: {type: oauth2}\n    basic: {type: http, scheme: basic}\n"
	cases := []struct {
		name, doc string
		opts      Options
		want      string
	}{
		{"empty", "", Options{}, "document is empty"},
		{"syntax error", "openapi: [3.0", Options{}, "parsing document"},
		{"a list", "- openapi: 3.0.0\n", Options{}, "not an OpenAPI document"},
		{"no version field", "info: {title: T}\npaths: {}\n", Options{}, "not an OpenAPI document"},
		{"openapi 4", "openapi: '4.0'\n", Options{}, `openapi: unsupported version "4.0"`},
		{"openapi 2", "openapi: 2.0.0\n", Options{}, `openapi: unsupported version "2.0.0"`},
		{"swagger 1.2", "swagger: '1.2'\n", Options{}, `swagger: unsupported version "1.2"`},
		{"no paths", head, Options{}, "paths: no operations"},
		{"paths not a mapping", head + "paths: [a]\n", Options{}, "paths: must be a mapping"},
		{"only extensions", head + "paths: {x-a: {get: {}}, /a: {summary: s}}\n", Options{}, "paths: no operations"},
		{"partial param", head + "paths: {'/files/{name}.json': {get: {}}}\n", Options{},
			`paths./files/{name}.json: invalid path template`},
		{"trailing slash", head + "paths: {/pets/: {get: {}}}\n", Options{}, `paths./pets/: invalid path template`},
		{"ref path item", head + "paths: {/x: {$ref: '#/components/pathItems/x'}}\n", Options{},
			"paths./x: $ref path items are not supported"},
		{"equivalent templates", head + "paths:\n  /items/{id}: {get: {}}\n  /items/{name}: {get: {}}\n", Options{},
			"paths./items/{name}.get: same operation as paths./items/{id}.get"},
		{"unknown scheme", head + "paths: {/x: {get: {security: [{nope: []}]}}}\n" + schemes, Options{},
			`paths./x.get.security[0]: unknown security scheme "nope"`},
		{"combined schemes", head + "paths: {/x: {get: {security: [{k: [], o: []}]}}}\n" + schemes, Options{},
			"paths./x.get.security[0]: requirements combining several schemes are not supported"},
		{"only basic", head + "paths: {/x: {get: {security: [{basic: []}]}}}\n" + schemes, Options{},
			"paths./x.get.security: no scheme Portico supports"},
		{"global security not a list", head + "security: {k: []}\npaths: {/x: {get: {}}}\n" + schemes, Options{},
			"security: must be a list"},
		{"operation security not a list", head + "paths: {/x: {get: {security: k}}}\n" + schemes, Options{},
			"paths./x.get.security: must be a list"},
		{"operation not a mapping", head + "paths: {/x: {get: [1]}}\n", Options{}, "paths./x.get: must be a mapping"},
		{"no title", "openapi: 3.0.0\ninfo: {version: '1'}\nservers: [{url: 'http://b/c'}]\npaths: {/x: {get: {}}}\n",
			Options{}, "info.title: no usable API name"},
		{"symbol title", "openapi: 3.0.0\ninfo: {title: '***', version: '1'}\npaths: {/x: {get: {}}}\n",
			Options{}, "info.title: no usable API name"},
		{"bad version", "openapi: 3.0.0\ninfo: {title: T, version: latest}\npaths: {/x: {get: {}}}\n", Options{},
			`info.version: cannot derive major.minor from "latest"`},
		{"no server", "openapi: 3.0.0\ninfo: {title: T, version: '1'}\npaths: {/x: {get: {}}}\n", Options{Context: "/c"},
			"servers: no absolute http(s) server URL"},
		{"relative server only", "openapi: 3.0.0\ninfo: {title: T, version: '1'}\nservers: [{url: /api}]\n" +
			"paths: {/x: {get: {}}}\n", Options{}, "servers: no absolute http(s) server URL"},
		{"server without path", "openapi: 3.0.0\ninfo: {title: T, version: '1'}\nservers: [{url: 'http://b'}]\n" +
			"paths: {/x: {get: {}}}\n", Options{}, "servers[0].url: gives no base path"},
		{"swagger without host", "swagger: '2.0'\ninfo: {title: T, version: '1'}\nbasePath: /b\npaths: {/x: {get: {}}}\n",
			Options{}, "host: absent"},
		{"swagger without basePath", "swagger: '2.0'\ninfo: {title: T, version: '1'}\nhost: h\npaths: {/x: {get: {}}}\n",
			Options{}, "basePath: gives no base path"},
		{"bad name option", head + "paths: {/x: {get: {}}}\n", Options{Name: "Bad_Name"},
			"converted API is invalid: name:"},
		{"bad lifecycle option", head + "paths: {/x: {get: {}}}\n", Options{Lifecycle: "Live"},
			"converted API is invalid: lifecycle:"},
		{"bad security option", head + "paths: {/x: {get: {}}}\n", Options{Security: []string{"basic"}},
			"converted API is invalid: security[0]:"},
		{"file backend option", head + "paths: {/x: {get: {}}}\n", Options{Backend: "file:///etc/passwd"},
			"converted API is invalid: endpoints.production[0]:"},
		{"bad context from server", "openapi: 3.0.0\ninfo: {title: T, version: '1'}\n" +
			"servers: [{url: 'http://b/a%20b'}]\npaths: {/x: {get: {}}}\n", Options{}, "converted API is invalid: context:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			api, err := Convert([]byte(c.doc), c.opts)
			if err == nil {
				t.Fatalf("got %+v, want an error containing %q", api, c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("got error %q, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	cases := []struct {
		in, slug, version string
	}{
		{"Swagger Petstore", "swagger-petstore", ""},
		{"  Hello,  World! v2 ", "hello-world-v2", ""},
		{"Ünïcode API", "n-code-api", ""},
		{strings.Repeat("ab-", 30), strings.TrimRight(strings.Repeat("ab-", 22)[:64], "-"), ""},
		{"1.0.7", "1-0-7", "1.0"},
		{"v2", "v2", "2.0"},
		{"V3.14-rc1", "v3-14-rc1", "3.14"},
		{"01.02", "01-02", "1.2"},
		{"2024-06-01", "2024-06-01", "2024.0"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			if got := slug(c.in); got != c.slug {
				t.Errorf("slug: got %q, want %q", got, c.slug)
			}
			if c.version == "" {
				return
			}
			if got, err := majorMinor(c.in); err != nil || got != c.version {
				t.Errorf("majorMinor: got %q, %v, want %q", got, err, c.version)
			}
		})
	}
}

func FuzzConvert(f *testing.F) {
	for _, name := range []string{"petstore-3.0.yaml", "petstore-3.1.json", "petstore-2.0.yaml"} {
		if doc, err := os.ReadFile("testdata/" + name); err == nil {
			f.Add(doc)
		}
	}
	f.Add([]byte("openapi: 3.0.0\ninfo: {title: T, version: '1'}\nservers: [{url: 'http://b/c'}]\npaths: {/x: {get: {}}}\n"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		api, err := Convert(doc, Options{})
		if err != nil {
			return
		}
		if len(api.Operations) == 0 || api.Name == "" || len(api.Endpoints.Production) != 1 {
			t.Fatalf("Convert accepted an incomplete API: %+v", api)
		}
	})
}
