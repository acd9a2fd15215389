// Command loadgate makes performance a CI gate: it runs a weighted HTTP
// workload for a fixed time, measures latency percentiles, throughput and
// failures, checks them against thresholds and a baseline, writes reports
// and sets the exit code.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/loadgate/loadgate/load/result"
	"github.com/loadgate/loadgate/load/secret"
	"github.com/loadgate/loadgate/load/target"
)

var version = "0.1.0"

// Exit codes (CONTRACT §3).
const (
	exitPass         = 0
	exitFail         = 1
	exitUsage        = 2
	exitTarget       = 3
	exitInconclusive = 4
	exitInterrupted  = 130
)

// environment is everything a command reads from or writes to the outside,
// injected so tests can run commands in-process.
type environment struct {
	getenv     func(string) string
	stdout     io.Writer
	stderr     io.Writer
	stderrTTY  bool
	stopTarget func()
}

func (e *environment) get(k string) string { return e.getenv(k) }

func (e *environment) lookup(k string) (string, bool) {
	v := e.getenv(k)
	if v == "" {
		return os.LookupEnv(k)
	}
	return v, true
}

func main() {
	e := &environment{getenv: os.Getenv, stdout: os.Stdout, stderr: os.Stderr, stderrTTY: isTTY(os.Stderr)}
	// Daemons the app under test forks off are adopted by loadgate rather
	// than by PID 1, so that stopping the app ends them too (load/target_linux.go).
	target.AdoptOrphans()
	defer startProfile(os.Getenv("LOADGATE_CPUPROFILE"))()
	ctx, stop := signalContext(e)
	defer stop()
	code := run(ctx, os.Args[1:], e)
	stop()
	stopProfile()
	os.Exit(code)
}

// signalContext cancels on the first SIGINT/SIGTERM (the run then writes its
// partial reports) and exits at once on the second.
func signalContext(e *environment) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		n := 0
		for range ch {
			n++
			if n == 1 {
				fmt.Fprintln(e.stderr, "loadgate: interrupted; writing partial results (signal again to quit now)")
				cancel()
				continue
			}
			if e.stopTarget != nil {
				e.stopTarget()
			}
			os.Exit(exitInterrupted)
		}
	}()
	return ctx, func() { signal.Stop(ch); cancel() }
}

// run dispatches a command line and returns the exit code.
func run(ctx context.Context, args []string, e *environment) int {
	cmd := "run"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	var err error
	var code int
	switch cmd {
	case "run":
		code, err = cmdRun(ctx, args, e)
	case "validate":
		code, err = cmdValidate(args, e)
	case "demo":
		code, err = cmdDemo(ctx, args, e)
	case "compare":
		code, err = cmdCompare(args, e)
	case "ab":
		code, err = cmdAB(ctx, args, e)
	case "merge":
		code, err = cmdMerge(args, e)
	case "report":
		code, err = cmdReport(args, e)
	case "version":
		fmt.Fprintf(e.stdout, "loadgate %s (%s)\n", version, result.GoVersion())
		return exitPass
	case "help", "-h", "--help":
		fmt.Fprint(e.stdout, usageText)
		return exitPass
	default:
		err = usagef("unknown command %q\n\n%s", cmd, usageText)
	}
	var help *helpRequested
	if errors.As(err, &help) {
		fmt.Fprint(e.stdout, usageText)
		if cmd != "run" { // the usage text lists run's own flags
			fmt.Fprintf(e.stdout, "\nFlags of %s:\n", cmd)
			printFlags(e.stdout, help.fs)
		}
		return exitPass
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "loadgate: %v\n", secret.Redact(err.Error()))
		return exitCodeFor(err)
	}
	return code
}

// exitCodeFor maps an error to its exit code.
func exitCodeFor(err error) int {
	var te *target.TargetError
	switch {
	case errors.As(err, &te):
		return exitTarget
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case isConfigError(err):
		return exitUsage
	}
	return exitUsage
}

func isTTY(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

const usageText = `loadgate — performance as a CI gate

Usage:
  loadgate [run] [-c loadgate.yml] [flags]          run the workload, gate it, report
  loadgate validate [-c FILE]                       check a config, run nothing
  loadgate compare BASE.json NEW.json [-c FILE]     gate one stored result against another
  loadgate merge [-c FILE] -o OUT.json SHARD.json…  exact merge of shards, then the gate
  loadgate ab [-c FILE] --base-dir DIR --head-dir DIR [--rounds 6] [--round-duration 10s]
                                                    same-runner A/B of two builds of the app
  loadgate report RESULT.json… [--html FILE] [--summary FILE]
                                                    render stored results (several: a trend)
  loadgate demo [--serve ADDR] [--slowdown F]       built-in demo app and workload
  loadgate version

Run flags (each also LOADGATE_<NAME> in the environment; flags win):
  -c, --config FILE       config file (default loadgate.yml)
  -H, --host URL          override target.url
      --url URL           no config: one GET task on URL
      --arrival-rate R    open model, e.g. 500/s
  -u, --users N           override load.users
  -r, --spawn-rate N      users started per second
  -t, --duration D        measured time (30s, 2m)
      --baseline FILE     compare against this result or baseline artifact
      --save-baseline F   append this run to a baseline artifact
      --force             compare even when the baseline's workload differs
      --out FILE          write the result JSON
      --summary FILE      write the Markdown report (default: $GITHUB_STEP_SUMMARY)
      --csv PREFIX        Locust-compatible CSV files
      --junit FILE        JUnit XML, one test case per check
      --html FILE         self-contained HTML report
      --web [ADDR]        live dashboard (default 127.0.0.1:8089); --web-keep keeps it
      --shard I/N         run shard I of N
      --start-at TIME     wait until this RFC 3339 time before starting
  -q, --quiet             no live progress

Exit codes: 0 pass, 1 a check failed, 2 usage/config error, 3 target failed,
4 inconclusive (opt-in), 130 interrupted.
`
