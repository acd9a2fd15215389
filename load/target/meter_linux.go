package target

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/loadgate/loadgate/load/config"
)

// On Linux the app's whole process tree is measured: forked workers,
// re-parented daemons and short-lived helpers included.
//
// Where loadgate may create a cgroup v2 (root, a delegated subtree, a
// hybrid host's unified mount), the app starts inside its own: the kernel
// then counts every CPU microsecond of every process it ever had
// (cpu.stat exists whether or not the cpu controller is enabled), and its
// memory.current where the memory controller is. Elsewhere, and for
// memory without that controller, /proc is read for every process of the
// tree: the app's process group, its descendants, and what loadgate
// adopted from it.

// clkTck is USER_HZ, the unit of /proc/PID/stat's times: 100 on every
// Linux architecture.
const clkTck = 100

var cgroupSeq atomic.Int64

// cgroup is a cgroup v2 directory loadgate made for one target.
type cgroup struct {
	dir string
}

// newCgroup makes a child of loadgate's own cgroup v2, or returns nil.
func newCgroup() *cgroup {
	mnt := cgroup2Mount()
	if mnt == "" {
		return nil
	}
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil
	}
	var self string
	for _, l := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(l, "0::"); ok {
			self = p
		}
	}
	if self == "" {
		return nil
	}
	dir := filepath.Join(mnt, filepath.Clean("/"+self), fmt.Sprintf("loadgate-%d-%d", os.Getpid(), cgroupSeq.Add(1)))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, "cpu.stat")); err != nil {
		os.Remove(dir)
		return nil
	}
	return &cgroup{dir: dir}
}

// cgroup2Mount is where the cgroup v2 hierarchy is mounted, or "".
func cgroup2Mount() string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS
		l := sc.Text()
		i := strings.Index(l, " - ")
		if i < 0 {
			continue
		}
		f := strings.Fields(l[:i])
		t := strings.Fields(l[i+3:])
		if len(f) >= 5 && len(t) >= 1 && t[0] == "cgroup2" && f[3] == "/" {
			return f[4]
		}
	}
	return ""
}

// open returns a descriptor for SysProcAttr.CgroupFD: the child is
// created inside the cgroup (clone3's CLONE_INTO_CGROUP), so not even its
// first instruction runs outside.
func (c *cgroup) open() (int, error) {
	return syscall.Open(c.dir, syscall.O_DIRECTORY|syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
}

// remove deletes the cgroup once its processes are gone.
func (c *cgroup) remove() {
	if c != nil {
		_ = os.Remove(c.dir)
	}
}

// startMetered starts the target in a new cgroup when it can, else as is
// (a kernel before 5.7 has no clone3 into a cgroup).
func startMetered(spec *config.StartSpec, logPath string, attr *syscall.SysProcAttr, mark string) (*exec.Cmd, string, *cgroup, error) {
	if cg := newCgroup(); cg != nil {
		if fd, err := cg.open(); err == nil {
			in := *attr
			in.UseCgroupFD, in.CgroupFD = true, fd
			cmd, log, err := startCommand(spec, logPath, "/", &in, mark)
			syscall.Close(fd)
			if err == nil {
				return cmd, log, cg, nil
			}
			var te *TargetError
			if errors.As(err, &te) && strings.Contains(te.Msg, "already in use") {
				cg.remove()
				return nil, "", nil, err
			}
		}
		cg.remove()
	}
	cmd, log, err := startCommand(spec, logPath, "/", attr, mark)
	return cmd, log, nil, err
}

// Meter returns how the app's CPU and memory are read on this system.
// LOADGATE_APP_METER=proc reads /proc even where a cgroup was made: to
// compare the two, or to step around a cgroup setup that misreports.
func (t *Target) Meter() (Meter, error) {
	if t.cg != nil && os.Getenv("LOADGATE_APP_METER") != "proc" {
		return &cgroupMeter{t: t}, nil
	}
	return &procMeter{t: t}, nil
}

// cgroupMeter reads the target's own cgroup.
type cgroupMeter struct{ t *Target }

func (m *cgroupMeter) instructions() (float64, error) { return m.t.instructions() }

func (m *procMeter) instructions() (float64, error) { return m.t.instructions() }

// instructions is the tree's count of instructions so far.
func (t *Target) instructions() (float64, error) {
	if t.instr == nil {
		return 0, errors.New(t.instrWhy)
	}
	return t.instr.read()
}

func (m *cgroupMeter) Source() string { return "cgroup" }

func (m *cgroupMeter) Read(context.Context) (float64, int64, int, error) {
	b, err := os.ReadFile(filepath.Join(m.t.cg.dir, "cpu.stat"))
	if err != nil {
		return 0, 0, 0, err
	}
	var usec int64 = -1
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "usage_usec "); ok {
			usec, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	if usec < 0 {
		return 0, 0, 0, errors.New("cpu.stat has no usage_usec")
	}
	pids := m.pids()
	var rss int64
	if b, err := os.ReadFile(filepath.Join(m.t.cg.dir, "memory.current")); err == nil {
		rss, _ = strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	} else {
		for _, pid := range pids {
			if st, ok := readStat(pid); ok {
				rss += st.rss
			}
		}
	}
	return float64(usec) / 1e6, rss, len(pids), nil
}

func (m *cgroupMeter) pids() []int {
	b, _ := os.ReadFile(filepath.Join(m.t.cg.dir, "cgroup.procs"))
	var out []int
	for _, f := range strings.Fields(string(b)) {
		if pid, err := strconv.Atoi(f); err == nil {
			out = append(out, pid)
		}
	}
	return out
}

// procMeter sums /proc over the target's process tree.
type procMeter struct{ t *Target }

func (m *procMeter) Source() string { return "proc" }

func (m *procMeter) Read(context.Context) (float64, int64, int, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0, 0, 0, err
	}
	stats := map[int]procStatT{}
	kids := map[int][]int{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, ok := readStat(pid); ok {
			stats[pid] = st
			kids[st.ppid] = append(kids[st.ppid], pid)
		}
	}
	root := m.t.pgid
	seen := map[int]bool{}
	queue := []int{root}
	for pid, st := range stats {
		if st.pgrp == root {
			queue = append(queue, pid)
		}
	}
	queue = append(queue, m.t.adopted()...)
	var ticks, pages int64
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		st, ok := stats[pid]
		if !ok || seen[pid] {
			continue
		}
		seen[pid] = true
		ticks += st.ticks
		pages += st.rss
		queue = append(queue, kids[pid]...)
	}
	if len(seen) == 0 {
		return 0, 0, 0, errors.New("the app's processes are gone")
	}
	return float64(ticks) / clkTck, pages, len(seen), nil
}
