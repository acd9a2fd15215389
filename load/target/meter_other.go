//go:build !linux

package target

import (
	"errors"
	"os/exec"
	"runtime"
	"syscall"

	"github.com/loadgate/loadgate/load/config"
)

// cgroup exists on Linux only.
type cgroup struct{}

func (*cgroup) remove() {}

// startMetered starts the target as is: only Linux gives loadgate a way to
// read a process tree's CPU and memory without privileges.
func startMetered(spec *config.StartSpec, logPath string, attr *syscall.SysProcAttr, mark string) (*exec.Cmd, string, *cgroup, error) {
	cmd, log, err := startCommand(spec, logPath, "/", attr, mark)
	return cmd, log, nil, err
}

// Meter: outside Linux a started app's whole tree cannot be read; an app
// that exports its process metrics can be (target.metrics).
func (t *Target) Meter() (Meter, error) {
	return nil, errors.New("loadgate reads a started app's CPU and memory on Linux only (here: " + runtime.GOOS + "); give target.metrics, the app's Prometheus metrics, instead")
}
