package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/loadgate/loadgate/load/result"
)

// groupAlive lists live (non-zombie) processes whose process group is pgid.
func groupAlive(pgid int) []string {
	var alive []string
	dirs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, f := range dirs {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		var state string
		var ppid, pgrp int
		if _, err := fmt.Sscanf(s[i+2:], "%s %d %d", &state, &ppid, &pgrp); err != nil {
			continue
		}
		if pgrp == pgid && state != "Z" {
			alive = append(alive, f)
		}
	}
	return alive
}

// lifecycleRun writes a config with the given target.start section and
// load, runs loadgate and returns exit code, result, summary and stderr.
func lifecycleRun(t *testing.T, start string, dur string, signalAfter time.Duration) (int, *result.Result, string, string) {
	t.Helper()
	return lifecycleRunSig(t, start, dur, signalAfter, syscall.SIGTERM)
}

// lifecycleRunSig is lifecycleRun with the signal to send.
func lifecycleRunSig(t *testing.T, start string, dur string, signalAfter time.Duration, sig syscall.Signal) (int, *result.Result, string, string) {
	t.Helper()
	dir := t.TempDir()
	port := freePort(t)
	yml := fmt.Sprintf(`
target:
  url: http://127.0.0.1:%[1]d
  timeout: 2s
  start:
%[2]s
    stop_timeout: 2s
load: {duration: %[3]s, users: 4}
wait_time: constant 20ms
tasks: [{name: hello, get: /hello}]
`, port, strings.ReplaceAll(strings.ReplaceAll(start, "PORT", fmt.Sprint(port)), "BIN", binPath), dur)
	os.WriteFile(filepath.Join(dir, "loadgate.yml"), []byte(yml), 0o644)
	cmd := exec.Command(binPath, "-q", "--out", "result.json", "--summary", "summary.md")
	cmd.Dir = dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if signalAfter > 0 {
		time.AfterFunc(signalAfter, func() { cmd.Process.Signal(sig) })
	}
	cmd.Wait()
	code := cmd.ProcessState.ExitCode()
	md, _ := os.ReadFile(filepath.Join(dir, "summary.md"))
	var r result.Result
	if b, err := os.ReadFile(filepath.Join(dir, "result.json")); err == nil {
		json.Unmarshal(b, &r)
	}
	if r.Target != nil && r.Target.PID > 0 {
		if alive := groupAlive(r.Target.PID); len(alive) > 0 {
			t.Errorf("processes of the target's group %d outlived loadgate: %v", r.Target.PID, alive)
		}
	}
	return code, &r, string(md), stderr.String()
}

func TestTargetCannotStart(t *testing.T) {
	code, _, md, errs := lifecycleRun(t, "    command: /no/such/program --port PORT\n    ready: {tcp: 127.0.0.1:PORT, timeout: 5s}", "2s", 0)
	if code != 3 || !strings.Contains(errs, "/no/such/program") {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(md, "Application under test") {
		t.Errorf("summary does not describe the failed target:\n%s", md)
	}
}

func TestTargetExitsBeforeReady(t *testing.T) {
	start := time.Now()
	code, r, md, errs := lifecycleRun(t, `    command: sh -c "echo booting; echo 'FATAL cannot open database' >&2; exit 4"
    ready: {tcp: 127.0.0.1:PORT, timeout: 20s}`, "2s", 0)
	if code != 3 || !strings.Contains(errs, "exited") {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("took %s: an exited target must fail at once, not after the ready timeout", time.Since(start))
	}
	if !strings.Contains(md, "FATAL cannot open database") || r.Target == nil || len(r.Target.LogTail) == 0 {
		t.Errorf("the log tail is not in the report:\n%s", md)
	}
}

func TestTargetNeverReadyStopsGroup(t *testing.T) {
	code, r, md, errs := lifecycleRun(t, `    command: sh -c "sleep 60 & sleep 60"
    ready: {tcp: 127.0.0.1:PORT, timeout: 1s}`, "2s", 0)
	if code != 3 || !strings.Contains(errs, "ready") {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if r.Target == nil || r.Target.PID == 0 || !strings.Contains(md, "ready") {
		t.Errorf("report lacks the target: %+v\n%s", r.Target, md)
	}
}

func TestTargetExitsDuringRun(t *testing.T) {
	code, r, md, errs := lifecycleRun(t, `    command: sh -c "timeout 2 BIN demo --serve 127.0.0.1:PORT; echo 'app crashed out of memory'; exit 9"
    ready: {url: http://127.0.0.1:PORT/hello, timeout: 10s}`, "20s", 0)
	if code != 3 || !strings.Contains(errs, "exited during the run") {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if r.Total == nil || r.Total.Requests == 0 || !r.Interrupted {
		t.Errorf("no partial result: %+v", r.Total)
	}
	if !strings.Contains(md, "app crashed out of memory") {
		t.Errorf("the log tail is not in the summary:\n%s", md)
	}
}

func TestSIGTERMWritesPartialReport(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) { testSignalWritesPartialReport(t, sig) })
	}
}

