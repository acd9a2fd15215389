package target

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// The keeper ends the app's process tree when loadgate itself is killed
// (SIGKILL, the OOM killer, a CI runner's hard timeout), which no handler in
// loadgate can see. It is a second copy of loadgate, started with
// keeperVar set and a pipe as its standard input. loadgate writes to the
// pipe what the tree is: the process group, the environment mark, and
// every second the processes it adopted (a daemon that rewrote its
// environment over the mark is found only that way). When the pipe closes,
// loadgate has exited, however it ended: the keeper SIGKILLs the group,
// every process with the mark and every listed process that is still the
// same process (by its start time), repeats that for a second so that a
// fork in flight is caught too, and exits. After a normal stop it finds
// nothing to end.

const keeperVar = "LOADGATE_KEEPER"

// keepersOK: KeeperMain ran in this process, which is loadgate.
var keepersOK atomic.Bool

// KeeperMain runs the keeper when this process was started as one, and
// never returns then; otherwise it returns at once. The command line calls
// it first thing.
func KeeperMain() {
	if os.Getenv(keeperVar) != "1" {
		// This executable knows how to be a keeper, so targets may get one
		// (a test binary that never calls KeeperMain must not start copies
		// of itself).
		keepersOK.Store(true)
		return
	}
	// The keeper outlives loadgate's signals: a Ctrl-C to the terminal's
	// process group must not end it before it is needed.
	signal.Ignore(syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE)
	var pgid int
	var mark string
	listed := map[int]string{} // pid -> start time
	done := false              // loadgate stopped the app itself
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		kind, rest, _ := strings.Cut(sc.Text(), " ")
		switch kind {
		case "pgid":
			pgid, _ = strconv.Atoi(rest)
		case "mark":
			mark = rest
		case "done":
			done = true
		case "pids":
			clear(listed)
			for _, f := range strings.Fields(rest) {
				p, st, _ := strings.Cut(f, ":")
				if pid, err := strconv.Atoi(p); err == nil && pid > 1 {
					listed[pid] = st
				}
			}
		}
	}
	if done {
		// After a normal stop the app's group is gone and its id may be
		// reused by an unrelated group: nothing is signalled.
		os.Exit(0)
	}
	for range 10 {
		if pgid > 1 {
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		}
		signalPids(markedPids(mark, 0), syscall.SIGKILL)
		for pid, st := range listed {
			if pid != os.Getpid() && startTime(pid) == st {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	os.Exit(0)
}

// keeper is loadgate's end of the pipe to a target's keeper.
type keeper struct {
	w    *os.File
	cmd  *exec.Cmd
	stop chan struct{}
}

// startKeeper starts the keeper of t. Without one (no /proc/self/exe, a
// sandbox that forbids it) t is still stopped on every path loadgate
// survives, so its failure is not an error.
func startKeeper(t *Target) *keeper {
	if !keepersOK.Load() {
		return nil
	}
	exe, err := os.Executable()
	if err != nil {
		return nil
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), keeperVar+"=1")
	cmd.Stdin = r
	// Its own process group: a signal to loadgate's group does not reach it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return nil
	}
	r.Close()
	helpers.Store(cmd.Process.Pid, struct{}{})
	k := &keeper{w: w, cmd: cmd, stop: make(chan struct{})}
	fmt.Fprintf(w, "pgid %d\nmark %s\n", t.pgid, t.mark)
	go k.report(t)
	return k
}

// report tells the keeper every second which processes loadgate adopted
// from the target.
func (k *keeper) report(t *Target) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-k.stop:
			return
		case <-tick.C:
		}
		var b strings.Builder
		b.WriteString("pids")
		for _, pid := range t.adopted() {
			if st := startTime(pid); st != "" {
				fmt.Fprintf(&b, " %d:%s", pid, st)
			}
		}
		b.WriteByte('\n')
		if _, err := k.w.WriteString(b.String()); err != nil {
			return
		}
	}
}

// close ends the keeper after the target was stopped: it then finds
// nothing left to end.
func (k *keeper) close() {
	if k == nil {
		return
	}
	close(k.stop)
	k.w.WriteString("done\n")
	k.w.Close()
	go func() { // reaped in the background; it exits within about a second
		k.cmd.Wait()
		helpers.Delete(k.cmd.Process.Pid)
	}()
}

// startTime is the process's start time in clock ticks after boot, from
// /proc/PID/stat (field 22), which tells a process from a later one that
// got its PID; "" when it has exited.
func startTime(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return ""
	}
	return f[19]
}
