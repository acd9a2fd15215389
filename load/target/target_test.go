package target

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/loadgate/loadgate/internal/testenv"
	"github.com/loadgate/loadgate/load/config"
)

// TestTargetHelperProcess is not a test: run as a child by the tests below
// (LOADGATE_TARGET_HELPER=1), it is the application under test. It waits a
// little, then serves HTTP on HELPER_ADDR, answering /health 503 for its
// first 200ms of serving and 200 after, so readiness must really poll.
func TestTargetHelperProcess(t *testing.T) {
	if os.Getenv("LOADGATE_TARGET_HELPER") != "1" {
		return
	}
	time.Sleep(100 * time.Millisecond)
	ln, err := net.Listen("tcp", os.Getenv("HELPER_ADDR"))
	if err != nil {
		os.Stderr.WriteString("helper: " + err.Error() + "\n")
		os.Exit(9)
	}
	up := time.Now()
	os.Stdout.WriteString("helper listening\n")
	_ = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if time.Since(up) < 200*time.Millisecond {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok"))
	}))
	os.Exit(0)
}

func helperSpec(t *testing.T, addr string) *config.StartSpec {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return &config.StartSpec{
		Command:     []string{exe, "-test.run=^TestTargetHelperProcess$"},
		Dir:         t.TempDir(),
		Env:         map[string]string{"LOADGATE_TARGET_HELPER": "1", "HELPER_ADDR": addr},
		ReadyWait:   20 * time.Second,
		StopTimeout: 5 * time.Second,
	}
}

// freeAddr returns a loopback address nothing listens on right now, for
// a helper process to listen on; where nothing may ever listen, tests use
// refusedAddr (another package's server may be given a freed port).
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func start(t *testing.T, spec *config.StartSpec, logPath string) *Target {
	t.Helper()
	tg, err := StartTarget(spec, logPath)
	if err != nil {
		t.Fatalf("StartTarget: %v", err)
	}
	t.Cleanup(func() { tg.Stop() })
	return tg
}

// liveGroupMembers lists the non-zombie processes of group pgid. Zombies are
// ignored because here PID 1 may not reap orphans.
func liveGroupMembers(t *testing.T, pgid int) []string {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Skip("no /proc")
	}
	var out []string
	for _, e := range ents {
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 2 && f[2] == strconv.Itoa(pgid) && f[0] != "Z" && f[0] != "X" {
			out = append(out, s)
		}
	}
	return out
}

// waitLog waits until the log contains want, so a test acts only once the
// child has reached that point (e.g. installed its trap).
func waitLog(t *testing.T, tg *Target, want string) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if b, _ := os.ReadFile(tg.LogPath()); strings.Contains(string(b), want) {
			return
		}
	}
	t.Fatalf("log never showed %q", want)
}

func targetErr(t *testing.T, err error, phase string) *TargetError {
	t.Helper()
	var te *TargetError
	if !errors.As(err, &te) || te.Phase != phase {
		t.Fatalf("got %v (%T), want a TargetError in phase %q", err, err, phase)
	}
	return te
}

func TestTargetReadyHTTP(t *testing.T) {
	addr := freeAddr(t)
	spec := helperSpec(t, addr)
	spec.ReadyURL = "http://" + addr + "/health"
	tg := start(t, spec, "")
	if err := tg.WaitReady(context.Background()); err != nil {
		t.Fatalf("WaitReady: %v\nlog: %q", err, tg.LogTail(20))
	}
	resp, err := http.Get(spec.ReadyURL)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("after ready: %v %v", resp, err)
	}
	resp.Body.Close()
	if err := tg.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Fatal("port still served after Stop")
	}
}

func TestTargetReadyTCP(t *testing.T) {
	addr := freeAddr(t)
	spec := helperSpec(t, addr)
	spec.ReadyTCP = addr
	tg := start(t, spec, "")
	if err := tg.WaitReady(context.Background()); err != nil {
		t.Fatalf("WaitReady: %v", err)
	}
	if tg.Pid() <= 0 || tg.ExitErr() != nil {
		t.Fatalf("pid %d, ExitErr %v", tg.Pid(), tg.ExitErr())
	}
	select {
	case <-tg.Exited():
		t.Fatal("Exited closed while running")
	default:
	}
	if err := tg.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	<-tg.Exited()
	if tg.ExitErr() == nil {
		t.Fatal("ExitErr nil after SIGTERM")
	}
}

