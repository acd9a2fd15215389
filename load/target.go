//go:build !windows

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
	pgid    int

	exited  chan struct{} // closed once cmd.Wait has returned
	exitCtx context.Context
	exitErr error // set before exited is closed

	stopMu  sync.Mutex
	stopped bool
	stopErr error
}

// StartTarget starts spec.Command (already split, no shell) in spec.Dir with
// os.Environ()+spec.Env, in its own process group, with stdout and stderr
// appended to logPath (a temp file if logPath is "").
func StartTarget(spec *StartSpec, logPath string) (*Target, error) {
	fail := func(format string, a ...any) error {
		return &TargetError{Phase: "start", Msg: fmt.Sprintf(format, a...)}
	}
	if len(spec.Command) == 0 {
		return nil, fail("target.start.command is empty")
	}
	// Something already answering where the target will be polled would make
	// loadgate measure a stale server while the new one fails to bind.
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
	defer logf.Close() // the child holds its own descriptor

	prog := spec.Command[0]
	// exec.Command only searches PATH for bare names; a relative path with a
	// slash is meant relative to dir (CONTRACT §4), not to loadgate's cwd.
	if strings.ContainsRune(prog, '/') && !filepath.IsAbs(prog) && spec.Dir != "" {
		prog = filepath.Join(spec.Dir, prog)
	}
	cmd := exec.Command(prog, spec.Command[1:]...)
	cmd.Dir = spec.Dir
	cmd.Env = os.Environ()
	for _, k := range slices.Sorted(maps.Keys(spec.Env)) {
		cmd.Env = append(cmd.Env, k+"="+spec.Env[k]) // later entries win in exec
	}
	// The child writes to the file directly: no copying goroutine in loadgate
	// competes with the load generator, and the log survives a crash.
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	setPdeathsig(cmd.SysProcAttr)
	if err := cmd.Start(); err != nil {
		if logPath == "" {
			os.Remove(logf.Name()) // our temp file, nothing was written
		}
		return nil, fail("%s: %v", describe(spec), err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t := &Target{spec: spec, logPath: logf.Name(), pgid: cmd.Process.Pid,
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
	// No keep-alive: an idle probe connection must not linger in the target.
	// No proxy (the target is local) and, like Kubernetes' httpGet probes, no
	// certificate check: the probe asks "is it up?", not "is it trusted?".
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true,
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(wait)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var lastErr error
	for {
		per := min(time.Until(deadline), time.Second)
		if per > 0 {
			lastErr = t.probe(ctx, client, per)
		}
		// Exit wins over success: if our process died, whatever answered is
		// not the build under test.
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
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return "was killed by signal " + ws.Signal().String()
		}
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

// Pid is the process id, which is also the process group id.
func (t *Target) Pid() int { return t.pgid }

// LogPath is the file receiving the target's stdout and stderr.
func (t *Target) LogPath() string { return t.logPath }

// Stop sends SIGTERM to the process group, waits up to spec.StopTimeout for
// the whole group to end, then SIGKILLs the group, and returns once the
// process is reaped. It is safe to call more than once and after the process
// exited by itself: grandchildren may still hold the port.
func (t *Target) Stop() error {
	t.stopMu.Lock()
	defer t.stopMu.Unlock()
	if t.stopped {
		return t.stopErr
	}
	t.stopped = true
	grace := t.spec.StopTimeout
	if grace <= 0 {
		grace = DefaultStopTimeout
	}
	if err := signalGroup(t.pgid, syscall.SIGTERM); err != nil {
		t.stopErr = err
	}
	if !t.waitGroup(time.Now().Add(grace)) {
		if err := signalGroup(t.pgid, syscall.SIGKILL); err != nil && t.stopErr == nil {
			t.stopErr = err
		}
		// SIGKILL cannot be ignored; the bound only guards against a process
		// stuck in the kernel, so Stop never hangs the run forever.
		select {
		case <-t.exited:
		case <-time.After(5 * time.Second):
			t.stopErr = fmt.Errorf("target pid %d not reaped 5s after SIGKILL", t.pgid)
			return t.stopErr
		}
		t.waitGroup(time.Now().Add(time.Second))
	}
	return t.stopErr
}

// waitGroup waits until the leader is reaped and no live member of the group
// remains, or until deadline; it reports whether the group is gone.
func (t *Target) waitGroup(deadline time.Time) bool {
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	exited := t.exited
	for {
		select {
		case <-t.exited:
			if !groupAlive(t.pgid) {
				return true
			}
		default:
		}
		if !time.Now().Before(deadline) {
			return false
		}
		select {
		case <-exited:
			exited = nil // closed for good: from now on only the ticker paces
		case <-tick.C:
		}
	}
}

func signalGroup(pgid int, sig syscall.Signal) error {
	if err := syscall.Kill(-pgid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signal %v to process group %d: %w", sig, pgid, err)
	}
	return nil
}

// groupAlive reports whether a process of group pgid is still running.
// Zombies do not count: where PID 1 does not reap orphans (some containers)
// they would linger forever, though they hold no port and run no code.
func groupAlive(pgid int) bool {
	if syscall.Kill(-pgid, 0) != nil {
		return false
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return true // no procfs: trust kill(2)
	}
	for _, e := range ents {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // exited meanwhile
		}
		// Format: pid (comm) state ppid pgrp ...; comm may hold spaces and ')'.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) >= 3 && f[2] == strconv.Itoa(pgid) && f[0] != "Z" && f[0] != "X" {
			return true
		}
	}
	return false
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
		b = b[i+1:] // drop the partial first line the window cut into
	}
	text := strings.TrimRight(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
	if text == "" || n <= 0 {
		return nil
	}
	lines := strings.Split(text, "\n")
	return lines[max(0, len(lines)-n):]
}
