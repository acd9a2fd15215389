package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testEnv runs commands in-process with an injected environment.
func testEnv(vars map[string]string) (*environment, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return &environment{getenv: func(k string) string { return vars[k] }, stdout: &out, stderr: &errb}, &out, &errb
}

// TestBadInputCorpus runs every file in testdata/bad: each must exit 2 with
// a message naming the file, the line and column from its "# want:" line,
// and the expected text.
func TestBadInputCorpus(t *testing.T) {
	files, _ := filepath.Glob("testdata/bad/*.yml")
	if len(files) < 30 {
		t.Fatalf("want at least 30 bad inputs, have %d", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			loc, text := wantLine(t, f)
			e, _, stderr := testEnv(nil)
			code := run(context.Background(), []string{"validate", "-c", f}, e)
			if code != exitUsage {
				t.Fatalf("exit %d, want 2; stderr: %s", code, stderr)
			}
			msg := stderr.String()
			if !strings.Contains(msg, f+":"+loc+":") {
				t.Errorf("message does not locate %s:%s:\n%s", f, loc, msg)
			}
			if !strings.Contains(msg, text) {
				t.Errorf("message lacks %q:\n%s", text, msg)
			}
			if strings.Contains(msg, "panic") {
				t.Errorf("panic: %s", msg)
			}
		})
	}
}

func wantLine(t *testing.T, path string) (loc, text string) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	s.Scan()
	line := strings.TrimPrefix(s.Text(), "# want: ")
	loc, text, _ = strings.Cut(line, " ")
	return loc, strings.TrimSpace(text)
}