// testSignalWritesPartialReport: SIGTERM, and SIGHUP (a closed terminal
// or CI session), end a run with exit 130 and its partial reports.
func testSignalWritesPartialReport(t *testing.T, sig syscall.Signal) {
	start := time.Now()
	code, r, md, errs := lifecycleRunSig(t, `    command: BIN demo --serve 127.0.0.1:PORT
    ready: {url: http://127.0.0.1:PORT/hello, timeout: 10s}`, "30s", 3*time.Second, sig)
	if code != 130 {
		t.Fatalf("exit %d, want 130: %s", code, errs)
	}
	if time.Since(start) > 15*time.Second {
		t.Errorf("took %s after SIGTERM", time.Since(start))
	}
	if !r.Interrupted || r.Total == nil || r.Total.Requests == 0 {
		t.Errorf("partial result missing: interrupted=%v total=%+v", r.Interrupted, r.Total)
	}
	if !strings.Contains(strings.ToLower(md), "interrupted") {
		t.Errorf("summary does not say interrupted:\n%s", md)
	}
	// Partial data claims neither pass nor fail, whatever its checks say.
	if r.Verdict == nil || r.Verdict.Status != "interrupted" || !strings.HasPrefix(md, "## ⏹️ loadgate: INTERRUPTED") {
		t.Errorf("verdict %+v, headline %.60q: want interrupted", r.Verdict, md)
	}
}

// TestNeverAnsweringServerEndsInTime: a server that accepts connections and
// never replies cannot hold loadgate past its deadline; it reports timeouts.
func TestNeverAnsweringServerEndsInTime(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c) // accept, read nothing, answer nothing
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	}()
	dir := t.TempDir()
	yml := fmt.Sprintf("target: {url: http://%s, timeout: 1s}\nload: {duration: 2s, users: 3}\ntasks: [{name: x, get: /}]\n", l.Addr())
	os.WriteFile(filepath.Join(dir, "loadgate.yml"), []byte(yml), 0o644)
	start := time.Now()
	code, out, errs := runBin(t, dir, nil, "-q", "--out", "r.json")
	took := time.Since(start)
	// Deadline: warmup 0 + duration 2 s + timeout 1 s + 10 s.
	if took > 13*time.Second {
		t.Errorf("took %s, beyond the hard deadline", took)
	}
	var r result.Result
	b, _ := os.ReadFile(filepath.Join(dir, "r.json"))
	json.Unmarshal(b, &r)
	if r.Total == nil || r.Total.Requests == 0 || r.Total.FailureReasons["timeout"] != r.Total.Requests {
		t.Fatalf("exit %d after %s: %+v\n%s\n%s", code, took, r.Total, out, errs)
	}
	t.Logf("ended after %s with %d timeouts", took.Round(time.Millisecond), r.Total.Requests)
}

// TestSignalWhileTheAppStops: the reports are written before the app is
// stopped, and a SIGTERM that comes while a slow app stops (a CI runner's
// cancel) still exits 130 with the complete report, rather than 0.
func TestSignalWhileTheAppStops(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	yml := fmt.Sprintf(`
target:
  url: http://127.0.0.1:%[1]d
  start:
    command: sh -c "trap 'sleep 3; exit 0' TERM; %[2]s demo --serve 127.0.0.1:%[1]d & wait; sleep 3"
    ready: {url: http://127.0.0.1:%[1]d/hello, timeout: 10s}
    stop_timeout: 8s
load: {duration: 1s, users: 2}
tasks: [{get: /hello}]
`, port, binPath)
	os.WriteFile(filepath.Join(dir, "loadgate.yml"), []byte(yml), 0o644)
	cmd := exec.Command(binPath, "-q", "--out", "result.json")
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "result.json")
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(out); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM) // the app is being stopped now
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Errorf("exit %d, want 130", code)
	}
	r, err := result.ReadResultFile(out)
	if err != nil || r.Interrupted || r.Total.Requests == 0 || r.Verdict == nil || r.Verdict.Status != "pass" {
		t.Errorf("the report of the complete run: %v %+v", err, r)
	}
}

