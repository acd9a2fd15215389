//go:build !windows

package target

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// An app may start processes that leave its process group: a daemon that
// calls setsid, a supervisor that puts its workers in sessions of their
// own. Ending the group misses them, and they would outlive loadgate,
// holding the port the next run needs. Every process the app starts
// inherits its environment, setsid or not, so loadgate puts a mark there,
// unique to this target, and Stop ends every process that still carries it
// (Jenkins finds a build's stray processes the same way). Without /proc
// (macOS) nothing is found, and Stop ends the process group alone.

// markVar is the environment variable that carries the mark.
const markVar = "LOADGATE_TARGET_MARK"

// newMark returns NAME=VALUE unique to one target of one loadgate process.
func newMark() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s=%d-%x", markVar, os.Getpid(), b)
}

// strays lists the live processes with t's mark outside its process group.
func (t *Target) strays() []int { return markedPids(t.mark, t.pgid) }

// stopStrays waits until deadline for every process with t's mark, and
// every orphan loadgate adopted from it (target_linux.go), to end (they
// had SIGTERM with the group), then SIGKILLs those still running and waits
// up to a second more for them to be gone, so that the port they held is
// free when Stop returns (the next run or A/B round binds it).
func (t *Target) stopStrays(deadline time.Time) {
	defer reapAdopted()
	killed := false
	for {
		left := append(markedPids(t.mark, 0), t.adopted()...)
		if len(left) == 0 {
			return
		}
		if !time.Now().Before(deadline) {
			if killed {
				return // stuck in the kernel: Stop must not hang
			}
			signalPids(left, syscall.SIGKILL)
			killed, deadline = true, time.Now().Add(time.Second)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func signalPids(pids []int, sig syscall.Signal) {
	for _, p := range pids {
		_ = syscall.Kill(p, sig)
	}
}

// markedPids returns the processes, other than loadgate itself, whose
// environment holds mark and that are neither zombies nor members of
// process group skipGroup (0: skip none). A zombie's environment reads
// empty, so it is never listed.
func markedPids(mark string, skipGroup int) []int {
	if mark == "" {
		return nil
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	needle := []byte("\x00" + mark + "\x00")
	self := os.Getpid()
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil || len(env) == 0 {
			continue // another user's, or exited meanwhile
		}
		// Entries end in NUL; bound the first and last one too.
		env = append(append([]byte{0}, env...), 0)
		if !bytes.Contains(env, needle) {
			continue
		}
		if _, g, _ := procStat(pid); skipGroup != 0 && g == skipGroup {
			continue
		}
		out = append(out, pid)
	}
	return out
}

// procStat is pid's state, process group and parent from /proc ("", 0, 0
// when it has exited or there is no procfs).
func procStat(pid int) (state string, pgrp, ppid int) {
	st, ok := readStat(pid)
	if !ok {
		return "", 0, 0
	}
	return st.state, st.pgrp, st.ppid
}

// procStatT is what loadgate reads of /proc/PID/stat: to find the
// processes of a tree, and to meter them (meter_linux.go).
type procStatT struct {
	state      string
	ppid, pgrp int
	ticks      int64 // utime+stime+cutime+cstime: its own CPU and its reaped children's
	rss        int64 // bytes
}

var pageSize = int64(os.Getpagesize())

// readStat parses /proc/PID/stat; comm may hold spaces and ')'.
func readStat(pid int) (procStatT, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStatT{}, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStatT{}, false
	}
	// After comm: state(0) ppid(1) pgrp(2) … utime(11) stime(12) cutime(13) cstime(14) … rss(21)
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 22 || f[0] == "X" {
		return procStatT{}, false
	}
	n := func(k int) int64 { v, _ := strconv.ParseInt(f[k], 10, 64); return v }
	st := procStatT{state: f[0], ppid: int(n(1)), pgrp: int(n(2)), ticks: n(11) + n(12) + n(13) + n(14)}
	if f[0] != "Z" {
		st.rss = n(21) * pageSize
	}
	return st, true
}
