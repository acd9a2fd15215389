package cli

import (
	"os"
	"runtime/pprof"
)

// stopProfile ends a CPU profile started by startProfile; os.Exit skips
// deferred calls, so main calls it explicitly.
var stopProfile = func() {}

// startProfile writes a CPU profile of the whole run to path when
// LOADGATE_CPUPROFILE is set: how loadgate's own cost is measured (see
// docs/performance.md).
func startProfile(path string) func() {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		return func() {}
	}
	if pprof.StartCPUProfile(f) != nil {
		f.Close()
		return func() {}
	}
	stopProfile = func() {
		pprof.StopCPUProfile()
		f.Close()
		stopProfile = func() {}
	}
	return stopProfile
}
