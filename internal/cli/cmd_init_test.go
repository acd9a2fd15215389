package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInitWritesAConfigThatValidates: init's file passes validate, carries
// the given URL and the schema line, and is never overwritten silently.
func TestInitWritesAConfigThatValidates(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "lg.yml")
	if code, _, errs := runLG(t, "init", "-c", cfg, "--url", "http://127.0.0.1:9123"); code != 0 {
		t.Fatalf("init: exit %d: %s", code, errs)
	}
	text := readFile(t, cfg)
	for _, want := range []string{"url: http://127.0.0.1:9123", "yaml-language-server: $schema=", "failure_rate < 1%"} {
		if !strings.Contains(text, want) {
			t.Errorf("starter config lacks %q:\n%s", want, text)
		}
	}
	if code, out, errs := runLG(t, "validate", "-c", cfg); code != 0 {
		t.Fatalf("validate of the starter: exit %d\n%s\n%s", code, out, errs)
	}

	os.WriteFile(cfg, []byte("mine"), 0o644)
	code, _, errs := runLG(t, "init", "-c", cfg)
	if code != 2 || !strings.Contains(errs, "--force") || readFile(t, cfg) != "mine" {
		t.Fatalf("init over an existing file: exit %d, %q, file %q", code, errs, readFile(t, cfg))
	}
	if code, _, errs := runLG(t, "init", "-c", cfg, "--force"); code != 0 || readFile(t, cfg) == "mine" {
		t.Fatalf("init --force: exit %d %s", code, errs)
	}
	if code, _, errs := runLG(t, "init", "-c", filepath.Join(dir, "x.yml"), "--url", "not a url"); code != 2 {
		t.Fatalf("init --url 'not a url': exit %d %s", code, errs)
	}
}

// TestSchemaCommandPrintsThePublishedSchema: what `loadgate schema` prints
// is the file in schema/.
func TestSchemaCommandPrintsThePublishedSchema(t *testing.T) {
	code, out, errs := runLG(t, "schema")
	if code != 0 || out != readFile(t, "schema/loadgate.schema.json") {
		t.Fatalf("schema: exit %d, %d bytes, %s", code, len(out), errs)
	}
}
