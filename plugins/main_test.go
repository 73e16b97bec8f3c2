package plugins

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// cacheDir is the compilation cache shared by the tests' hosts, so the Go guest is compiled to native code once.
var cacheDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "plugins-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cacheDir = filepath.Join(dir, "cache")
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

var goGuestBuild = sync.OnceValues(func() ([]byte, error) {
	out := filepath.Join(filepath.Dir(cacheDir), "goguest.wasm")
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", out, "./testdata/goguest")
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building testdata/goguest: %v\n%s", err, msg)
	}
	return os.ReadFile(out)
})

// goGuest returns the Go reactor guest of testdata/goguest, built with GOOS=wasip1 once per test binary.
func goGuest(t testing.TB) []byte {
	t.Helper()
	wasm, err := goGuestBuild()
	if err != nil {
		t.Fatal(err)
	}
	return wasm
}
