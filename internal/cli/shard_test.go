package cli

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadgate/loadgate/demo"
	"github.com/loadgate/loadgate/load/result"
)

// shardConfig writes a workload against url whose latency is the demo
// app's 50 ms sleep (/items/2 is even), so p50 barely moves between runs
// and a sharded run can be compared with a whole one.
func shardConfig(t *testing.T, dir, name, url, path string) string {
	t.Helper()
	yml := fmt.Sprintf(`
target: {url: %s}
load: {duration: 2s, users: 8, spawn_rate: 100}
wait_time: constant 10ms
tasks:
  - {name: item, get: %s}
thresholds:
  total: [p95 < 2s, failure_rate < 1%%]
`, url, path)
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readResult(t *testing.T, path string) *result.Result {
	t.Helper()
	r, err := result.ReadResultFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestShardsMergeExactly(t *testing.T) {
	srv, err := demo.Start("127.0.0.1:0", demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	cfg := shardConfig(t, dir, "loadgate.yml", srv.URL, "/items/2")

	// One run of 8 users.
	if code, out, errs := runBin(t, dir, nil, "-c", cfg, "-q", "--out", "full.json"); code != 0 {
		t.Fatalf("whole run: exit %d\n%s\n%s", code, out, errs)
	}
	// Two shards of 4 users, at the same time, started together.
	start := time.Now().Add(1500 * time.Millisecond).UTC().Truncate(time.Second).Add(time.Second).Format(time.RFC3339)
	var wg sync.WaitGroup
	codes := make([]int, 2)
	outs := make([]string, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _, outs[i] = runBin(t, dir, nil, "-c", cfg, "-q", "--shard", fmt.Sprintf("%d/2", i+1),
				"--start-at", start, "--out", fmt.Sprintf("shards/%d.json", i+1))
		}()
	}
	wg.Wait()
	for i, c := range codes {
		if c != 0 {
			t.Fatalf("shard %d/2: exit %d\n%s", i+1, c, outs[i])
		}
	}
	code, out, errs := runBin(t, dir, nil, "merge", "-c", cfg, "-o", "merged.json", "--summary", "merged.md", "shards")
	if code != 0 {
		t.Fatalf("merge: exit %d\n%s\n%s", code, out, errs)
	}
	full, s1, s2 := readResult(t, filepath.Join(dir, "full.json")), readResult(t, filepath.Join(dir, "shards/1.json")), readResult(t, filepath.Join(dir, "shards/2.json"))
	m := readResult(t, filepath.Join(dir, "merged.json"))

	if s1.Load.Users != 4 || s2.Load.Users != 4 || m.Load.Users != 8 {
		t.Errorf("users: shards %d + %d, merged %d; want 4 + 4 = 8", s1.Load.Users, s2.Load.Users, m.Load.Users)
	}
	// Each shard starts its users at its share of the spawn rate, and
	// records that share, so the merge gives back the configured rate.
	if s1.Load.SpawnRate != 50 || m.Load.SpawnRate != 100 {
		t.Errorf("spawn_rate: shard %g, merged %g; want 50 and the configured 100", s1.Load.SpawnRate, m.Load.SpawnRate)
	}
	if m.Total.Requests != s1.Total.Requests+s2.Total.Requests || m.Total.Requests == 0 {
		t.Errorf("merged requests %d, want %d + %d", m.Total.Requests, s1.Total.Requests, s2.Total.Requests)
	}
	if e := m.Endpoint("item"); e == nil || e.Requests != m.Total.Requests {
		t.Errorf("endpoint item: %+v", e)
	}
	// The merged p95 is the p95 of the shards' histograms added together.
	h := result.NewHistogram()
	for _, s := range []*result.Result{s1, s2} {
		sh, err := s.Total.Hist()
		if err != nil {
			t.Fatal(err)
		}
		h.Merge(sh)
	}
	if want := result.LatencyOf(h); m.Total.LatencyMS.P95 != want.P95 || m.Total.LatencyMS != want {
		t.Errorf("merged p95 %v ms, p95 of the merged histograms %v ms", m.Total.LatencyMS.P95, want.P95)
	}
	if m.Provenance.Shard != "1-2/2" || m.Provenance.WorkloadHash != full.Provenance.WorkloadHash {
		t.Errorf("provenance %+v, whole run's hash %s", m.Provenance, full.Provenance.WorkloadHash)
	}
	if m.Verdict == nil || m.Verdict.Status != "pass" || len(m.Verdict.Checks) != 2 {
		t.Errorf("verdict %+v", m.Verdict)
	}
	if md, _ := os.ReadFile(filepath.Join(dir, "merged.md")); !strings.Contains(string(md), "p95") {
		t.Errorf("summary:\n%s", md)
	}
	// Without -c and without ./loadgate.yml, merge gates only the default
	// failure check, as compare does; naming a missing config is an error.
	bare := t.TempDir()
	if code, _, errs := runBin(t, bare, nil, "merge", "-o", "m.json", filepath.Join(dir, "shards")); code != 0 {
		t.Errorf("merge without a config: exit %d\n%s", code, errs)
	} else if r := readResult(t, filepath.Join(bare, "m.json")); r.Total.Requests != m.Total.Requests || len(r.Verdict.Checks) != 1 || !r.Verdict.Checks[0].Default {
		t.Errorf("merge without a config: %d requests (want %d), verdict %+v", r.Total.Requests, m.Total.Requests, r.Verdict)
	}
	if code, _, errs := runBin(t, bare, nil, "merge", "-c", "nope.yml", "-o", "m.json", filepath.Join(dir, "shards")); code != 2 || !strings.Contains(errs, "nope.yml") {
		t.Errorf("merge with a missing config: exit %d\n%s", code, errs)
	}
	// One run of N users and two shards of N/2 measure the same app.
	p50, mp50 := full.Total.LatencyMS.P50, m.Total.LatencyMS.P50
	diff := math.Abs(mp50-p50) / p50 * 100
	t.Logf("whole: %d requests, p50 %.3f ms, p95 %.3f ms; shards: %d + %d = %d requests, merged p50 %.3f ms, p95 %.3f ms (= merged histograms' %.3f); p50 differs by %.2f%%",
		full.Total.Requests, p50, full.Total.LatencyMS.P95, s1.Total.Requests, s2.Total.Requests, m.Total.Requests,
		mp50, m.Total.LatencyMS.P95, result.LatencyOf(h).P95, diff)
	if diff > 10 {
		t.Errorf("p50 of the whole run %.3f ms and of the merged shards %.3f ms differ by %.1f%% (> 10%%)", p50, mp50, diff)
	}

	// A shard of another workload (another path) is refused: exit 2, no output.
	other := shardConfig(t, dir, "other.yml", srv.URL, "/items/4")
	if code, _, errs := runBin(t, dir, nil, "-c", other, "-q", "-t", "1s", "--shard", "2/2", "--out", "other.json"); code != 0 {
		t.Fatalf("other workload: exit %d\n%s", code, errs)
	}
	code, _, errs = runBin(t, dir, nil, "merge", "-c", cfg, "-o", "bad.json", "shards/1.json", "other.json")
	if code != 2 || !strings.Contains(errs, "different workloads") || !strings.Contains(errs, "other.json") {
		t.Errorf("merging another workload: exit %d, stderr %s", code, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "bad.json")); err == nil {
		t.Error("a refused merge wrote its output")
	}
}

func TestMergeUsageErrors(t *testing.T) {
	srv, err := demo.Start("127.0.0.1:0", demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	cfg := shardConfig(t, dir, "loadgate.yml", srv.URL, "/hello")
	if code, _, errs := runBin(t, dir, nil, "-c", cfg, "-q", "-t", "1s", "--shard", "1/2", "--out", "s1.json"); code != 0 {
		t.Fatalf("shard: exit %d\n%s", code, errs)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"merge", "-c", cfg, "s1.json"}, "-o OUT.json"},
		{[]string{"merge", "-c", cfg, "-o", "m.json"}, "shard result files"},
		{[]string{"merge", "-c", cfg, "-o", "m.json", "s1.json", "s1.json"}, "twice"},
		{[]string{"merge", "-c", cfg, "-o", "m.json", "-u", "3", "s1.json"}, "does not apply"},
		{[]string{"merge", "-c", cfg, "-o", "m.json", "nope.json"}, "not found"},
		{[]string{"merge", "-c", cfg, "-o", "m.json", "loadgate.yml"}, "not a loadgate result"},
	}
	for _, c := range cases {
		code, _, errs := runBin(t, dir, nil, c.args...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("%q: exit %d, stderr %s (want 2 and %q)", c.args, code, errs, c.want)
		}
	}
	// A single shard merges (with a warning that the other is missing);
	// environment settings that shape a load are ignored by merge.
	code, _, errs := runBin(t, dir, []string{"LOADGATE_USERS=3", "LOADGATE_SHARD=1/2"}, "merge", "-c", cfg, "--out", "m.json", "s1.json")
	if code != 0 {
		t.Fatalf("single shard: exit %d\n%s", code, errs)
	}
	if m := readResult(t, filepath.Join(dir, "m.json")); len(m.Warnings) == 0 || !strings.Contains(m.Warnings[0], "2/2 are missing") {
		t.Errorf("warnings %q", m.Warnings)
	}
}

func TestShardFromEnv(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "JOB_COMPLETION_INDEX" {
				return v
			}
			return ""
		}
	}
	for _, c := range []struct{ spec, idx, want, err string }{
		{"2/4", "0", "2/4", ""},    // an explicit shard wins
		{"", "3", "", ""},          // no --shard: a whole run
		{"auto/4", "0", "1/4", ""}, // Kubernetes counts from 0
		{"auto/4", "3", "4/4", ""},
		{"auto/4", "4", "", "0 <= index < N"},
		{"auto/4", "", "", "not set"},
		{"auto/x", "1", "", "0 <= index < N"},
	} {
		got, err := shardFromEnv(c.spec, env(c.idx))
		if got != c.want || (err == nil) != (c.err == "") || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("shardFromEnv(%q) with index %q = %q, %v; want %q, %q", c.spec, c.idx, got, err, c.want, c.err)
		}
	}
}
