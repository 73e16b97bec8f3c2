package apifile

import (
	"os"
	"path/filepath"
	"testing"
)

// TestExampleDecodes keeps the documented example API file (deploy/examples/api.yaml) valid.
func TestExampleDecodes(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "deploy", "examples", "api.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	api, err := Decode(data)
	if err != nil {
		t.Fatalf("deploy/examples/api.yaml: %v", err)
	}
	if api.CORS == nil || len(api.Security) != 2 || api.Technical.Email == "" {
		t.Fatalf("deploy/examples/api.yaml decoded to %+v, want its cors, both securities and owners", api)
	}
}
