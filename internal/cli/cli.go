// Package cli is loadgate's command line: the command table, the flag
// table, exit codes, the run pipeline and its outputs. Package main only
// calls Main.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/loadgate/loadgate/load/result"
	"github.com/loadgate/loadgate/load/secret"
	"github.com/loadgate/loadgate/load/target"
)

var version = "0.1.0"

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

// Main runs loadgate with the command line's arguments (without the
// program name) and returns the process exit code. v, when set, is the
// release's version (stamped into package main by the linker).
func Main(v string, args []string) int {
	target.KeeperMain() // a keeper of a started app runs only that
	if v != "" {
		version = v
	}
	e := &environment{getenv: os.Getenv, stdout: os.Stdout, stderr: os.Stderr, stderrTTY: isTTY(os.Stderr)}
	// Daemons the app under test forks off are adopted by loadgate rather
	// than by PID 1, so that stopping the app ends them too.
	target.AdoptOrphans()
	defer startProfile(os.Getenv("LOADGATE_CPUPROFILE"))()
	ctx, stop := signalContext(e)
	defer stop()
	code := run(ctx, args, e)
	stop()
	stopProfile()
	return code
}

// signalContext cancels on the first SIGINT, SIGTERM or SIGHUP (a closed
// terminal or CI session ends a run as an interrupt does; the run then writes its
// partial reports) and exits at once on the second.
func signalContext(e *environment) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
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

// command is one row of the command table: its name, its synopsis for
// the usage text, and what it runs.
type command struct {
	name, synopsis string
	run            func(ctx context.Context, args []string, e *environment) error
}

// commands is the one table of loadgate's commands, in the order the usage
// text lists them. run is the default when the first argument is a flag.
var commands = []command{
	{"run", "[run] [-c loadgate.yml] [flags]          run the workload, gate it, report", cmdRun},
	{"validate", "validate [-c FILE]                       check a config, run nothing", cmdValidate},
	{"compare", "compare BASE.json NEW.json [-c FILE]     gate one stored result against another", cmdCompare},
	{"merge", "merge [-c FILE] -o OUT.json SHARD.json…  exact merge of shards, then the gate", cmdMerge},
	{"ab", "ab [-c FILE] --base-dir DIR --head-dir DIR [--rounds 6] [--round-duration 10s]\n" +
		"                                                    same-runner A/B of two builds of the app", cmdAB},
	{"report", "report RESULT.json… [--html FILE] [--summary FILE]\n" +
		"                                                    render stored results (several: a trend)", cmdReport},
	{"comment", "comment RESULT.json…                     post or update the pull request's comment", cmdComment},
	{"history", "history [add] --file H [RESULT.json…] [--summary F] [--html F] [--fail-on-change]\n" +
		"                                                    keep runs; find change points over them", cmdHistory},
	{"init", "init [-c FILE] [--url URL | --openapi URL|FILE | --har FILE] [--force]\n" +
		"                                                    write a commented starting loadgate.yml", cmdInit},
	{"demo", "demo [--serve ADDR] [--slowdown F]       built-in demo app and workload", cmdDemo},
	{"schema", "schema                                  print the JSON Schema of loadgate.yml", cmdSchema},
	{"version", "version", cmdVersion},
}

func cmdVersion(_ context.Context, _ []string, e *environment) error {
	fmt.Fprintf(e.stdout, "loadgate %s (%s)\n", version, result.GoVersion())
	return nil
}

// run dispatches a command line and returns the exit code.
func run(ctx context.Context, args []string, e *environment) int {
	name := "run"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		name, args = args[0], args[1:]
	}
	if e.get("GITHUB_ACTIONS") == "true" {
		// Every secret, in every form, is masked in the job log as soon as
		// it is known: a token extracted mid-run before anything prints it.
		var mu sync.Mutex
		secret.OnAdd(func(v string) {
			mu.Lock()
			defer mu.Unlock()
			// GitHub masks line by line: a multi-line secret (a PEM key) is
			// masked one line at a time, each escaped as workflow commands are.
			for _, l := range strings.Split(v, "\n") {
				if l = strings.TrimSpace(l); l != "" {
					fmt.Fprintf(e.stdout, "::add-mask::%s\n", escapeCommand(l))
				}
			}
		})
		defer secret.OnAdd(nil)
	}
	var err error
	switch i := slices.IndexFunc(commands, func(c command) bool { return c.name == name }); {
	case i >= 0:
		err = commands[i].run(ctx, args, e)
	case name == "help" || name == "-h" || name == "--help":
		fmt.Fprint(e.stdout, usageText())
		return exitPass
	default:
		err = usagef("unknown command %q\n\n%s", name, usageText())
	}
	var help *helpRequested
	if errors.As(err, &help) {
		fmt.Fprint(e.stdout, usageText())
		if name != "run" { // the usage text lists run's own flags
			fmt.Fprintf(e.stdout, "\nFlags of %s:\n", name)
			printFlags(e.stdout, help.fs)
		}
		return exitPass
	}
	if msg := errorText(err); msg != "" {
		fmt.Fprintf(e.stderr, "loadgate: %s\n", msg)
	}
	return exitCodeFor(err)
}

// errorText is an error as loadgate prints it: secrets masked, and one
// line per line of the message, none of which can start a workflow command.
func errorText(err error) string {
	if err == nil {
		return ""
	}
	lines := strings.Split(secret.Redact(err.Error()), "\n")
	for i, l := range lines {
		lines[i] = annotation(l)
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// usageText is the help: the command table, then run's flags from the
// flag table.
func usageText() string {
	var b strings.Builder
	b.WriteString("loadgate — performance as a CI gate\n\nUsage:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  loadgate %s\n", c.synopsis)
	}
	b.WriteString("\nRun flags (each also LOADGATE_<NAME> in the environment; flags win):\n")
	fs, _, _ := newRunFlagSet("run", func(string) string { return "" }, io.Discard)
	printFlags(&b, fs)
	b.WriteString(exitCodesText)
	return b.String()
}

func isTTY(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// exitCodesText ends the usage text.
const exitCodesText = `
Exit codes: 0 pass, 1 a check failed, 2 usage/config error, 3 target failed,
4 inconclusive (opt-in), 130 interrupted.
`

// escapeCommand escapes a workflow command's value as GitHub's toolkit does.
func escapeCommand(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}
