//go:build linux && !race

package httpc

import (
	"syscall"
	"unsafe"
)

// sysWrite and sysRead are write(2) and read(2) on a non-blocking socket,
// made without telling the scheduler a system call is under way
// (RawSyscall). They cannot block, so there is no thread to hand the CPU
// to; and with the generator idle between responses, every scheduler-
// visible system call would also wake the runtime's monitor thread
// (sysmon), a futex wake-up and two context switches per request.
func sysWrite(fd int, p []byte) (int, error) {
	return rawIO(syscall.SYS_WRITE, fd, p)
}

func sysRead(fd int, p []byte) (int, error) {
	return rawIO(syscall.SYS_READ, fd, p)
}

func rawIO(trap uintptr, fd int, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, _, e := syscall.RawSyscall(trap, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}
