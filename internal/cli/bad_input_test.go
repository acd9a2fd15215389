package cli

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

// TestBadFlags: impossible flag values and combinations exit 2 with a
// message that names the flag; nothing is run.
func TestBadFlags(t *testing.T) {
	good := "examples/fastapi/website.yml"
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"validate", "-c", good, "--shard", "3/2"}, "--shard"},
		{[]string{"validate", "-c", good, "--shard", "1/2x"}, "--shard"},
		{[]string{"validate", "-c", good, "-u", "2", "--shard", "3/4"}, "load.users is 2, fewer than the 4 shards"},
		{[]string{"validate", "-c", good, "--start-at", "nonsense"}, "--start-at"},                                  // before any target starts
		{[]string{"run", "-c", good, "--out", "/proc/no/such/dir/r.json"}, "--out /proc/no/such/dir/r.json: mkdir"}, // before the run, not after
		{[]string{"run", "-c", good, "--summary", "."}, "--summary . is a directory"},
		{[]string{"run", "-c", good, "--start-at", "9999-01-01T00:00:00Z"}, "more than 24 hours away"},
		{[]string{"validate", "-c", good, "--users", "0"}, "--users"},
		{[]string{"validate", "-c", good, "--duration", "0s"}, "--duration"},
		{[]string{"validate", "-c", good, "--duration", "10"}, "--duration"},
		{[]string{"validate", "-c", good, "--arrival-rate", "fast"}, "arrival-rate"},
		{[]string{"validate", "-c", good, "--arrival-rate", "0/s"}, "--arrival-rate: must be more than 0/s"},
		{[]string{"validate", "-c", good, "--spawn-rate", "-1"}, "--spawn-rate"},
		{[]string{"validate", "-c", good, "--no-such-flag"}, "no-such-flag"},
		{[]string{"validate", "--url", "ftp://127.0.0.1/x"}, "--url"},
		{[]string{"validate", "-c", good, "-H", "notaurl"}, `--host: "notaurl"`}, // the flag, not the file's target.url
		{[]string{"run", "-c", good, "extra-argument"}, "no arguments"},
		{[]string{"run", "-c", good, "--web", "notanaddr"}, "--web notanaddr: give the dashboard's address as host:port"},
		{[]string{"frobnicate"}, "unknown command"},
		{[]string{"demo", "--slowdown", "0"}, "--slowdown"},
	}
	for _, c := range cases {
		e, _, stderr := testEnv(map[string]string{"PORT": "8000"})
		code := run(context.Background(), c.args, e)
		if code != exitUsage || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q (want exit 2 naming %q)", c.args, code, stderr.String(), c.want)
		}
	}
}

// TestZeroArrivalRateFromEnv: LOADGATE_ARRIVAL_RATE=0/s is refused like
// the flag, not taken as the closed model.
func TestZeroArrivalRateFromEnv(t *testing.T) {
	e, _, stderr := testEnv(map[string]string{"PORT": "8000", "LOADGATE_ARRIVAL_RATE": "0/s"})
	code := run(context.Background(), []string{"validate", "-c", "examples/fastapi/website.yml"}, e)
	if code != exitUsage || !strings.Contains(stderr.String(), "must be more than 0/s (leave it out for the closed model)") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

// TestBadBaselines: broken baseline and result files exit 2 before
// anything runs, naming the file (and the line and column where the input
// has them).
func TestBadBaselines(t *testing.T) {
	cases := map[string]string{
		"baseline_not_json.json":            "baseline_not_json.json:1:",
		"baseline_truncated.json":           "baseline_truncated.json:",
		"baseline_unknown_schema.json":      "loadgate/result/v9",
		"baseline_truncated_histogram.json": "baseline_truncated_histogram.json",
		"baseline_other_workload.json":      "workload",
	}
	for file, want := range cases {
		e, _, stderr := testEnv(map[string]string{"PORT": "8000"})
		path := filepath.Join("testdata/bad", file)
		code := run(context.Background(), []string{"validate", "-c", "examples/fastapi/website.yml", "--baseline", path}, e)
		if code != exitUsage || !strings.Contains(stderr.String(), want) {
			t.Errorf("%s: exit %d, stderr %q (want exit 2 mentioning %q)", file, code, stderr.String(), want)
		}
		// compare reads results the same way (a file compared with itself is
		// the same workload, so only the unreadable ones apply).
		if file == "baseline_other_workload.json" {
			continue
		}
		e, _, stderr = testEnv(nil)
		if code := run(context.Background(), []string{"compare", path, path}, e); code != exitUsage {
			t.Errorf("compare %s: exit %d, stderr %q", file, code, stderr.String())
		}
	}
}

// TestHelp: help, -h and --help, alone or after a command, print the usage
// (and the command's flags) on stdout and exit 0; the flag package's own
// -h handling made them an error, exit 2.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}, {"run", "--help"}, {"validate", "-h"}, {"compare", "-h"}, {"demo", "--help"}} {
		e, stdout, stderr := testEnv(nil)
		code := run(context.Background(), args, e)
		if code != exitPass || !strings.Contains(stdout.String(), "Usage:") || stderr.Len() != 0 {
			t.Errorf("%v: exit %d, stdout %.80q, stderr %q", args, code, stdout.String(), stderr.String())
		}
		if len(args) > 1 && args[0] != "run" && (!strings.Contains(stdout.String(), "Flags of "+args[0]+":\n") ||
			(args[0] != "demo" && !strings.Contains(stdout.String(), "\n  -c, --config string "))) {
			t.Errorf("%v: the command's flags are missing:\n%s", args, stdout.String())
		}
	}
}

