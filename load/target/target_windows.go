package target

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/loadgate/loadgate/load/config"
)

// This file is target.go for Windows, which has no process groups in the
// POSIX sense and no SIGTERM: the target starts in a new process group and
// Stop ends its whole process tree with `taskkill /T /F`, falling back to
// killing the process itself. Everything else mirrors target.go line for
// line; keep the two in step (the portable half could move to a shared
// file, which the Windows port was asked not to do).

// logTailLines is how many log lines a TargetError carries.
const logTailLines = 20

// Target is an application started by loadgate (`target.start`).
type Target struct {
	spec    *config.StartSpec
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
func StartTarget(spec *config.StartSpec, logPath string) (*Target, error) {
	// A console Ctrl-C aimed at loadgate then does not also hit the target
	// before loadgate has written its partial reports.
	attr := &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP}
	// Windows users write either slash in a relative path.
	cmd, log, err := startCommand(spec, logPath, `/\`, attr)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	t := &Target{spec: spec, logPath: log, pid: cmd.Process.Pid, proc: cmd.Process,
		exited: make(chan struct{}), exitCtx: ctx}
	go func() {
		t.exitErr = cmd.Wait()
		cancel()
		close(t.exited)
	}()
	return t, nil
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

// Pid is the process id.
func (t *Target) Pid() int { return t.pid }

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
