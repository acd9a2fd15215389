package cli

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/demo"
	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/load/result"
)

// The baseline side of the command line, run in-process against the demo
// app on 127.0.0.1 with one-second loads.

// baselineConfig writes a config for the in-process demo app at url with
// the given baseline section and returns its path.
func baselineConfig(t *testing.T, dir, url, baseline string) string {
	t.Helper()
	yml := fmt.Sprintf(`
target: {url: %s}
load: {duration: 1s, users: 4}
wait_time: between 5ms 20ms
tasks:
  - {name: /hello_world, weight: 3, get: /hello}
  - {name: "/items/[item_id]", weight: 1, get: "/items/{{ randInt 1 100 }}"}
thresholds:
  total: [failure_rate < 1%%]
%s`, url, baseline)
	path := filepath.Join(dir, "loadgate.yml")
	if err := os.WriteFile(path, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func demoApp(t *testing.T) string {
	t.Helper()
	srv, err := demo.Start("127.0.0.1:0", demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv.URL
}

// runLG runs a command line in-process and returns the exit code, stdout
// and stderr.
func runLG(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	e, out, errb := testEnv(nil)
	code := run(context.Background(), args, e)
	return code, out.String(), errb.String()
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSaveBaselineKeepsLastRuns(t *testing.T) {
	dir := t.TempDir()
	cfg := baselineConfig(t, dir, demoApp(t), "baseline: {keep: 2}")
	base := filepath.Join(dir, "base.json")
	for i := 0; i < 3; i++ {
		if code, out, errs := runLG(t, "-q", "-c", cfg, "--save-baseline", base); code != 0 {
			t.Fatalf("run %d: exit %d\n%s\n%s", i, code, out, errs)
		}
	}
	var b struct {
		Schema  string          `json:"schema"`
		Results []result.Result `json:"results"`
	}
	if err := json.Unmarshal([]byte(readFile(t, base)), &b); err != nil {
		t.Fatal(err)
	}
	if b.Schema != result.BaselineSchema || len(b.Results) != 2 {
		t.Fatalf("schema %q with %d results, want %s with keep: 2", b.Schema, len(b.Results), result.BaselineSchema)
	}
	p := b.Results[1].Provenance
	if p.WorkloadHash == "" || p.CPUModel == "" || p.RunnerOS == "" || p.CPUs == 0 || p.GoVersion == "" ||
		b.Results[1].Total.Histogram == "" {
		t.Errorf("saved result lacks provenance or histograms: %+v", p)
	}
	// Compared with its own baseline, an unchanged run does not fail. Its
	// 20-odd /items requests are few: a pause of the test process (app and
	// loadgate both run in it) that holds two of them for 150 ms fails
	// their p95 check, as seen under -race. So up to three runs are made;
	// a gate that fails unchanged runs fails all three.
	summary := filepath.Join(dir, "summary.md")
	var code int
	var out, errs string
	for attempt := 1; attempt <= 3; attempt++ {
		if code, out, errs = runLG(t, "-q", "-c", cfg, "--baseline", base, "--summary", summary); code == 0 {
			break
		}
		t.Logf("attempt %d against the baseline: exit %d", attempt, code)
	}
	if code != 0 {
		t.Fatalf("unchanged run against its baseline: exit %d\n%s\n%s", code, out, errs)
	}
	if md := readFile(t, summary); !strings.Contains(md, "vs baseline") {
		t.Errorf("summary has no baseline checks:\n%s", md)
	}
}

// TestBaselineThresholdChecksCarryBaseline: a run compared with a baseline
// (--baseline, then compare -c) records the baseline's value and the
// change in its threshold checks too, and every check's op is a real
// operator: "<=" or ">=" for the baseline checks.
func TestBaselineThresholdChecksCarryBaseline(t *testing.T) {
	dir := t.TempDir()
	cfg := baselineConfig(t, dir, demoApp(t), "")
	yml := strings.Replace(readFile(t, cfg), "total: [failure_rate < 1%]", "total: [p95 < 500ms, failure_rate < 1%]", 1)
	if err := os.WriteFile(cfg, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	base, out, cmp := filepath.Join(dir, "base.json"), filepath.Join(dir, "out.json"), filepath.Join(dir, "cmp.json")
	if code, _, errs := runLG(t, "-q", "-c", cfg, "--save-baseline", base); code != 0 {
		t.Fatalf("saving: exit %d: %s", code, errs)
	}
	// The verdict may fail on a pause of the test process (see
	// TestSaveBaselineKeepsLastRuns); only the checks' fields matter here.
	if code, _, errs := runLG(t, "-q", "-c", cfg, "--baseline", base, "--out", out); code == exitUsage {
		t.Fatalf("run: exit 2: %s", errs)
	}
	if code, _, errs := runLG(t, "compare", "-q", "-c", cfg, base, out, "--out", cmp); code == exitUsage {
		t.Fatalf("compare: exit 2: %s", errs)
	}
	for _, file := range []string{out, cmp} {
		var r result.Result
		if err := json.Unmarshal([]byte(readFile(t, file)), &r); err != nil {
			t.Fatal(err)
		}
		if r.Verdict == nil {
			t.Fatalf("%s: no verdict", file)
		}
		var p95, vsBaseline int
		for _, c := range r.Verdict.Checks {
			switch c.Op {
			case "<", "<=", ">", ">=":
			default:
				t.Errorf("%s: %s %s: op %q is not an operator", file, c.Scope, c.Metric, c.Op)
			}
			switch c.Source {
			case "threshold":
				if c.Baseline == nil {
					t.Errorf("%s: threshold %s %s %s has no baseline", file, c.Metric, c.Op, gate.FormatNumber(c.Limit))
				}
				if c.Metric == "p95" {
					p95++
					if c.Op != "<" || c.Limit != 500 || c.DeltaPct == nil || *c.Baseline <= 0 {
						t.Errorf("%s: p95 threshold %+v: want op < 500 with baseline and delta_pct", file, c)
					}
				}
			case "baseline":
				vsBaseline++
				if want := map[bool]string{true: ">=", false: "<="}[c.Metric == "rps"]; c.Op != want {
					t.Errorf("%s: baseline check %s %s: op %q, want %q", file, c.Scope, c.Metric, c.Op, want)
				}
			}
		}
		if p95 != 1 || vsBaseline == 0 {
			t.Errorf("%s: %d p95 thresholds and %d baseline checks", file, p95, vsBaseline)
		}
	}
}

func TestBaselineOfAnotherWorkload(t *testing.T) {
	dir := t.TempDir()
	cfg := baselineConfig(t, dir, demoApp(t), "")
	base := filepath.Join(dir, "base.json")
	if code, _, errs := runLG(t, "-q", "-c", cfg, "--save-baseline", base); code != 0 {
		t.Fatalf("saving: exit %d: %s", code, errs)
	}
	other := filepath.Join(dir, "other.json")
	data := readFile(t, base)
	var b map[string]any
	if err := json.Unmarshal([]byte(data), &b); err != nil {
		t.Fatal(err)
	}
	hash := b["results"].([]any)[0].(map[string]any)["provenance"].(map[string]any)["workload_hash"].(string)
	if err := os.WriteFile(other, []byte(strings.ReplaceAll(data, hash, "sha256:0000000000000000")), 0o644); err != nil {
		t.Fatal(err)
	}

	code, _, errs := runLG(t, "-q", "-c", cfg, "--baseline", other)
	if code != exitUsage {
		t.Fatalf("another workload: exit %d, want 2\n%s", code, errs)
	}
	for _, want := range []string{other, "another workload", "sha256:0000000000000000", "--force"} {
		if !strings.Contains(errs, want) {
			t.Errorf("message lacks %q: %s", want, errs)
		}
	}

	summary := filepath.Join(dir, "forced.md")
	code, out, errs := runLG(t, "-q", "-c", cfg, "--baseline", other, "--force", "--summary", summary)
	if code == exitUsage {
		t.Fatalf("--force: exit 2\n%s\n%s", out, errs)
	}
	md := readFile(t, summary)
	if !strings.Contains(md, "compared anyway because of --force") || !strings.Contains(md, "vs baseline") {
		t.Errorf("forced comparison does not warn in the report:\n%s", md)
	}
	if !strings.Contains(out, "warning:") {
		t.Errorf("terminal report has no warning:\n%s", out)
	}
}

func TestMissingBaseline(t *testing.T) {
	url := demoApp(t)
	for _, c := range []struct {
		policy string
		code   int
		text   string
	}{
		{"pass", exitPass, "no baseline yet"},
		{"fail", exitFail, "baseline file exists"},
	} {
		t.Run(c.policy, func(t *testing.T) {
			dir := t.TempDir()
			missing := filepath.Join(dir, "nowhere.json")
			cfg := baselineConfig(t, dir, url, fmt.Sprintf("baseline: {file: nowhere.json, missing: %s}", c.policy))
			summary := filepath.Join(dir, "summary.md")
			code, out, errs := runLG(t, "-q", "-c", cfg, "--summary", summary)
			if code != c.code {
				t.Fatalf("missing: %s: exit %d, want %d\n%s\n%s", c.policy, code, c.code, out, errs)
			}
			md := readFile(t, summary)
			if !strings.Contains(md, c.text) || !strings.Contains(md, missing) {
				t.Errorf("summary lacks %q and the file name:\n%s", c.text, md)
			}
		})
	}
}

func TestUnknownBaselineSchema(t *testing.T) {
	dir := t.TempDir()
	cfg := baselineConfig(t, dir, demoApp(t), "")
	bad := filepath.Join(dir, "future.json")
	os.WriteFile(bad, []byte(`{"schema": "loadgate/baseline/v2", "results": []}`), 0o644)
	code, _, errs := runLG(t, "-q", "-c", cfg, "--baseline", bad)
	if code != exitUsage || !strings.Contains(errs, bad) || !strings.Contains(errs, "unknown schema") {
		t.Fatalf("exit %d, stderr %s", code, errs)
	}
	// --save-baseline does not overwrite what it cannot read, and says so
	// before the run, not after it.
	out := filepath.Join(dir, "result.json")
	code, _, errs = runLG(t, "-q", "-c", cfg, "--save-baseline", bad, "--out", out)
	if code != exitUsage || !strings.Contains(readFile(t, bad), "baseline/v2") || !strings.Contains(errs, "unknown schema") {
		t.Fatalf("save over an unknown schema: exit %d, %s", code, errs)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("the run was measured before --save-baseline was found unreadable")
	}
}

func TestCompareCommand(t *testing.T) {
	dir := t.TempDir()
	cfg := baselineConfig(t, dir, demoApp(t), "")
	base, cur := filepath.Join(dir, "base.json"), filepath.Join(dir, "new.json")
	if code, _, errs := runLG(t, "-q", "-c", cfg, "--out", base); code != 0 {
		t.Fatal(errs)
	}
	// As in TestSaveBaselineKeepsLastRuns, a pause of the test process can
	// fail the second run's p95 of its 20-odd /items requests: up to three
	// second runs are made, and a compare that fails unchanged runs fails
	// all three.
	junit, summary := filepath.Join(dir, "junit.xml"), filepath.Join(dir, "cmp.md")
	var code int
	var out, errs string
	for attempt := 1; attempt <= 3; attempt++ {
		if code, _, errs := runLG(t, "-q", "-c", cfg, "--out", cur); code != 0 {
			t.Fatal(errs)
		}
		if code, out, errs = runLG(t, "compare", base, cur, "--junit", junit, "--summary", summary, "--csv", filepath.Join(dir, "lc")); code != exitFail {
			break
		}
		t.Logf("attempt %d: compare exit %d", attempt, code)
	}
	if code == exitUsage || code == exitFail {
		t.Fatalf("compare of two unchanged runs: exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(out, "vs baseline") || strings.Contains(readFile(t, summary), "total failure\\_rate |") {
		t.Errorf("compare without -c should gate the baseline only:\n%s", out)
	}
	var suites struct {
		Tests int `xml:"tests,attr"`
	}
	if err := xml.Unmarshal([]byte(readFile(t, junit)), &suites); err != nil || suites.Tests == 0 {
		t.Errorf("junit: %v, %d tests", err, suites.Tests)
	}
	for _, f := range []string{"lc_stats.csv", "lc_stats_history.csv", "lc_failures.csv"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("--csv: %v", err)
		}
	}
	// With -c the thresholds are gated too.
	code, out, _ = runLG(t, "compare", "-c", cfg, base, cur)
	if code == exitUsage || !strings.Contains(out, "failure_rate < 1%") {
		t.Errorf("compare -c: exit %d, no threshold check:\n%s", code, out)
	}
	// Errors are exit 2 and name the file.
	os.WriteFile(filepath.Join(dir, "junk.json"), []byte("{"), 0o644)
	for _, args := range [][]string{
		{"compare", base},
		{"compare", filepath.Join(dir, "junk.json"), cur},
		{"compare", base, filepath.Join(dir, "absent.json")},
	} {
		if code, _, errs := runLG(t, args...); code != exitUsage || errs == "" {
			t.Errorf("%q: exit %d, %s", args, code, errs)
		}
	}
}

func TestABUsageErrors(t *testing.T) {
	dir := t.TempDir()
	cfg := baselineConfig(t, dir, "http://127.0.0.1:1", "")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"ab", "-c", cfg, "--head-dir", dir}, "--base-dir"},
		{[]string{"ab", "-c", cfg, "--base-dir", dir, "--head-dir", filepath.Join(dir, "nope")}, "not a directory"},
		{[]string{"ab", "-c", cfg, "--base-dir", dir, "--head-dir", dir, "--rounds", "1"}, "--rounds"},
		{[]string{"ab", "-c", cfg, "--base-dir", dir, "--head-dir", dir}, "no target.start"},
	} {
		code, _, errs := runLG(t, c.args...)
		if code != exitUsage || !strings.Contains(errs, c.want) {
			t.Errorf("%q: exit %d, stderr %s", c.args, code, errs)
		}
	}
}

// TestABEndToEnd runs `ab` with the built binary as both builds, two
// pairs of one-second rounds: it must start and stop each build in turn
// and report; two pairs can never fail, and the report says so.
func TestABEndToEnd(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	for _, d := range []string{"base", "head"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
		script := fmt.Sprintf("#!/bin/sh\nexec %s demo --serve 127.0.0.1:%d\n", binPath, port)
		os.WriteFile(filepath.Join(dir, d, "run.sh"), []byte(script), 0o755)
	}
	yml := fmt.Sprintf(`
target:
  url: http://127.0.0.1:%[1]d
  start:
    command: ./run.sh
    ready: {url: http://127.0.0.1:%[1]d/hello, timeout: 10s}
    stop_timeout: 2s
load: {users: 4}
wait_time: between 5ms 20ms
tasks:
  - {name: /hello_world, get: /hello}
`, port)
	cfg := filepath.Join(dir, "loadgate.yml")
	os.WriteFile(cfg, []byte(yml), 0o644)
	summary := filepath.Join(dir, "ab.md")
	code, out, errs := runLG(t, "ab", "-c", cfg, "--base-dir", filepath.Join(dir, "base"), "--head-dir", filepath.Join(dir, "head"),
		"--rounds", "2", "--round-duration", "1s", "--summary", summary)
	if code != exitPass {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	if n := strings.Count(errs, "ab: round "); n != 4 {
		t.Errorf("%d rounds reported, want 4:\n%s", n, errs)
	}
	md := readFile(t, summary)
	for _, want := range []string{"same-runner A/B", "only 2 round pairs", "vs baseline"} {
		if !strings.Contains(md, want) {
			t.Errorf("summary lacks %q:\n%s", want, md)
		}
	}
}
