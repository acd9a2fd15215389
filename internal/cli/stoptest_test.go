package cli

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStopTestExitsOneNamingTheStep: a failed login with on_failure:
// stop_test ends a 60 s run at once with exit 1, and the headline of the
// terminal and the summary names the step and the reason.
func TestStopTestExitsOneNamingTheStep(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(401) }))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "loadgate.yml"), []byte(`
target: {url: `+srv.URL+`}
load: {duration: 60s, users: 2}
on_start:
  - {name: login, post: /login, json: {user: u, password: wrong}, on_failure: stop_test}
tasks: [{get: /home}]
`), 0o644)
	start := time.Now()
	code, out, errs := runBin(t, dir, nil, "-q", "--summary", "s.md")
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %s", took)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "s.md"))
	want := "stopped early: step login failed (status 401) and has on_failure: stop_test"
	if code != 1 || !strings.Contains(out, "Verdict: FAIL — "+want) || !strings.Contains(strings.ReplaceAll(string(md), `\_`, "_"), want) {
		t.Errorf("exit %d\n%s\n%s\n%s", code, out, errs, md)
	}
}

// TestAbortThresholdEndsASlowRunEarly: a threshold with abort ends a 60 s
// run against a slow app as soon as it fails after its grace time, with
// exit 1 and the threshold named, saving the rest of the run.
func TestAbortThresholdEndsASlowRunEarly(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "loadgate.yml"), []byte(`
target: {url: `+srv.URL+`}
load: {duration: 60s, users: 5}
tasks: [{get: /}]
thresholds:
  total: [p95 < 100ms abort after 3s]
`), 0o644)
	start := time.Now()
	code, out, errs := runBin(t, dir, nil, "-q")
	took := time.Since(start)
	if took > 15*time.Second || code != 1 || !strings.Contains(out, "stopped early: threshold total p95 < 100ms abort after 3s failed after") {
		t.Errorf("exit %d after %s\n%s\n%s", code, took, out, errs)
	}
}
