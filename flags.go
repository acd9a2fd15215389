package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/loadgate/loadgate/report"
)

// runFlags are the flags of `run` (CONTRACT §2). Each can also be set as
// LOADGATE_<NAME> in the environment; a flag on the command line wins.
type runFlags struct {
	Config       string  `env:"CONFIG"`
	Host         string  `env:"HOST"`
	URL          string  `env:"URL"`
	ArrivalRate  string  `env:"ARRIVAL_RATE"`
	Users        int     `env:"USERS"`
	SpawnRate    float64 `env:"SPAWN_RATE"`
	Duration     string  `env:"DURATION"`
	Baseline     string  `env:"BASELINE"`
	SaveBaseline string  `env:"SAVE_BASELINE"`
	Out          string  `env:"OUT"`
	Summary      string  `env:"SUMMARY"`
	CSV          string  `env:"CSV"`
	JUnit        string  `env:"JUNIT"`
	HTML         string  `env:"HTML"`
	Shard        string  `env:"SHARD"`
	StartAt      string  `env:"START_AT"`
	Force        bool    `env:"FORCE"`
	Quiet        bool    `env:"QUIET"`
	Web          string  `env:"WEB"`      // live dashboard address; see webAddr
	WebKeep      bool    `env:"WEB_KEEP"` // keep the dashboard after the run

	set map[string]bool // flags given on the command line or in the environment
}

// usageError is a mistake on the command line: exit 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// newRunFlagSet binds the run flags, with defaults from the environment.
func newRunFlagSet(name string, getenv func(string) string, stderr io.Writer) (*flag.FlagSet, *runFlags, error) {
	f := &runFlags{Config: "loadgate.yml", set: map[string]bool{}}
	envs := map[string]string{}
	for _, kv := range environ(getenv) {
		envs[kv[0]] = kv[1]
	}
	if err := env.ParseWithOptions(f, env.Options{Prefix: "LOADGATE_", Environment: envs}); err != nil {
		return nil, nil, usagef("environment: %v", err)
	}
	for k := range envs {
		if strings.HasPrefix(k, "LOADGATE_") {
			f.set[strings.ToLower(strings.TrimPrefix(k, "LOADGATE_"))] = true
		}
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	str := func(p *string, usage string, names ...string) {
		for _, n := range names {
			fs.StringVar(p, n, *p, usage)
		}
	}
	str(&f.Config, "config file", "c", "config")
	str(&f.Host, "override target.url", "H", "host")
	str(&f.URL, "no config file: one GET task on URL", "url")
	str(&f.ArrivalRate, "override load.arrival_rate (open model), e.g. 500/s", "arrival-rate")
	fs.IntVar(&f.Users, "u", f.Users, "override load.users")
	fs.IntVar(&f.Users, "users", f.Users, "override load.users")
	fs.Float64Var(&f.SpawnRate, "r", f.SpawnRate, "override load.spawn_rate")
	fs.Float64Var(&f.SpawnRate, "spawn-rate", f.SpawnRate, "override load.spawn_rate")
	str(&f.Duration, "override load.duration (30s, 2m)", "t", "duration")
	str(&f.Baseline, "compare against this result artifact", "baseline")
	str(&f.SaveBaseline, "write this run's result as a baseline artifact", "save-baseline")
	str(&f.Out, "write the result JSON", "out")
	str(&f.Summary, "write the Markdown report here (default: $GITHUB_STEP_SUMMARY)", "summary")
	str(&f.CSV, "Locust-compatible CSV files with this prefix", "csv")
	str(&f.JUnit, "JUnit XML, one test case per check", "junit")
	str(&f.HTML, "self-contained HTML report", "html")
	str(&f.Shard, "run shard I of N", "shard")
	str(&f.StartAt, "wait until this RFC 3339 time before starting", "start-at")
	fs.BoolVar(&f.Force, "force", f.Force, "compare even when the workload differs")
	fs.BoolVar(&f.Quiet, "q", f.Quiet, "no live progress")
	fs.BoolVar(&f.Quiet, "quiet", f.Quiet, "no live progress")
	str(&f.Web, "live dashboard while running, on ADDR (default "+report.DefaultWebAddr+")", "web")
	fs.BoolVar(&f.WebKeep, "web-keep", f.WebKeep, "keep the live dashboard after the run, until Ctrl-C")
	return fs, f, nil
}

// parseInterspersed parses flags that may come after positional arguments
// (`loadgate compare a.json b.json -c x.yml`), as users of most CLIs expect.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	if fs.Lookup("web") != nil {
		args = optionalWebValue(args)
	}
	var pos []string
	// The flag package's own usage dump would bury the one-line error
	// that the caller prints; -h and --help print the flags on stdout.
	fs.SetOutput(io.Discard)
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, &helpRequested{fs}
			}
			return nil, usagef("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// helpRequested is -h or --help after a command: run prints the usage and
// the command's flags on stdout and exits 0, as users of most CLIs expect.
type helpRequested struct{ fs *flag.FlagSet }

func (h *helpRequested) Error() string { return "help requested" }

// printFlags lists a command's flags as users type them, one line per
// flag with its aliases together ("-c, --config string"), rather than the
// flag package's dump, which lists each alias on its own with one dash.
// Aliases are the flags registered with the same usage text.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	type entry struct {
		names       []string
		kind, usage string
		def         string
	}
	var order []*entry
	byUsage := map[string]*entry{}
	fs.VisitAll(func(f *flag.Flag) {
		e := byUsage[f.Usage]
		if e == nil {
			kind, usage := flag.UnquoteUsage(f)
			e = &entry{kind: kind, usage: usage, def: f.DefValue}
			byUsage[f.Usage] = e
			order = append(order, e)
		}
		e.names = append(e.names, f.Name)
	})
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, e := range order {
		sort.Slice(e.names, func(i, j int) bool { return len(e.names[i]) < len(e.names[j]) })
		var names []string
		for _, n := range e.names {
			if len(n) == 1 {
				names = append(names, "-"+n)
			} else {
				names = append(names, "--"+n)
			}
		}
		usage := e.usage
		if e.def != "" && e.def != "false" && e.def != "0" {
			usage += fmt.Sprintf(" (default %s)", e.def)
		}
		fmt.Fprintf(tw, "  %s %s\t%s\n", strings.Join(names, ", "), e.kind, usage)
	}
	tw.Flush()
}