func TestTargetNoReadyCheck(t *testing.T) {
	tg := start(t, &config.StartSpec{Command: []string{"sleep", "30"}}, "")
	if err := tg.WaitReady(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestTargetCommandNotFound(t *testing.T) {
	_, err := StartTarget(&config.StartSpec{Command: []string{"loadgate-no-such-command"}, Dir: t.TempDir()}, "")
	te := targetErr(t, err, "start")
	if !strings.Contains(te.Error(), "loadgate-no-such-command") {
		t.Errorf("message does not name the command: %v", te)
	}
}

func TestTargetPortAlreadyInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, err = StartTarget(&config.StartSpec{Command: []string{"sleep", "30"}, ReadyTCP: ln.Addr().String()}, "")
	if te := targetErr(t, err, "start"); !strings.Contains(te.Msg, "already in use") {
		t.Errorf("msg %q", te.Msg)
	}
}

func TestTargetExitsBeforeReady(t *testing.T) {
	spec := &config.StartSpec{Command: []string{"sh", "-c", "echo boom >&2; exit 3"},
		ReadyTCP: testenv.RefusedAddr, ReadyWait: 20 * time.Second}
	tg := start(t, spec, "")
	begin := time.Now()
	te := targetErr(t, tg.WaitReady(context.Background()), "ready")
	if d := time.Since(begin); d > 10*time.Second {
		t.Errorf("took %v: should fail when the process exits, not at the timeout", d)
	}
	if !strings.Contains(te.Msg, "exited with status 3 before it was ready") {
		t.Errorf("msg %q", te.Msg)
	}
	if len(te.LogTail) == 0 || te.LogTail[len(te.LogTail)-1] != "boom" {
		t.Errorf("log tail %q", te.LogTail)
	}
}

func TestTargetNeverReady(t *testing.T) {
	addr := testenv.RefusedAddr
	spec := &config.StartSpec{Command: []string{"sleep", "30"}, ReadyURL: "http://" + addr + "/", ReadyWait: 300 * time.Millisecond}
	tg := start(t, spec, "")
	begin := time.Now()
	te := targetErr(t, tg.WaitReady(context.Background()), "ready")
	if d := time.Since(begin); d < 300*time.Millisecond {
		t.Errorf("gave up after %v, before the 300ms timeout", d)
	}
	for _, want := range []string{"GET http://" + addr, "300ms", "refused"} {
		if !strings.Contains(te.Msg, want) {
			t.Errorf("msg %q lacks %q", te.Msg, want)
		}
	}
}

func TestTargetWaitReadyCanceled(t *testing.T) {
	tg := start(t, &config.StartSpec{Command: []string{"sleep", "30"}, ReadyTCP: testenv.RefusedAddr}, "")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := tg.WaitReady(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the context's error", err)
	}
}

func TestTargetStopKillsTermIgnorer(t *testing.T) {
	// The shell and its two sleeps (a grandchild level) all ignore SIGTERM.
	spec := &config.StartSpec{Command: []string{"sh", "-c", "trap '' TERM; sleep 30 & sleep 30 & echo armed; wait"},
		StopTimeout: 300 * time.Millisecond}
	tg := start(t, spec, "")
	waitLog(t, tg, "armed")
	begin := time.Now()
	if err := tg.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if d := time.Since(begin); d < 300*time.Millisecond {
		t.Errorf("Stop returned after %v, before StopTimeout", d)
	}
	var ee *exec.ExitError
	if !errors.As(tg.ExitErr(), &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("ExitErr %v, want killed by SIGKILL", tg.ExitErr())
	}
	if left := liveGroupMembers(t, tg.Pid()); len(left) > 0 {
		t.Fatalf("processes left in the group: %q", left)
	}
	if err := tg.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
}

func TestTargetStopAfterLeaderExited(t *testing.T) {
	// The shell exits at once; its background sleep stays in the group and
	// must still be stopped, since such leftovers hold ports in real apps.
	tg := start(t, &config.StartSpec{Command: []string{"sh", "-c", "sleep 30 & echo started"}}, "")
	<-tg.Exited()
	if tg.ExitErr() != nil {
		t.Fatalf("ExitErr %v", tg.ExitErr())
	}
	if len(liveGroupMembers(t, tg.Pid())) == 0 {
		t.Fatal("background sleep not found in the group")
	}
	begin := time.Now()
	if err := tg.Stop(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(begin); d > 5*time.Second {
		t.Errorf("Stop took %v for processes that obey SIGTERM", d)
	}
	if left := liveGroupMembers(t, tg.Pid()); len(left) > 0 {
		t.Fatalf("processes left in the group: %q", left)
	}
	if te := tg.RunError(); te.Phase != "run" || !strings.Contains(te.Msg, "exited with status 0") {
		t.Errorf("RunError %+v", te)
	}
}

func TestTargetLogAndEnv(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "deep", "dir", "target.log")
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(logPath, []byte("earlier run\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := &config.StartSpec{Command: []string{"sh", "-c", `echo "out $GREETING"; echo err >&2; exit 1`},
		Env: map[string]string{"GREETING": "hi"}}
	tg := start(t, spec, logPath)
	<-tg.Exited()
	if tg.LogPath() != logPath {
		t.Errorf("LogPath %q", tg.LogPath())
	}
	b, err := os.ReadFile(logPath)
	if err != nil || string(b) != "earlier run\nout hi\nerr\n" {
		t.Fatalf("log %q, %v", b, err)
	}
	if got := tg.LogTail(2); strings.Join(got, "|") != "out hi|err" {
		t.Errorf("LogTail(2) = %q", got)
	}
	if te := tg.RunError(); !strings.Contains(te.Error(), "exited with status 1") {
		t.Errorf("RunError %v", te)
	}
}

func TestTargetLogDirCreated(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "a", "b", "t.log")
	tg := start(t, &config.StartSpec{Command: []string{"sh", "-c", "echo x"}}, logPath)
	<-tg.Exited()
	if got := tg.LogTail(5); len(got) != 1 || got[0] != "x" {
		t.Fatalf("LogTail %q", got)
	}
}

func TestTargetRelativeScript(t *testing.T) {
	dir := t.TempDir()
	script := "#!/bin/sh\necho \"ran in $(pwd) with $1\"\n"
	if err := os.WriteFile(filepath.Join(dir, "run.sh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	// The test's working directory is the package folder, not dir: only
	// resolution against Dir can find ./run.sh.
	tg := start(t, &config.StartSpec{Command: []string{"./run.sh", "arg1"}, Dir: dir}, "")
	<-tg.Exited()
	if tg.ExitErr() != nil {
		t.Fatalf("ExitErr %v, log %q", tg.ExitErr(), tg.LogTail(5))
	}
	real, _ := filepath.EvalSymlinks(dir)
	if got := tg.LogTail(1); len(got) != 1 || (got[0] != "ran in "+dir+" with arg1" && got[0] != "ran in "+real+" with arg1") {
		t.Fatalf("LogTail %q", got)
	}
}

func TestTargetLogTailWindow(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big.log")
	var b strings.Builder
	for i := range 20000 { // ~150 KiB, more than the 64 KiB window
		b.WriteString("line " + strconv.Itoa(i) + "\r\n")
	}
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	tg := &Target{logPath: p}
	if got := tg.LogTail(3); strings.Join(got, "|") != "line 19997|line 19998|line 19999" {
		t.Fatalf("LogTail(3) = %q", got)
	}
	if got := tg.LogTail(1 << 20); len(got) == 0 || !strings.HasPrefix(got[0], "line ") {
		t.Fatalf("first line of a full window is cut: %q", got[:1])
	}
	if got := (&Target{logPath: filepath.Join(t.TempDir(), "none")}).LogTail(3); got != nil {
		t.Fatalf("missing log: %q", got)
	}
}
