package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTLSInit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	out := runCLI("tls", "init", "--dir", dir, "--nodes", "n1,n2", "--hosts", "10.0.0.1").ok(t)
	files := []string{"ca.crt", "ca.key", "n1.crt", "n1.key", "n2.crt", "n2.key"}
	if _, err := os.Stat(filepath.Join(dir, clusterKeyName)); err == nil {
		files = append(files[:2], append([]string{clusterKeyName}, files[2:]...)...) // when certs writes one
	}
	var want []string
	for _, f := range files {
		want = append(want, "wrote "+filepath.Join(dir, f))
	}
	if got := strings.Split(strings.TrimSpace(out), "\n"); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("tls init: got %q, want %q", got, want)
	}
	for _, f := range []string{"ca.crt", "n1.crt", "n2.key"} {
		if b, err := os.ReadFile(filepath.Join(dir, f)); err != nil || !strings.Contains(string(b), "-----BEGIN") {
			t.Errorf("%s: got %v, want a PEM file", f, err)
		}
	}

	var added tlsFiles
	decodeOne(t, runCLI("-o", "json", "tls", "init", "--dir", dir, "--nodes", "n3").ok(t), &added)
	if added.Dir != dir || strings.Join(added.Files, ",") != filepath.Join(dir, "n3.crt")+","+filepath.Join(dir, "n3.key") {
		t.Errorf("adding n3: got %+v, want only n3's files written with the existing CA", added)
	}

	runCLI("tls", "init", "--dir", dir, "--nodes", "n1").failed(t, exitError, "tls init: ")
}
