//go:build !windows

package target

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/loadgate/loadgate/load/config"
)

// logTailLines is how many log lines a TargetError carries.
const logTailLines = 20

// Target is an application started by loadgate (`target.start`).
type Target struct {
	spec    *config.StartSpec
	logPath string
	pgid    int
	mark    string // NAME=VALUE in the environment of every process the app starts (target_strays.go)

	exited  chan struct{} // closed once cmd.Wait has returned
	exitCtx context.Context
	exitErr error // set before exited is closed

	stopMu  sync.Mutex
	stopped bool
	stopErr error

	keeper *keeper // ends the tree if loadgate is killed (Linux; nil elsewhere)
}

// StartTarget starts spec.Command (already split, no shell) in spec.Dir with
// os.Environ()+spec.Env, in its own process group, with stdout and stderr
// appended to logPath (a temp file if logPath is "").
func StartTarget(spec *config.StartSpec, logPath string) (*Target, error) {
	attr := &syscall.SysProcAttr{Setpgid: true}
	setPdeathsig(attr)
	mark := newMark()
	cmd, log, err := startCommand(spec, logPath, "/", attr, mark)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	t := &Target{spec: spec, logPath: log, pgid: cmd.Process.Pid, mark: mark,
		exited: make(chan struct{}), exitCtx: ctx}
	addLeader(t.pgid)
	t.keeper = startKeeper(t)
	go func() {
		t.exitErr = cmd.Wait()
		removeLeader(t.pgid)
		cancel()
		close(t.exited)
	}()
	return t, nil
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

// Pid is the process id, which is also the process group id.
func (t *Target) Pid() int { return t.pgid }

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
	defer t.keeper.close() // last: the tree is gone, so the keeper finds nothing
	grace := t.spec.StopTimeout
	if grace <= 0 {
		grace = config.DefaultStopTimeout
	}
	deadline := time.Now().Add(grace)
	// Processes that left the group (a daemon's setsid) get the same
	// SIGTERM and grace, and whatever still runs then gets SIGKILL.
	defer t.stopStrays(deadline)
	signalPids(t.strays(), syscall.SIGTERM)
	signalPids(t.adopted(), syscall.SIGTERM)
	if err := signalGroup(t.pgid, syscall.SIGTERM); err != nil {
		t.stopErr = err
	}
	if !t.waitGroup(deadline) {
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
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if state, g, _ := procStat(pid); g == pgid && state != "Z" && state != "X" {
			return true
		}
	}
	return false
}
