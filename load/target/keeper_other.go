//go:build !linux

package target

// KeeperMain: outside Linux there is no keeper. A target's process group
// gets SIGKILL from the signal handler and Stop on every path loadgate
// survives; if loadgate itself is killed with SIGKILL, the app may outlive
// it (docs/robustness.md).
func KeeperMain() {}

type keeper struct{}

func startKeeper(*Target) *keeper { return nil }

func (*keeper) close() {}