// TestWatchdogEndsAnOverloadedRunWithReports: when the run outlives its
// hard deadline, loadgate (not the target) is what failed: the run ends
// with its reports, a failing check that names the overload, and exit 1,
// never exit 3 without reports.
func TestWatchdogEndsAnOverloadedRunWithReports(t *testing.T) {
	srv := startDemoApp(t)
	var stderr syncBuffer
	out := filepath.Join(t.TempDir(), "r.json")
	j := demoJob(t, srv.URL, "20s", &runFlags{Out: out}, &stderr)
	j.deadline = 1500 * time.Millisecond
	start := time.Now()
	err := j.finish(context.Background())
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("took %s", took)
	}
	if code := exitCodeFor(err); code != exitFail {
		t.Fatalf("exit %d (%v), want 1\n%s", code, err, stderr.String())
	}
	r, rerr := result.ReadResultFile(out)
	if rerr != nil {
		t.Fatal(rerr)
	}
	found := false
	for _, c := range r.Verdict.Checks {
		found = found || (c.Status == "fail" && strings.Contains(c.Reason, "loadgate was overloaded"))
	}
	if !found || r.Interrupted || r.Total.Requests == 0 {
		t.Errorf("the report does not name the overload: interrupted %v, %+v", r.Interrupted, r.Verdict)
	}
}

// TestTargetLogs: the app's log is in a private directory; a passing run
// removes it, --keep-logs keeps it, and a target that fails to start says
// so in the terminal's headline with what it printed last, and keeps it.
func TestTargetLogs(t *testing.T) {
	port := freePort(t)
	write := func(dir, command string) {
		yml := fmt.Sprintf(`
target:
  url: http://127.0.0.1:%[1]d
  start:
    command: %[2]s
    ready: {url: http://127.0.0.1:%[1]d/hello, timeout: 5s}
load: {duration: 1s, users: 1}
tasks: [{get: /hello}]
`, port, command)
		os.WriteFile(filepath.Join(dir, "loadgate.yml"), []byte(yml), 0o644)
	}
	logDirs := func(tmp string) []string {
		m, _ := filepath.Glob(filepath.Join(tmp, "loadgate-target-*"))
		return m
	}
	serve := fmt.Sprintf("%s demo --serve 127.0.0.1:%d", binPath, port)
	for _, c := range []struct {
		name, command string
		args          []string
		code, kept    int
	}{
		{"pass", serve, nil, 0, 0},
		{"pass, --keep-logs", serve, []string{"--keep-logs"}, 0, 1},
		{"cannot start", `sh -c "echo 'FATAL no database at db-5432' >&2; exit 3"`, nil, 3, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir, tmp := t.TempDir(), t.TempDir()
			write(dir, c.command)
			code, out, errs := runBin(t, dir, []string{"RUNNER_TEMP=" + tmp}, append([]string{"-q"}, c.args...)...)
			kept := logDirs(tmp)
			if code != c.code || len(kept) != c.kept {
				t.Fatalf("exit %d, %d log directories kept; want %d and %d\n%s\n%s", code, len(kept), c.code, c.kept, out, errs)
			}
			for _, d := range kept {
				if st, _ := os.Stat(d); st.Mode().Perm() != 0o700 {
					t.Errorf("log directory mode %v", st.Mode().Perm())
				}
				if !strings.Contains(errs, d) {
					t.Errorf("the kept log directory %s is not named:\n%s", d, errs)
				}
			}
			if c.code == 3 && (!strings.Contains(out, "Verdict: FAIL — the target failed") || !strings.Contains(out, "FATAL no database at db-5432")) {
				t.Errorf("the terminal does not say the target failed and what it printed:\n%s", out)
			}
		})
	}
}
