package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/loadgate/loadgate/load/result"
)

// TestOutputsKeepWhatPathsAre: report paths that are a device, a symlink
// to a shared file, or the same file twice are handled as what they are.
func TestOutputsKeepWhatPathsAre(t *testing.T) {
	srv := startDemoApp(t)
	dir := t.TempDir()
	shared := filepath.Join(dir, "shared", "junit.xml")
	os.MkdirAll(filepath.Dir(shared), 0o755)
	os.WriteFile(shared, nil, 0o640)
	link := filepath.Join(dir, "junit-link.xml")
	os.Symlink(shared, link)

	e, _, stderr := testEnv(nil)
	code := run(context.Background(), []string{"--url", srv.URL + "/hello", "-t", "1s", "-u", "2", "-q",
		"--junit", "/dev/null", "--html", link, "--csv", filepath.Join(dir, "c")}, e)
	if code != exitPass {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if st, err := os.Stat("/dev/null"); err != nil || st.Mode()&os.ModeDevice == 0 {
		t.Fatalf("/dev/null is no longer a device: %v %v", st.Mode(), err)
	}
	if st, _ := os.Lstat(link); st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the symlink was replaced by a %v", st.Mode())
	}
	if b, _ := os.ReadFile(shared); !strings.Contains(string(b), "<html") {
		t.Errorf("the symlink's target was not written: %.80q", b)
	}
	if st, _ := os.Stat(shared); st.Mode().Perm() != 0o640 {
		t.Errorf("the target's mode became %v", st.Mode().Perm())
	}

	// --out and --save-baseline naming one file would replace the history.
	same := filepath.Join(dir, "b.json")
	e, _, stderr = testEnv(nil)
	code = run(context.Background(), []string{"--url", srv.URL + "/hello", "-t", "1s", "-q", "--out", same,
		"--save-baseline", filepath.Join(dir, ".", "b.json")}, e)
	if code != exitUsage || !strings.Contains(stderr.String(), "name the same file") {
		t.Errorf("same file: exit %d, %s", code, stderr)
	}
}

// TestConcurrentBaselineSavesKeepEveryRun: savers to one baseline take
// turns, so 4 savers × 3 rounds keep 12 runs.
func TestConcurrentBaselineSavesKeepEveryRun(t *testing.T) {
	srv := startDemoApp(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "loadgate.yml")
	os.WriteFile(cfg, []byte("target: {url: "+srv.URL+"}\nload: {duration: 1s, users: 1}\ntasks: [{get: /hello}]\nbaseline: {keep: 20}\n"), 0o644)
	base := filepath.Join(dir, "baseline.json")
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 3 {
				e, _, stderr := testEnv(nil)
				if code := run(context.Background(), []string{"-c", cfg, "-q", "--save-baseline", base}, e); code != exitPass {
					t.Errorf("exit %d: %s", code, stderr)
				}
			}
		}()
	}
	wg.Wait()
	b, err := result.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Results) != 12 {
		t.Errorf("%d of 12 runs kept", len(b.Results))
	}
}

// TestAnnotationsWithinGitHubsLimit: GitHub shows 10 error annotations of a
// step; 15 failed checks give 9 annotations and a tenth that counts the rest.
func TestAnnotationsWithinGitHubsLimit(t *testing.T) {
	var checks []result.Check
	for i := range 15 {
		checks = append(checks, result.Check{Scope: fmt.Sprintf("/e%d", i), Metric: "p95", Op: "<", Limit: 1, Unit: "ms",
			Measured: 2, Status: "fail", Source: "threshold"})
	}
	r := &result.Result{Total: &result.Stats{Name: "total"}, Verdict: &result.Verdict{Status: "fail", Checks: checks}}
	e, stdout, _ := testEnv(map[string]string{"GITHUB_ACTIONS": "true"})
	j := &job{cfg: noConfig(), flags: &runFlags{}, env: e}
	j.github(r, "")
	var errs []string
	for _, l := range strings.Split(stdout.String(), "\n") {
		if strings.HasPrefix(l, "::error") {
			errs = append(errs, l)
		}
	}
	if len(errs) != 10 || !strings.Contains(errs[9], "6 more checks failed") {
		t.Errorf("%d annotations, last %q", len(errs), errs[len(errs)-1])
	}
}
