//go:build unix && (!linux || race)

package httpc

import "syscall"

// sysWrite and sysRead: the ordinary system call wrappers, on Unix systems
// other than Linux and in race-detector builds (their hooks tell the race
// detector that a read on a socket follows the peer's write; without them
// every test that checks state set by a handler reports a false race).
func sysWrite(fd int, p []byte) (int, error) { return syscall.Write(fd, p) }

func sysRead(fd int, p []byte) (int, error) { return syscall.Read(fd, p) }
