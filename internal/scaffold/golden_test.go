package scaffold

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/loadgate/loadgate/load"
	"github.com/loadgate/loadgate/load/config"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/file, or rewrites it with -update.
func golden(t *testing.T, file string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", file)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/scaffold -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test ./internal/scaffold -update after checking the diff)\n--- got:\n%s", file, got)
	}
}

// mustLoad is what init does before writing: the text must parse,
// validate and compile (templates included) as loadgate reads it.
func mustLoad(t *testing.T, name string, text []byte) *config.Config {
	t.Helper()
	cfg, err := config.ParseConfig(name, t.TempDir(), text, config.Overrides{}, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("%s does not validate: %v\n%s", name, err, text)
	}
	if _, err := load.Compile(cfg); err != nil {
		t.Fatalf("%s does not compile: %v\n%s", name, err, text)
	}
	return cfg
}
