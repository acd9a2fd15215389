package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
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
	return fs, f, nil
}

// parseInterspersed parses flags that may come after positional arguments
// (`loadgate compare a.json b.json -c x.yml`), as users of most CLIs expect.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
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
}