// TestShardDefaultPool: the open model's default pool (rate × timeout) is
// a limit, not a user count asked for; a small one is raised so that each
// shard has a user, rather than refused as "fewer users than shards".
func TestShardDefaultPool(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "open.yml")
	os.WriteFile(cfg, []byte("target: {url: http://127.0.0.1:1, timeout: 2s}\nload: {duration: 1s, arrival_rate: 30/m}\ntasks: [{get: /}]\n"), 0o644)
	e, _, stderr := testEnv(nil)
	if code := run(context.Background(), []string{"validate", "-c", cfg, "--shard", "1/2"}, e); code != exitPass {
		t.Errorf("exit %d: %s", code, stderr.String())
	}
}

// TestOverrideBesideStagesNoted: -u beside closed stages and --arrival-rate
// beside open ones only change what is recorded; loadgate says so.
func TestOverrideBesideStagesNoted(t *testing.T) {
	dir := t.TempDir()
	closed := filepath.Join(dir, "closed.yml")
	open := filepath.Join(dir, "open.yml")
	os.WriteFile(closed, []byte("target: {url: http://127.0.0.1:1}\nload: {stages: [{duration: 1s, users: 3}]}\ntasks: [{get: /}]\n"), 0o644)
	os.WriteFile(open, []byte("target: {url: http://127.0.0.1:1}\nload: {stages: [{duration: 1s, arrival_rate: 3/s}]}\ntasks: [{get: /}]\n"), 0o644)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"validate", "-c", closed, "-u", "9"}, "--users is ignored beside load.stages"},
		{[]string{"validate", "-c", open, "--arrival-rate", "9/s"}, "--arrival-rate is ignored beside load.stages"},
		{[]string{"validate", "-c", open, "--arrival-rate", "9/s", "-t", "1s"}, ""},
	}
	for _, c := range cases {
		e, _, stderr := testEnv(nil)
		code := run(context.Background(), c.args, e)
		if code != exitPass || (c.want == "") != (stderr.Len() == 0) || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, stderr.String(), c.want)
		}
	}
}

// TestErrorsStartNoWorkflowCommand: config text with a newline and an
// escape sequence cannot make a line of loadgate's output start a GitHub
// workflow command or repaint the terminal.
func TestErrorsStartNoWorkflowCommand(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "bad.yml")
	os.WriteFile(f, []byte("target: {url: \"http://x\\n::error::pwned\\u001b[31m\"}\ntasks: [{get: /}]\n"), 0o644)
	e, _, stderr := testEnv(nil)
	if code := run(context.Background(), []string{"validate", "-c", f}, e); code != exitUsage {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, l := range strings.Split(stderr.String(), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "::") || strings.Contains(l, "\x1b") {
			t.Errorf("line %q", l)
		}
	}
	if !strings.Contains(stderr.String(), "pwned") {
		t.Errorf("the message lost the value: %s", stderr)
	}
}

// TestMessagesThatTeach: the mistakes new users make get a message that
// says what to write instead.
func TestMessagesThatTeach(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ name, text, want string }{
		{"typo", "target: {url: http://127.0.0.1:8000}\nusers:\n  - name: U\n    wiat_time: between 1s 2s\n    tasks: [{get: /}]\n", `unknown key "wiat_time" (did you mean wait_time?)`},
		{"misplaced", "target:\n  url: http://127.0.0.1:8000\n  ready: {url: http://127.0.0.1:8000/hello}\ntasks: [{get: /}]\n", `unknown key "ready" (ready belongs under target.start)`},
		{"unquoted template", "target: {url: http://127.0.0.1:8000}\ntasks:\n  - {get: /items/{{ randInt 1 5 }}}\n", "a template in a YAML value must be quoted"},
		{"function", "target: {url: http://127.0.0.1:8000}\ntasks:\n  - get: \"/items/{{ randint 1 5 }}\"\n", `function "randint" not defined (did you mean randInt?)`},
	} {
		f := filepath.Join(dir, c.name+".yml")
		os.WriteFile(f, []byte(c.text), 0o644)
		e, _, stderr := testEnv(nil)
		if code := run(context.Background(), []string{"validate", "-c", f}, e); code != exitUsage || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%s: exit %d, %q, want %q", c.name, code, stderr, c.want)
		}
	}
	// Locust's fail_ratio habit: 0.01 means 0.01 %, and loadgate says so.
	f := filepath.Join(dir, "ratio.yml")
	os.WriteFile(f, []byte("target: {url: http://127.0.0.1:8000}\ntasks: [{get: /}]\nthresholds: {total: [failure_rate < 0.01]}\n"), 0o644)
	e, _, stderr := testEnv(nil)
	if code := run(context.Background(), []string{"validate", "-c", f}, e); code != exitPass || !strings.Contains(stderr.String(), "failure_rate is a percentage") {
		t.Errorf("failure_rate < 0.01: exit %d, %q", code, stderr)
	}
	// loadgate.yaml is found as the default config too.
	yaml := t.TempDir()
	os.WriteFile(filepath.Join(yaml, "loadgate.yaml"), []byte("target: {url: http://127.0.0.1:8000}\ntasks: [{get: /}]\n"), 0o644)
	if code, out, errs := runBin(t, yaml, nil, "validate"); code != 0 || !strings.Contains(out, "loadgate.yaml: OK") {
		t.Errorf("loadgate.yaml: exit %d, %s %s", code, out, errs)
	}
	// Nothing listening and no target.start: a fast exit 3 with a hint.
	code, out, errs := runBin(t, t.TempDir(), nil, "--url", "http://127.0.0.1:1/", "-t", "30s", "-q")
	if code != 3 || !strings.Contains(errs, "nothing listens on 127.0.0.1:1") || !strings.Contains(out, "the target failed") {
		t.Errorf("nothing listening: exit %d\n%s\n%s", code, out, errs)
	}
}
