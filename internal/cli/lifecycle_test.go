package cli

import (
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
		time.AfterFunc(signalAfter, func() { cmd.Process.Signal(syscall.SIGTERM) })
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
	start := time.Now()
	code, r, md, errs := lifecycleRun(t, `    command: BIN demo --serve 127.0.0.1:PORT
    ready: {url: http://127.0.0.1:PORT/hello, timeout: 10s}`, "30s", 3*time.Second)
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
