//go:build !linux

package load

import "syscall"

// setPdeathsig has no equivalent outside Linux; Stop and the signal handler
// still end the process group on every normal path.
func setPdeathsig(*syscall.SysProcAttr) {}
