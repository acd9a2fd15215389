package target

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"unsafe"
)

// Instructions per request come from the CPU's performance counters,
// through perf_event_open. On most cloud VMs the hypervisor exposes none
// ("PMU not available due to virtualization"), and where it does,
// perf_event_paranoid decides whether loadgate may count another process;
// loadgate then says why, and never reports a zero it did not count.
//
// Two ways to count the app's whole tree:
//   - its cgroup (meter_linux.go): one counter per CPU, counting whatever
//     process of the cgroup runs there, those that were there before the
//     counter was opened included. It needs CAP_PERFMON, or
//     perf_event_paranoid ≤ 0.
//   - its first process, with inherit: every process it forks from then on
//     is counted too, the counts of those that ended included. Allowed to
//     an unprivileged user (paranoid ≤ 2) for its own processes.
//
// Only user-space instructions are counted (the only ones an unprivileged
// counter may see), so both ways count the same thing: the app's own code
// and its libraries, not the kernel's work for it.

// perfEventAttr is the head of struct perf_event_attr (PERF_ATTR_SIZE_VER0).
type perfEventAttr struct {
	Type, Size   uint32
	Config       uint64
	SamplePeriod uint64
	SampleType   uint64
	ReadFormat   uint64
	Flags        uint64
	WakeupEvents uint32
	BpType       uint32
	BpAddr       uint64
}

const (
	perfTypeHardware = 0
	perfTypeSoftware = 1
	perfCountHWInstr = 1
	perfCountSWTask  = 1 // task-clock, in nanoseconds

	perfFlagInherit       = 1 << 1
	perfFlagExcludeKernel = 1 << 5
	perfFlagExcludeHV     = 1 << 6

	perfFormatEnabled = 1 << 0 // PERF_FORMAT_TOTAL_TIME_ENABLED
	perfFormatRunning = 1 << 1 // PERF_FORMAT_TOTAL_TIME_RUNNING

	perfFlagPidCgroup = 1 << 2 // PERF_FLAG_PID_CGROUP
	perfFlagCloexec   = 1 << 3 // PERF_FLAG_FD_CLOEXEC
)

// perfEvent is what a counter counts.
type perfEvent struct {
	typ    uint32
	config uint64
}

// instrEvent is the event behind instructions per request: retired
// instructions. The tests count the software task clock instead, which
// every Linux has and which /proc can check.
var instrEvent = perfEvent{perfTypeHardware, perfCountHWInstr}

// perfCounter counts one event over the app's tree.
type perfCounter struct {
	mu  sync.Mutex
	fds []int
}

// countInstructions opens the app's instruction counter: over its cgroup
// where there is one and that is permitted, else over its first process
// and what it forks. The string says why nothing is counted (nil counter).
func countInstructions(cg *cgroup, pid int) (*perfCounter, string) {
	var cgErr error
	if cg != nil {
		c, err := countCgroup(instrEvent, cg)
		if err == nil {
			return c, ""
		}
		cgErr = err
	}
	c, err := countTree(instrEvent, pid)
	if err != nil {
		// No PMU is the cause that matters, whichever way found it.
		if errors.Is(cgErr, syscall.ENOENT) || errors.Is(cgErr, syscall.EOPNOTSUPP) {
			err = cgErr
		}
		return nil, "the CPU's instruction counter cannot be opened (" + perfErr(err) + ")"
	}
	return c, ""
}

func perfOpen(ev perfEvent, pid, cpu int, flags, attrFlags uint64) (int, error) {
	attr := perfEventAttr{Type: ev.typ, Config: ev.config, ReadFormat: perfFormatEnabled | perfFormatRunning,
		Flags: attrFlags | perfFlagExcludeKernel | perfFlagExcludeHV}
	attr.Size = uint32(unsafe.Sizeof(attr))
	fd, _, e := syscall.Syscall6(syscall.SYS_PERF_EVENT_OPEN, uintptr(unsafe.Pointer(&attr)), uintptr(pid),
		uintptr(cpu), ^uintptr(0), uintptr(flags|perfFlagCloexec), 0)
	if e != 0 {
		return -1, e
	}
	return int(fd), nil
}

