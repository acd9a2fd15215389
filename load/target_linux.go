package load

import "syscall"

// setPdeathsig asks Linux to SIGKILL the child if loadgate dies without
// stopping it (a panic, a SIGKILL from the runner): the app never outlives us.
func setPdeathsig(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
