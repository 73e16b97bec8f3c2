package builtin

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestLookup(t *testing.T) {
	tests := []struct {
		name   string
		wantOK bool
	}{
		{"apikey", true},
		{"oauth2", true},
		{"cors", true},
		{"nope", false},
		{"", false},
		{"../builtin", false},
		{"apikey.wasm", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wasm, ok := Lookup(tt.name)
			if ok != tt.wantOK {
				t.Fatalf("got ok %v, want %v", ok, tt.wantOK)
			}
			if ok && !bytes.HasPrefix(wasm, []byte("\x00asm")) {
				t.Errorf("got %d bytes starting %q, want a wasm module", len(wasm), wasm[:min(len(wasm), 4)])
			}
		})
	}
}

func TestLookupReturnsCopy(t *testing.T) {
	a, _ := Lookup("apikey")
	a[0] = 'x'
	b, _ := Lookup("apikey")
	if b[0] != 0 {
		t.Errorf("got first byte %q after editing an earlier result, want 0", b[0])
	}
}

func TestNames(t *testing.T) {
	got := Names()
	for _, name := range []string{"apikey", "cors", "oauth2"} {
		if !slices.Contains(got, name) {
			t.Errorf("got %q, want it to contain %s", got, name)
		}
	}
	if !slices.IsSorted(got) {
		t.Errorf("got %q, want sorted", got)
	}
	for _, name := range got {
		if _, ok := Lookup(name); !ok {
			t.Errorf("Lookup(%q): got ok false, want true", name)
		}
	}
}

// TestBuiltinsUpToDate rebuilds every policy with policies/build.sh into a temporary directory and checks that the
// committed modules in wasm/ are byte for byte the same, and that wasm/ holds no module without a policy.
func TestBuiltinsUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("rebuilds the policies")
	}
	out := t.TempDir()
	cmd := exec.Command("sh", filepath.Join("..", "build.sh"), out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("running policies/build.sh: %v\n%s", err, b)
	}
	built, committed := wasmFiles(t, out), wasmFiles(t, "wasm")
	for _, name := range built {
		want := readFile(t, filepath.Join(out, name))
		got := readFile(t, filepath.Join("wasm", name))
		if !bytes.Equal(got, want) {
			t.Errorf("policies/builtin/wasm/%s differs from a fresh build of its sources: run `make policies`", name)
		}
	}
	for _, name := range committed {
		if !slices.Contains(built, name) {
			t.Errorf("policies/builtin/wasm/%s has no policy source: remove it", name)
		}
	}
}

func wasmFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".wasm") {
			names = append(names, e.Name())
		}
	}
	return names
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("policies/builtin/%s: %v: run `make policies`", name, err)
	}
	return b
}
