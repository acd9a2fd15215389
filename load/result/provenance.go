package result

import (
	"bufio"
	"os"
	"runtime"
	"strings"
)

// CPUModel reads the processor model, so a comparison can warn when a
// baseline was measured on a different CPU.
func CPUModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// NumCPU is the number of CPUs this process may use.
func NumCPU() int { return runtime.NumCPU() }

// GoVersion is the Go version loadgate was built with.
func GoVersion() string { return runtime.Version() }

// RunnerOS is GitHub's RUNNER_OS when set, else the OS in the same spelling.
func RunnerOS(runnerOS string) string {
	if runnerOS != "" {
		return runnerOS
	}
	switch runtime.GOOS {
	case "linux":
		return "Linux"
	case "darwin":
		return "macOS"
	case "windows":
		return "Windows"
	}
	return runtime.GOOS
}
