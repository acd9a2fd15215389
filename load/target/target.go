//go:build !windows

package target

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"github.com/loadgate/loadgate/load/config"
)

// osProc is the process tree as Unix addresses it: the group the app
// leads, the mark its processes inherit, and the keeper.
type osProc struct {
	pgid   int
	mark   string  // NAME=VALUE in the environment of every process the app starts (target_strays.go)
	keeper *keeper // ends the tree if loadgate is killed (Linux; nil elsewhere)
	cg     *cgroup // the app's own cgroup, where loadgate could make one (meter_linux.go)
}

// StartTarget starts spec.Command (already split, no shell) in spec.Dir with
// os.Environ()+spec.Env, in its own process group, with stdout and stderr
// appended to logPath (a temp file if logPath is "").
func StartTarget(spec *config.StartSpec, logPath string) (*Target, error) {
	attr := &syscall.SysProcAttr{Setpgid: true}
	setPdeathsig(attr)
	mark := newMark()
	cmd, log, cg, err := startMetered(spec, logPath, attr, mark)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	t := &Target{spec: spec, logPath: log, osProc: osProc{pgid: cmd.Process.Pid, mark: mark, cg: cg},
		exited: make(chan struct{}), exitCtx: ctx}
	addLeader(t.pgid)
	t.keeper = startKeeper(t)
	t.instr, t.instrWhy = countInstructions(cg, t.pgid)
	go func() {
		t.exitErr = cmd.Wait()
		removeLeader(t.pgid)
		cancel()
		close(t.exited)
	}()
	return t, nil
}

// killedBy names the signal that ended the process, or "".
func killedBy(ee *exec.ExitError) string {
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return ws.Signal().String()
	}
	return ""
}

// Pid is the process id, which is also the process group id.
func (t *Target) Pid() int { return t.pgid }

// stop sends SIGTERM to the process group, waits up to spec.StopTimeout
// for the whole group to end, then SIGKILLs the group.
func (t *Target) stop() (stopErr error) {
	defer t.cg.remove() // very last: it must be empty
	defer t.instr.close()
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
	stopErr = signalGroup(t.pgid, syscall.SIGTERM)
	if !t.waitGroup(deadline) {
		if err := signalGroup(t.pgid, syscall.SIGKILL); err != nil && stopErr == nil {
			stopErr = err
		}
		// SIGKILL cannot be ignored; the bound only guards against a process
		// stuck in the kernel, so Stop never hangs the run forever.
		select {
		case <-t.exited:
		case <-time.After(5 * time.Second):
			return fmt.Errorf("target pid %d not reaped 5s after SIGKILL", t.pgid)
		}
		t.waitGroup(time.Now().Add(time.Second))
	}
	return stopErr
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
