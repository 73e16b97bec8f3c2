// Package builtin carries the built-in policies inside the portico binary. When the gateway builds a policy chain it
// resolves a policy reference that names a built-in (for example "apikey") to the wasm bytes held here and hands
// them to the plugin host like any pushed plugin. The .wasm files are built from the guest sources in policies/<name>
// by policies/build.sh (`make policies`) and committed, so that building portico needs no wasm toolchain step.
package builtin

import (
	"embed"
	"io/fs"
	"path"
	"slices"
	"strings"
)

//go:embed wasm/*.wasm
var files embed.FS

// dir is the directory of the embedded modules.
const dir = "wasm"

// Lookup returns the wasm module of built-in policy name. The slice is the caller's own copy.
func Lookup(name string) (wasm []byte, ok bool) {
	if name == "" || strings.ContainsAny(name, "/.") {
		return nil, false
	}
	b, err := files.ReadFile(path.Join(dir, name+".wasm"))
	if err != nil {
		return nil, false
	}
	return b, true
}

// Names returns the names of the built-in policies, sorted.
func Names() []string {
	entries, err := fs.ReadDir(files, dir)
	if err != nil {
		return nil // the embed pattern guarantees the directory exists
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".wasm"); ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}
