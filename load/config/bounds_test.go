package config

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestHostileConfigs: each attack on the config parser ends in a located
// config error (exit 2) in well under 2 s and 200 MB.
func TestHostileConfigs(t *testing.T) {
	const head = "target: {url: http://127.0.0.1:1}\n"
	var bomb strings.Builder
	bomb.WriteString(head + "tasks:\n  - post: /x\n    json:\n      a: &a [x, x, x, x, x, x, x, x, x, x]\n")
	prev := "a"
	for _, name := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		bomb.WriteString("      " + name + ": &" + name + " [" + strings.Repeat("*"+prev+", ", 9) + "*" + prev + "]\n")
		prev = name
	}
	big := head + "tasks: [{get: /}]\n" + strings.Repeat("# padding padding padding padding padding padding padding\n", 50<<20/58)
	for _, c := range []struct {
		name, text, want string
		line             int
	}{
		{"alias bomb in json", bomb.String(), "expands to more than", 1},
		{"100k flow nesting", head + "tasks: [{get: /, json: " + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + "}]\n", "nests deeper than 100 levels", 2},
		{"nesting after an apostrophe", head + "# it's here\nname: it's\ntasks: [{get: /, json: " + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + "}]\n", "nests deeper than 100 levels", 4},
		{"deep block nesting", head + "tasks:\n" + deepBlock(300), "nests deeper than 100 levels", 0},
		{"compact sequences", head + "tasks:\n  - post: /\n    json:\n      " + strings.Repeat("- ", 50_000) + "x\n", "nests deeper than 100 levels", 5},
		{"50 MB config", big, "a config is at most 4 MiB", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "loadgate.yml")
			os.WriteFile(path, []byte(c.text), 0o644)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, err := LoadConfigFile(path, Overrides{}, func(string) (string, bool) { return "", false })
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
			if c.line > 0 && !strings.Contains(err.Error(), "loadgate.yml:"+strconv.Itoa(c.line)+":") {
				t.Errorf("not located at line %d: %v", c.line, err)
			}
			if took > 2*time.Second {
				t.Errorf("took %s", took)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 200<<20 {
				t.Errorf("allocated %d MiB", alloc>>20)
			}
		})
	}
}

func deepBlock(n int) string {
	var b strings.Builder
	b.WriteString("  - post: /x\n    json:\n")
	for i := 0; i < n; i++ {
		b.WriteString(strings.Repeat("  ", i+3) + "k:\n")
	}
	b.WriteString(strings.Repeat("  ", n+3) + "v: 1\n")
	return b.String()
}
