//go:build linux

package cli

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestTargetDaemonDoesNotOutliveRun: the app forks a daemon that leaves its
// process group (setsid), loses the environment mark (as a daemon that
// rewrites its process title does) and is orphaned when its parent exits.
// loadgate adopts it as the subreaper and ends it with the app; before, it
// was adopted by PID 1 and kept running after loadgate exited.
func TestTargetDaemonDoesNotOutliveRun(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	token := fmt.Sprintf("299.%d", port) // a sleep no other process runs
	yml := fmt.Sprintf(`
target:
  url: http://127.0.0.1:%[1]d
  start:
    command: sh -c "(setsid env -u LOADGATE_TARGET_MARK sleep %[3]s &); exec %[2]s demo --serve 127.0.0.1:%[1]d"
    ready: {url: http://127.0.0.1:%[1]d/hello, timeout: 10s}
    stop_timeout: 1s
load: {duration: 1s, users: 2}
tasks: [{get: /hello}]
`, port, binPath, token)
	if err := os.WriteFile(filepath.Join(dir, "loadgate.yml"), []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runBin(t, dir, nil, "-q")
	left := processesRunning("sleep\x00" + token + "\x00")
	t.Cleanup(func() {
		for _, p := range left {
			syscall.Kill(p, syscall.SIGKILL)
		}
	})
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	if len(left) > 0 {
		t.Errorf("the app's daemon (pids %v) outlived loadgate", left)
	}
}

// processesRunning lists the live (not zombie) processes whose command
// line contains cmd (arguments NUL-separated, as in /proc/PID/cmdline).
func processesRunning(cmd string) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || !bytes.Contains(b, []byte(cmd)) {
			continue
		}
		if st, err := os.ReadFile("/proc/" + e.Name() + "/stat"); err == nil && !bytes.Contains(st, []byte(") Z ")) {
			out = append(out, pid)
		}
	}
	return out
}

// TestSIGKILLLeavesNoProcess: loadgate is killed with SIGKILL, which no
// handler sees, while its target is `sh -c` wrapping a server that forks a
// worker, a setsid daemon, and a daemon that also dropped the environment
// mark. The keeper ends all of them: none runs 2 s later.
func TestSIGKILLLeavesNoProcess(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	tok := fmt.Sprintf("%d", 200000+port) // sleeps no other process runs
	yml := fmt.Sprintf(`
target:
  url: http://127.0.0.1:%[1]d
  start:
    command: sh -c "sleep %[3]s1 & (setsid sleep %[3]s2 &); (setsid env -u LOADGATE_TARGET_MARK sleep %[3]s3 &); exec %[2]s demo --serve 127.0.0.1:%[1]d"
    ready: {url: http://127.0.0.1:%[1]d/hello, timeout: 10s}
load: {duration: 30s, users: 2}
tasks: [{get: /hello}]
`, port, binPath, tok)
	if err := os.WriteFile(filepath.Join(dir, "loadgate.yml"), []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binPath, "-q")
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tree := func() []int {
		var all []int
		for _, s := range []string{"1", "2", "3"} {
			all = append(all, processesRunning("sleep\x00"+tok+s+"\x00")...)
		}
		return append(all, processesRunning(fmt.Sprintf("--serve\x00127.0.0.1:%d\x00", port))...)
	}
	t.Cleanup(func() {
		for _, p := range tree() {
			syscall.Kill(p, syscall.SIGKILL)
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for len(tree()) < 4 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if n := len(tree()); n < 4 {
		t.Fatalf("the app's tree did not start: %d of 4 processes", n)
	}
	time.Sleep(1500 * time.Millisecond) // the keeper has heard of the adopted daemon
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	time.Sleep(2 * time.Second)
	if left := tree(); len(left) > 0 {
		t.Errorf("2 s after loadgate was killed, %d processes of its app still run: %v", len(left), left)
	}
}

// TestFdLimitIsTheGeneratorsFailure: with a hard limit of 48 open files
// and 200 users, connections fail inside loadgate. They are labelled as
// loadgate's own, every report warns that the figures describe the
// generator, and the run fails instead of blaming or passing the target.
func TestFdLimitIsTheGeneratorsFailure(t *testing.T) {
	srv := startDemoApp(t)
	dir := t.TempDir()
	sum := filepath.Join(dir, "summary.md")
	script := fmt.Sprintf("ulimit -n 48 && exec %s --url %s/hello -t 2s -u 200 -r 0 -q --summary %s", binPath, srv.URL, sum)
	cmd := exec.Command("sh", "-c", script)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Run()
	md, _ := os.ReadFile(sum)
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, stdout.String(), stderr.String())
	}
	for name, text := range map[string]string{"terminal": stdout.String(), "summary": string(md)} {
		if !strings.Contains(text, "too many open files") || !strings.Contains(text, "inside loadgate, not at the target") {
			t.Errorf("%s does not name the generator's own failure:\n%s", name, text)
		}
	}
}
