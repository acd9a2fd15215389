package load

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// This file is target.go for Windows, which has no process groups in the
// POSIX sense and no SIGTERM: the target starts in a new process group and
// Stop ends its whole process tree with `taskkill /T /F`, falling back to
// killing the process itself. Everything else mirrors target.go line for
// line; keep the two in step (the portable half could move to a shared
// file, which the Windows port was asked not to do).

// TargetError is returned when the target cannot start, never becomes ready,
// or exits; main maps it to exit code 3.
type TargetError struct {
	Phase   string // "start", "ready", "run"
	Msg     string
	LogTail []string // last lines of the target's log, for the user to see why
}

// Error names the phase and the reason; LogTail is left for the caller to print.
func (e *TargetError) Error() string {
	what := map[string]string{"start": "could not be started", "ready": "did not become ready",
		"run": "exited during the run"}[e.Phase]
	if what == "" {
		what = e.Phase
	}
	return "target " + what + ": " + e.Msg
}

// logTailLines is how many log lines a TargetError carries.
const logTailLines = 20

// Target is an application started by loadgate (`target.start`).
type Target struct {
	spec    *StartSpec
	logPath string
	pid     int
	proc    *os.Process

	exited  chan struct{} // closed once cmd.Wait has returned
	exitCtx context.Context
	exitErr error // set before exited is closed

	stopMu  sync.Mutex
	stopped bool
	stopErr error
}

