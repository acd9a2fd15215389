// Command loadgate makes performance a CI gate: it runs a weighted HTTP
// workload for a fixed time, measures latency percentiles, throughput and
// failures, checks them against thresholds and a baseline, writes reports
// and sets the exit code. Everything but the entry point lives in
// internal/cli (see docs/architecture.md).
package main

import (
	"os"

	"github.com/loadgate/loadgate/internal/cli"
)

// version is stamped by release builds: -ldflags "-X main.version=1.2.3".
var version string

func main() {
	os.Exit(cli.Main(version, os.Args[1:]))
}
