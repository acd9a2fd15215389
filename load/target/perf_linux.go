package target

import (
	"errors"
	"fmt"
	"sync"
	"syscall"
	"unsafe"
)

// Instructions per request would need the CPU's performance counters. On
// most cloud VMs the hypervisor exposes none ("PMU not available due to
// virtualization"), and where it does, perf_event_paranoid decides whether
// an unprivileged process may count another's. loadgate says which, and
// never reports a zero it did not count.

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
	perfTypeHardware      = 0
	perfCountHWInstr      = 1
	perfFlagDisabled      = 1 << 0
	perfFlagExcludeKernel = 1 << 5
)

var (
	instrOnce sync.Once
	instrWhy  string
)

// Instructions says whether the app's instructions could be counted here,
// and why not: "unavailable: …".
func Instructions() string {
	instrOnce.Do(func() {
		attr := perfEventAttr{Type: perfTypeHardware, Config: perfCountHWInstr, Flags: perfFlagDisabled | perfFlagExcludeKernel}
		attr.Size = uint32(unsafe.Sizeof(attr))
		fd, _, e := syscall.Syscall6(syscall.SYS_PERF_EVENT_OPEN, uintptr(unsafe.Pointer(&attr)), 0, ^uintptr(0), ^uintptr(0), 0, 0)
		if e != 0 {
			instrWhy = "unavailable: the CPU's instruction counter cannot be opened (" + perfErr(e) + ")"
			return
		}
		syscall.Close(int(fd))
		instrWhy = "unavailable: this machine has a performance counter, but loadgate does not count the app's instructions yet"
	})
	return instrWhy
}

func perfErr(e syscall.Errno) string {
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