// StartTarget starts spec.Command (already split, no shell) in spec.Dir with
// os.Environ()+spec.Env, in a new process group, with stdout and stderr
// appended to logPath (a temp file if logPath is "").
func StartTarget(spec *StartSpec, logPath string) (*Target, error) {
	fail := func(format string, a ...any) error {
		return &TargetError{Phase: "start", Msg: fmt.Sprintf(format, a...)}
	}
	if len(spec.Command) == 0 {
		return nil, fail("target.start.command is empty")
	}
	if addr := readyAddr(spec); addr != "" {
		if c, err := net.DialTimeout("tcp", addr, 500*time.Millisecond); err == nil {
			c.Close()
			return nil, fail("%s is already in use before %s was started (an earlier instance still running?)", addr, describe(spec))
		}
	}
	logf, err := openLog(logPath)
	if err != nil {
		return nil, fail("log file: %v", err)
	}
	defer logf.Close()

	prog := spec.Command[0]
	// A relative path with a separator is relative to dir (CONTRACT §4);
	// Windows users write either slash.
	if strings.ContainsAny(prog, `/\`) && !filepath.IsAbs(prog) && spec.Dir != "" {
		prog = filepath.Join(spec.Dir, prog)
	}
	cmd := exec.Command(prog, spec.Command[1:]...)
	cmd.Dir = spec.Dir
	cmd.Env = os.Environ()
	for _, k := range slices.Sorted(maps.Keys(spec.Env)) {
		cmd.Env = append(cmd.Env, k+"="+spec.Env[k])
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	// A console Ctrl-C aimed at loadgate then does not also hit the target
	// before loadgate has written its partial reports.
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP}
	if err := cmd.Start(); err != nil {
		if logPath == "" {
			os.Remove(logf.Name())
		}
		return nil, fail("%s: %v", describe(spec), err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t := &Target{spec: spec, logPath: logf.Name(), pid: cmd.Process.Pid, proc: cmd.Process,
		exited: make(chan struct{}), exitCtx: ctx}
	go func() {
		t.exitErr = cmd.Wait()
		cancel()
		close(t.exited)
	}()
	return t, nil
}

func openLog(path string) (*os.File, error) {
	if path == "" {
		return os.CreateTemp("", "loadgate-target-*.log")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
}

func describe(spec *StartSpec) string {
	if spec.CommandLine != "" {
		return strconv.Quote(spec.CommandLine)
	}
	return strconv.Quote(strings.Join(spec.Command, " "))
}

// readyAddr is the host:port the readiness check polls, "" if none.
func readyAddr(spec *StartSpec) string {
	if spec.ReadyTCP != "" || spec.ReadyURL == "" {
		return spec.ReadyTCP
	}
	u, err := url.Parse(spec.ReadyURL)
	switch {
	case err != nil:
		return ""
	case u.Host == "" || u.Port() != "":
		return u.Host
	case u.Scheme == "https":
		return net.JoinHostPort(u.Hostname(), "443")
	}
	return net.JoinHostPort(u.Hostname(), "80")
}

// WaitReady polls every ~50ms until the target is ready (ReadyURL answers
// 2xx, or ReadyTCP accepts a connection), for up to spec.ReadyWait. It fails
// at once if the process exits first; it returns ctx.Err() if ctx ends.
func (t *Target) WaitReady(ctx context.Context) error {
	if t.spec.ReadyURL == "" && t.spec.ReadyTCP == "" {
		return nil
	}
	wait := t.spec.ReadyWait
	if wait <= 0 {
		wait = DefaultReadyWait
	}
	what := "tcp " + t.spec.ReadyTCP
	if t.spec.ReadyURL != "" {
		what = "GET " + t.spec.ReadyURL
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true,
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(wait)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var lastErr error
	for {
		if per := min(time.Until(deadline), time.Second); per > 0 {
			lastErr = t.probe(ctx, client, per)
		}
		select {
		case <-t.exited:
			return t.exitError("ready", "%s %s before it was ready", describe(t.spec), t.exitStatus())
		default:
		}
		if lastErr == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !time.Now().Before(deadline) {
			return t.exitError("ready", "%s: polled %s for %s; last attempt: %v",
				describe(t.spec), what, wait, lastErr)
		}
		select {
		case <-tick.C:
		case <-t.exited:
		case <-ctx.Done():
		}
	}
}

// probe makes one readiness attempt, cut short if the process exits.
func (t *Target) probe(ctx context.Context, client *http.Client, timeout time.Duration) error {
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	stop := context.AfterFunc(t.exitCtx, cancel)
	defer stop()
	if t.spec.ReadyURL == "" {
		c, err := (&net.Dialer{}).DialContext(actx, "tcp", t.spec.ReadyTCP)
		if err != nil {
			return err
		}
		return c.Close()
	}
	req, err := http.NewRequestWithContext(actx, http.MethodGet, t.spec.ReadyURL, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

func (t *Target) exitError(phase, format string, a ...any) *TargetError {
	return &TargetError{Phase: phase, Msg: fmt.Sprintf(format, a...), LogTail: t.LogTail(logTailLines)}
}

// exitStatus words how the process ended; call only after Exited.
func (t *Target) exitStatus() string {
	var ee *exec.ExitError
	if errors.As(t.exitErr, &ee) {
		return "exited with status " + strconv.Itoa(ee.ExitCode())
	}
	if t.exitErr != nil {
		return "failed: " + t.exitErr.Error()
	}
	return "exited with status 0"
}

// RunError is the TargetError for a target that exited during the run
// (after Exited is closed); it carries the log tail.
func (t *Target) RunError() *TargetError {
	<-t.exited
	return t.exitError("run", "%s %s", describe(t.spec), t.exitStatus())
}

// Exited is closed when the process has exited; ExitErr then describes how.
func (t *Target) Exited() <-chan struct{} { return t.exited }

// ExitErr is cmd.Wait's result once Exited is closed (nil for status 0, and
// nil while the process runs).
func (t *Target) ExitErr() error {
	select {
	case <-t.exited:
		return t.exitErr
	default:
		return nil
	}
}

// Pid is the process id.
func (t *Target) Pid() int { return t.pid }

// LogPath is the file receiving the target's stdout and stderr.
func (t *Target) LogPath() string { return t.logPath }

// Stop ends the target's process tree and returns once the process is
// reaped. Windows console programs have no SIGTERM to catch, so there is no
// grace period: spec.StopTimeout is not used. It is safe to call more than
// once and after the process exited by itself (its children may live on).
func (t *Target) Stop() error {
	t.stopMu.Lock()
	defer t.stopMu.Unlock()
	if t.stopped {
		return t.stopErr
	}
	t.stopped = true
	// taskkill /T reaches the children too (uvicorn's reloader, npm's node),
	// which Process.Kill alone would leave holding the port.
	tk := exec.Command("taskkill", "/T", "/F", "/PID", strconv.Itoa(t.pid))
	tk.Stdout, tk.Stderr = io.Discard, io.Discard
	if err := tk.Run(); err != nil {
		select {
		case <-t.exited:
		default:
			if err := t.proc.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
				t.stopErr = fmt.Errorf("kill target pid %d: %w", t.pid, err)
			}
		}
	}
	select {
	case <-t.exited:
	case <-time.After(5 * time.Second):
		t.stopErr = fmt.Errorf("target pid %d not gone 5s after it was killed", t.pid)
	}
	return t.stopErr
}

// LogTail returns the last n lines of the target's log, reading at most the
// final 64 KiB so a huge log costs nothing.
func (t *Target) LogTail(n int) []string {
	f, err := os.Open(t.logPath)
	if err != nil {
		return nil
	}
	defer f.Close()
	const window = 64 << 10
	var off int64
	if st, err := f.Stat(); err == nil && st.Size() > window {
		off = st.Size() - window
	}
	b, _ := io.ReadAll(io.NewSectionReader(f, off, window))
	if i := bytes.IndexByte(b, '\n'); off > 0 && i >= 0 {
		b = b[i+1:]
	}
	text := strings.TrimRight(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
	if text == "" || n <= 0 {
		return nil
	}
	lines := strings.Split(text, "\n")
	return lines[max(0, len(lines)-n):]
}