// optionalWebValue gives `--web` its optional value, which Go's flag
// package cannot express: a bare `--web` means the default address, and
// `--web ADDR` takes the next argument only when it looks like host:port,
// so `--web -c x.yml` and `--web` before a positional argument still work.
func optionalWebValue(args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		if a != "--web" && a != "-web" {
			out = append(out, a)
			continue
		}
		if i+1 < len(args) && looksLikeAddr(args[i+1]) {
			out = append(out, "--web="+args[i+1])
			i++
			continue
		}
		out = append(out, "--web="+report.DefaultWebAddr)
	}
	return out
}

// looksLikeAddr reports whether s is host:port with a numeric port, such
// as 127.0.0.1:8089, :8089, localhost:9000 or [::1]:8089.
func looksLikeAddr(s string) bool {
	if strings.HasPrefix(s, "-") {
		return false
	}
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 0 && n <= 65535
}

// webAddr is the live dashboard's address, or "" for none. The flag gives
// an address; LOADGATE_WEB may also be a boolean ("true", "1") for the
// default address. --web-keep alone implies the dashboard.
func (f *runFlags) webAddr() string {
	switch strings.ToLower(strings.TrimSpace(f.Web)) {
	case "", "false", "0", "no", "off":
		if f.WebKeep {
			return report.DefaultWebAddr
		}
		return ""
	case "true", "1", "yes", "on":
		return report.DefaultWebAddr
	}
	return strings.TrimSpace(f.Web)
}

// markSet records which flags the command line gave.
func (f *runFlags) markSet(fs *flag.FlagSet) {
	alias := map[string]string{"c": "config", "H": "host", "u": "users", "r": "spawn_rate", "t": "duration", "q": "quiet"}
	fs.Visit(func(fl *flag.Flag) {
		n := fl.Name
		if a, ok := alias[n]; ok {
			n = a
		}
		f.set[strings.ReplaceAll(n, "-", "_")] = true
	})
}

func (f *runFlags) duration() (*float64, error) {
	if !f.set["duration"] {
		return nil, nil
	}
	d, err := time.ParseDuration(f.Duration)
	if err != nil || d <= 0 {
		return nil, usagef("--duration %q: give a positive duration with a unit, e.g. 30s or 2m", f.Duration)
	}
	s := d.Seconds()
	return &s, nil
}

func environ(getenv func(string) string) [][2]string {
	var out [][2]string
	for _, k := range envNames {
		if v := getenv(k); v != "" {
			out = append(out, [2]string{k, v})
		}
	}
	return out
}

// envNames lists the LOADGATE_* variables read, so tests can inject getenv.
var envNames = []string{
	"LOADGATE_CONFIG", "LOADGATE_HOST", "LOADGATE_URL", "LOADGATE_ARRIVAL_RATE", "LOADGATE_USERS",
	"LOADGATE_SPAWN_RATE", "LOADGATE_DURATION", "LOADGATE_BASELINE", "LOADGATE_SAVE_BASELINE",
	"LOADGATE_OUT", "LOADGATE_SUMMARY", "LOADGATE_CSV", "LOADGATE_JUNIT", "LOADGATE_HTML",
	"LOADGATE_SHARD", "LOADGATE_START_AT", "LOADGATE_FORCE", "LOADGATE_QUIET",
	"LOADGATE_WEB", "LOADGATE_WEB_KEEP",
}
