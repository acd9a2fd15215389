package target

import (
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
)

// setPdeathsig asks Linux to SIGKILL the child if loadgate dies without
// stopping it (a panic, a SIGKILL from the runner): the app never outlives us.
func setPdeathsig(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }

// A daemon that forks, lets its parent exit and rewrites its process title
// (nginx, redis, gunicorn with setproctitle) leaves the app's process group,
// and the title overwrites the environment that held the target's mark
// (target_strays.go). Orphaned, it would be adopted by PID 1 and outlive
// loadgate. As the subreaper of its children, loadgate adopts such orphans
// itself, and Stop ends whatever it has adopted.

// prSetChildSubreaper is PR_SET_CHILD_SUBREAPER from <linux/prctl.h>.
const prSetChildSubreaper = 36

var (
	subreaper atomic.Bool
	// leaders are the live targets' own pids: children loadgate started,
	// which os/exec waits for, as opposed to orphans it adopted.
	leaders sync.Map // pid → struct{}
)

// AdoptOrphans makes this process adopt the orphaned descendants of the
// apps it starts, so that Stop can end them. Only the loadgate command
// calls it: in a process that starts other children (a test binary), Stop
// could not tell an adopted daemon from a child of its own.
func AdoptOrphans() {
	if _, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); e == 0 {
		subreaper.Store(true)
	}
}

// helpers are loadgate's own children that are not an app's (keepers):
// never counted as adopted from an app, and waited for by os/exec.
var helpers sync.Map

func addLeader(pid int)    { leaders.Store(pid, struct{}{}) }
func removeLeader(pid int) { leaders.Delete(pid) }

// adopted lists the live processes loadgate adopted from t, and their
// descendants: children of loadgate that are not a target it started.
// With another target still running, nothing is listed, because an orphan
// cannot be told apart by its app.
func (t *Target) adopted() []int {
	if !subreaper.Load() {
		return nil
	}
	others := false
	leaders.Range(func(k, _ any) bool {
		others = others || k.(int) != t.pgid
		return !others
	})
	if others {
		return nil
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	kids := map[int][]int{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if state, _, ppid := procStat(pid); state != "" && state != "Z" && state != "X" {
			kids[ppid] = append(kids[ppid], pid)
		}
	}
	var out []int
	queue := []int{}
	for _, pid := range kids[self] {
		_, leader := leaders.Load(pid)
		_, helper := helpers.Load(pid)
		if !leader && !helper {
			queue = append(queue, pid)
		}
	}
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		out = append(out, pid)
		queue = append(queue, kids[pid]...)
	}
	return out
}

// reapAdopted collects the exit status of adopted orphans that have ended,
// so they do not stay zombies until loadgate exits (an A/B run starts many
// targets). Leaders are left to os/exec, which waits for them.
func reapAdopted() {
	if !subreaper.Load() {
		return
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	self := os.Getpid()
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if state, _, ppid := procStat(pid); state == "Z" && ppid == self {
			_, leader := leaders.Load(pid)
			_, helper := helpers.Load(pid)
			if !leader && !helper {
				var ws syscall.WaitStatus
				_, _ = syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
			}
		}
	}
}
