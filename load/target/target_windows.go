package target

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"github.com/loadgate/loadgate/load/config"
)

// Windows has no process groups in the POSIX sense and no SIGTERM: the
// target starts in a new process group and stop ends its whole process
// tree with `taskkill /T /F`, falling back to killing the process itself.
// The portable half of the lifecycle is target_common.go.

// osProc is the process as Windows addresses it.
type osProc struct {
	pid  int
	proc *os.Process
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
	t := &Target{spec: spec, logPath: log, osProc: osProc{pid: cmd.Process.Pid, proc: cmd.Process},
		exited: make(chan struct{}), exitCtx: ctx}
	go func() {
		t.exitErr = cmd.Wait()
		cancel()
		close(t.exited)
	}()
	return t, nil
}

// killedBy is "": a Windows process ends with an exit code only.
func killedBy(*exec.ExitError) string { return "" }

// Pid is the process id.
func (t *Target) Pid() int { return t.pid }

// stop ends the target's process tree. Windows console programs have no
// SIGTERM to catch, so there is no grace period: spec.StopTimeout is not
// used.
func (t *Target) stop() (stopErr error) {
	// taskkill /T reaches the children too (uvicorn's reloader, npm's node),
	// which Process.Kill alone would leave holding the port.
	tk := exec.Command("taskkill", "/T", "/F", "/PID", strconv.Itoa(t.pid))
	tk.Stdout, tk.Stderr = io.Discard, io.Discard
	if err := tk.Run(); err != nil {
		select {
		case <-t.exited:
		default:
			if err := t.proc.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
				stopErr = fmt.Errorf("kill target pid %d: %w", t.pid, err)
			}
		}
	}
	select {
	case <-t.exited:
	case <-time.After(5 * time.Second):
		stopErr = fmt.Errorf("target pid %d not gone 5s after it was killed", t.pid)
	}
	return stopErr
}