// countCgroup opens one counter per online CPU for cg's processes.
func countCgroup(ev perfEvent, cg *cgroup) (*perfCounter, error) {
	cpus, err := onlineCPUs()
	if err != nil {
		return nil, err
	}
	dir, err := cg.open()
	if err != nil {
		return nil, err
	}
	defer syscall.Close(dir)
	c := &perfCounter{}
	for _, cpu := range cpus {
		fd, err := perfOpen(ev, dir, cpu, perfFlagPidCgroup, 0)
		if err != nil {
			c.close()
			return nil, err
		}
		c.fds = append(c.fds, fd)
	}
	return c, nil
}

// countTree opens a counter of pid inherited by what it forks from now on.
func countTree(ev perfEvent, pid int) (*perfCounter, error) {
	fd, err := perfOpen(ev, pid, -1, 0, perfFlagInherit)
	if err != nil {
		return nil, err
	}
	return &perfCounter{fds: []int{fd}}, nil
}

// read returns the count so far. A counter the kernel had to share with
// others (more events than the CPU has counters) ran only part of the
// time and is scaled up, as perf stat does; one that never ran is an
// error, not a zero.
func (c *perfCounter) read() (float64, error) {
	if c == nil {
		return 0, errors.New("not counted")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.fds) == 0 {
		return 0, errors.New("the performance counter is closed")
	}
	var sum float64
	var b [24]byte
	for _, fd := range c.fds {
		n, err := syscall.Read(fd, b[:])
		if err != nil || n != len(b) {
			return 0, fmt.Errorf("reading a performance counter: %d bytes, %v", n, err)
		}
		v, enabled, running := binary.LittleEndian.Uint64(b[:]), binary.LittleEndian.Uint64(b[8:]), binary.LittleEndian.Uint64(b[16:])
		switch {
		case running == 0 && enabled > 0:
			return 0, errors.New("the performance counter never got a hardware counter (all taken)")
		case running < enabled:
			sum += float64(v) * float64(enabled) / float64(running)
		default:
			sum += float64(v)
		}
	}
	return sum, nil
}

func (c *perfCounter) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, fd := range c.fds {
		syscall.Close(fd)
	}
	c.fds = nil
}

// onlineCPUs lists the CPUs /sys/devices/system/cpu/online names.
func onlineCPUs() ([]int, error) {
	b, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		return nil, err
	}
	return parseCPUList(string(b))
}

// parseCPUList parses a kernel CPU list: "0-3,6".
func parseCPUList(b string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(strings.TrimSpace(b), ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err1 := strconv.Atoi(lo)
		z := a
		var err2 error
		if isRange {
			z, err2 = strconv.Atoi(hi)
		}
		if err1 != nil || err2 != nil || z < a || z-a > 4096 {
			return nil, fmt.Errorf("/sys/devices/system/cpu/online: %q", b)
		}
		for cpu := a; cpu <= z; cpu++ {
			out = append(out, cpu)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("/sys/devices/system/cpu/online lists no CPU")
	}
	return out, nil
}

func perfErr(err error) string {
	var e syscall.Errno
	if !errors.As(err, &e) {
		return err.Error()
	}
	switch {
	case errors.Is(e, syscall.ENOENT), errors.Is(e, syscall.EOPNOTSUPP):
		return "no hardware performance counters: a virtual machine without a PMU"
	case errors.Is(e, syscall.EACCES), errors.Is(e, syscall.EPERM):
		return "not permitted: see /proc/sys/kernel/perf_event_paranoid"
	case errors.Is(e, syscall.ENOSYS):
		return "the kernel has no perf_event_open"
	}
	return fmt.Sprintf("perf_event_open: %v", e)
}
