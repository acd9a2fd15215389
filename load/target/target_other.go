//go:build !linux

package target

import "syscall"

// setPdeathsig has no equivalent outside Linux; Stop and the signal handler
// still end the process group on every normal path.
func setPdeathsig(*syscall.SysProcAttr) {}

// AdoptOrphans: outside Linux there is no subreaper; Stop ends the process
// group and, where /proc exists, the processes with the target's mark.
func AdoptOrphans() {}

func addLeader(int)    {}
func removeLeader(int) {}
func reapAdopted()     {}
