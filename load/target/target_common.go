package target

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

	"github.com/loadgate/loadgate/load/config"
)

// The platform-independent half of the target lifecycle: readiness, exit
// reporting and the log. target.go (Unix) and target_windows.go start and
// stop the process and hold its handle (osProc).

// logTailLines is how many log lines a TargetError carries.
const logTailLines = 20

// Target is an application started by loadgate (`target.start`).
type Target struct {
	spec    *config.StartSpec
	logPath string
	osProc  // how this system addresses the process tree

	exited  chan struct{} // closed once cmd.Wait has returned
	exitCtx context.Context
	exitErr error // set before exited is closed

	stopMu  sync.Mutex
	stopped bool
	stopErr error

	// instr counts the tree's instructions where the machine can
	// (perf_linux.go); instrWhy says why not when it is nil.
	instr    *perfCounter
	instrWhy string
}

// exitStatus words how the process ended; call only after Exited.
func (t *Target) exitStatus() string {
	var ee *exec.ExitError
	if errors.As(t.exitErr, &ee) {
		if sig := killedBy(ee); sig != "" {
			return "was killed by signal " + sig
		}
		return "exited with status " + strconv.Itoa(ee.ExitCode())
	}
	if t.exitErr != nil {
		return "failed: " + t.exitErr.Error()
	}
	return "exited with status 0"
}

// Stop ends the target's whole process tree (stop, per system) and returns
// once the process is reaped. It is safe to call more than once and after
// the process exited by itself: its children may still hold the port.
func (t *Target) Stop() error {
	t.stopMu.Lock()
	defer t.stopMu.Unlock()
	if !t.stopped {
		t.stopped = true
		t.stopErr = t.stop()
	}
	return t.stopErr
}

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

// openLog opens the app's log for appending (ab starts the app once per
// round). The caller puts it in a private directory (LogDir); a symbolic
// link planted at its name is refused rather than followed.
func openLog(path string) (*os.File, error) {
	if path == "" {
		return os.CreateTemp("", "loadgate-target-*.log")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	if st, err := os.Lstat(path); err == nil && !st.Mode().IsRegular() {
		return nil, fmt.Errorf("log file %s exists and is not a regular file", path)
	}
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
}

// LogDir makes a private directory (mode 0700) for the app's log under
// base (the system's temporary directory when empty), so no other user
// can read the log or plant a file in its place.
func LogDir(base string) (string, error) {
	return os.MkdirTemp(base, "loadgate-target-*")
}

func describe(spec *config.StartSpec) string {
	if spec.CommandLine != "" {
		return strconv.Quote(spec.CommandLine)
	}
	return strconv.Quote(strings.Join(spec.Command, " "))
}

// readyAddr is the host:port the readiness check polls, "" if none.
func readyAddr(spec *config.StartSpec) string {
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
		wait = config.DefaultReadyWait
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

// LogPath is the file receiving the target's stdout and stderr.
func (t *Target) LogPath() string { return t.logPath }

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

// startCommand starts spec.Command (already split, no shell) in spec.Dir
// with os.Environ()+spec.Env and the platform's process attributes, stdout
// and stderr appended to logPath (a temp file if ""). seps are the path
// separators that make a program name a relative path; extraEnv is added
// after spec.Env.
func startCommand(spec *config.StartSpec, logPath, seps string, attr *syscall.SysProcAttr, extraEnv ...string) (*exec.Cmd, string, error) {
	fail := func(format string, a ...any) error {
		return &TargetError{Phase: "start", Msg: fmt.Sprintf(format, a...)}
	}
	if len(spec.Command) == 0 {
		return nil, "", fail("target.start.command is empty")
	}
	// Something already answering where the target will be polled would make
	// loadgate measure a stale server while the new one fails to bind.
	if addr := readyAddr(spec); addr != "" {
		if c, err := net.DialTimeout("tcp", addr, 500*time.Millisecond); err == nil {
			c.Close()
			return nil, "", fail("%s is already in use before %s was started (an earlier instance still running?)", addr, describe(spec))
		}
	}
	logf, err := openLog(logPath)
	if err != nil {
		return nil, "", fail("log file: %v", err)
	}
	defer logf.Close() // the child holds its own descriptor

	prog := spec.Command[0]
	// exec.Command only searches PATH for bare names; a relative path with a
	// separator is meant relative to dir, not to loadgate's cwd.
	if strings.ContainsAny(prog, seps) && !filepath.IsAbs(prog) && spec.Dir != "" {
		prog = filepath.Join(spec.Dir, prog)
	}
	cmd := exec.Command(prog, spec.Command[1:]...)
	cmd.Dir = spec.Dir
	cmd.Env = os.Environ()
	for _, k := range slices.Sorted(maps.Keys(spec.Env)) {
		cmd.Env = append(cmd.Env, k+"="+spec.Env[k]) // later entries win in exec
	}
	cmd.Env = append(cmd.Env, extraEnv...)
	// The child writes to the file directly: no copying goroutine in loadgate
	// competes with the load generator, and the log survives a crash.
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = attr
	if err := cmd.Start(); err != nil {
		if logPath == "" {
			os.Remove(logf.Name()) // our temp file, nothing was written
		}
		return nil, "", fail("%s: %v", describe(spec), err)
	}
	return cmd, logf.Name(), nil
}
