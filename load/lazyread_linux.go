//go:build linux && !race && !386

package load

import (
	"syscall"
	"time"
	"unsafe"
)

// Reading a response lazily. In the open model at high rates the starts
// are evenly spaced, so the generator's CPU idles between them, and every
// wake-up from idle is dear (on a virtual machine it costs more than the
// request's own work). A request used to cost two: its start's timer, and
// the arrival of its response. Yet the next start is due a fraction of a
// millisecond later, and the process wakes for it anyway. So a request
// sent with a ReadAt (the next start) is read only then: its socket's
// receive low-water mark (SO_RCVLOWAT) is raised so that the response's
// arrival wakes nobody, and its latency comes from the kernel's receive
// timestamp (SO_TIMESTAMPNS) rather than from when it was read. If the
// response is not complete at ReadAt (a slow or stalled target), the mark
// goes back to one byte, the socket is read once more (for bytes that came
// in between), and the request waits in the poller as any other. A request
// read as it arrives has the mark at one byte before it is written.

// lazyLowat is the receive low-water mark of a connection whose response
// is read lazily: more than any response that is read at once. The kernel
// caps it at half of tcp_rmem's maximum, and raises the socket's receive
// buffer to match; that is autotuning's own ceiling, so a large download
// is not slowed.
const lazyLowat = 1 << 30

// soTimestampNS is SO_TIMESTAMPNS (SO_TIMESTAMPNS_OLD): the timestamp as a
// timespec of the native word size, which syscall.Timespec is.
const soTimestampNS = 35

// canLazy reports whether this platform can read responses lazily.
const canLazy = true

// lazyPrep makes the socket's next response wake nobody and carry its
// arrival time. It is false, and the request is read as it arrives, until
// a response on this connection has come with a timestamp: the kernel
// turns timestamps on for the whole machine lazily (a deferred static
// key), so a connection's first responses may come without one, and a
// response read late without its arrival time would be measured late.
func (c *fconn) lazyPrep(fd int) bool {
	if !c.stamped {
		if syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, soTimestampNS, 1) == nil {
			c.stamped = true
		}
		return false
	}
	if !c.tsSeen {
		return false
	}
	if !c.lazy {
		if syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVLOWAT, lazyLowat) != nil {
			return false
		}
		c.lazy = true
	}
	return true
}

// wakeOnData puts the low-water mark back to one byte, before a request
// that is read as it arrives is written, or before a lazy read that found
// nothing reads once more and parks. Linux 4.18 and later also signal as
// the mark is lowered if bytes are waiting; the callers do not rely on it,
// since older kernels did not, and the edge would be lost.
func (c *fconn) wakeOnData(fd int) {
	if c.lazy {
		syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVLOWAT, 1)
		c.lazy = false
	}
}

// recvStamped reads from a stamped socket with recvmsg(2), keeping the
// receive timestamp of the latest bytes in c.arrived.
func (c *fconn) recvStamped(fd int, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.iov.Base = &p[0]
	c.iov.SetLen(len(p))
	c.msg = syscall.Msghdr{Iov: &c.iov, Iovlen: 1, Control: &c.oob[0]}
	c.msg.SetControllen(len(c.oob))
	n, err := sysRecvmsg(fd, &c.msg)
	c.iov.Base = nil // the read buffer goes back to its pool; do not hold it here
	if err != nil {
		return 0, err
	}
	if h := (*syscall.Cmsghdr)(unsafe.Pointer(&c.oob[0])); int(c.msg.Controllen) >= syscall.CmsgLen(int(unsafe.Sizeof(syscall.Timespec{}))) &&
		h.Level == syscall.SOL_SOCKET && h.Type == soTimestampNS {
		ts := (*syscall.Timespec)(unsafe.Pointer(&c.oob[syscall.CmsgLen(0)]))
		c.arrived = max(c.arrived, ts.Nano())
		c.tsSeen = true
	}
	return n, nil
}

// lazyState is what a connection keeps for lazy reads (see lazyPrep).
type lazyState struct {
	lazy    bool  // SO_RCVLOWAT is lazyLowat: arriving bytes wake nobody
	stamped bool  // SO_TIMESTAMPNS is on: reads go through recv's recvmsg
	tsSeen  bool  // a read on this connection came with a timestamp
	arrived int64 // receive time (Unix ns) of the latest bytes read, 0 none
	iov     syscall.Iovec
	msg     syscall.Msghdr
	oob     [64]byte
}

// arrivedAt turns a receive timestamp (the wall clock) into a time with
// the monotonic reading latencies are measured on: now, less how long ago
// the wall clock says the bytes arrived. A timestamp that is in the future
// or more than a minute old (the clock was stepped) counts as now.
func arrivedAt(ns int64) time.Time {
	now := time.Now()
	ago := now.Sub(time.Unix(0, ns))
	if ago < 0 || ago > time.Minute {
		return now
	}
	return now.Add(-ago)
}

// sysRecvmsg is recvmsg(2), made as sysRead is (see rawio_linux.go).
func sysRecvmsg(fd int, msg *syscall.Msghdr) (int, error) {
	n, _, e := syscall.RawSyscall(syscall.SYS_RECVMSG, uintptr(fd), uintptr(unsafe.Pointer(msg)), 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}
