package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/loadgate/loadgate/report"
)

// runFlags is the one table of run's flags: each field's tags give its
// names (the first one-letter name is the short alias), its LOADGATE_*
// variable and its help. The flag set, the environment names, the aliases
// and the help text are all derived from it. A flag on the command line
// wins over the environment.
type runFlags struct {
	Config       string  `flag:"c,config" env:"CONFIG" usage:"config file"`
	Host         string  `flag:"H,host" load:"only" env:"HOST" usage:"override target.url"`
	URL          string  `flag:"url" load:"only" env:"URL" usage:"no config file: one GET task on URL"`
	ArrivalRate  string  `flag:"arrival-rate" load:"only" env:"ARRIVAL_RATE" usage:"override load.arrival_rate (open model), e.g. 500/s"`
	Users        int     `flag:"u,users" load:"only" env:"USERS" usage:"override load.users"`
	SpawnRate    float64 `flag:"r,spawn-rate" load:"only" env:"SPAWN_RATE" usage:"override load.spawn_rate"`
	Duration     string  `flag:"t,duration" load:"only" env:"DURATION" usage:"override load.duration (30s, 2m)"`
	Baseline     string  `flag:"baseline" env:"BASELINE" usage:"compare against this result artifact"`
	SaveBaseline string  `flag:"save-baseline" env:"SAVE_BASELINE" usage:"write this run's result as a baseline artifact"`
	Out          string  `flag:"out" env:"OUT" usage:"write the result JSON"`
	Summary      string  `flag:"summary" env:"SUMMARY" usage:"write the Markdown report here (default: $GITHUB_STEP_SUMMARY)"`
	CSV          string  `flag:"csv" env:"CSV" usage:"Locust-compatible CSV files with this prefix"`
	JUnit        string  `flag:"junit" env:"JUNIT" usage:"JUnit XML, one test case per check"`
	HTML         string  `flag:"html" env:"HTML" usage:"self-contained HTML report"`
	Shard        string  `flag:"shard" load:"only" env:"SHARD" usage:"run shard I of N"`
	StartAt      string  `flag:"start-at" load:"only" env:"START_AT" usage:"wait until this RFC 3339 time before starting"`
	NoStart      bool    `flag:"no-start" env:"NO_START" usage:"run against target.url without starting target.start"`
	KeepLogs     bool    `flag:"keep-logs" env:"KEEP_LOGS" usage:"keep the started app's log directory after a passing run"`
	Force        bool    `flag:"force" env:"FORCE" usage:"compare even when the workload differs"`
	Quiet        bool    `flag:"q,quiet" env:"QUIET" usage:"no live progress"`
	Web          string  `flag:"web" load:"only" env:"WEB" usage:"live dashboard while running, on ADDR (default 127.0.0.1:8089)"` // see webAddr
	WebKeep      bool    `flag:"web-keep" load:"only" env:"WEB_KEEP" usage:"keep the live dashboard after the run, until Ctrl-C"`

	set map[string]bool // flags given on the command line or in the environment, by env name in lower case
}

// flagField is one row of the table, read from runFlags' tags.
type flagField struct {
	index int
	names []string // as typed without dashes: "c", "config"
	env   string   // without the LOADGATE_ prefix
	usage string
	// loadOnly: the flag shapes a load, so it means nothing to a command
	// that runs none (merge).
	loadOnly bool
}

// flagTable lists runFlags' flags in declaration order.
var flagTable = func() []flagField {
	t := reflect.TypeFor[runFlags]()
	var out []flagField
	for i := range t.NumField() {
		f := t.Field(i)
		if tag := f.Tag.Get("flag"); tag != "" {
			out = append(out, flagField{index: i, names: strings.Split(tag, ","), env: f.Tag.Get("env"),
				usage: f.Tag.Get("usage"), loadOnly: f.Tag.Get("load") == "only"})
		}
	}
	return out
}()

// usageError is a mistake on the command line: exit 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// newRunFlagSet binds the run flags, with defaults from the environment.
func newRunFlagSet(name string, getenv func(string) string, stderr io.Writer) (*flag.FlagSet, *runFlags, error) {
	f := &runFlags{Config: "loadgate.yml", set: map[string]bool{}}
	envs := map[string]string{}
	for _, row := range flagTable {
		if v := getenv("LOADGATE_" + row.env); v != "" {
			envs["LOADGATE_"+row.env] = v
			f.set[strings.ToLower(row.env)] = true
		}
	}
	if err := env.ParseWithOptions(f, env.Options{Prefix: "LOADGATE_", Environment: envs}); err != nil {
		return nil, nil, usagef("environment: %v", err)
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	f.bind(fs)
	return fs, f, nil
}

// bind registers the table's flags on fs, all of them or those named.
func (f *runFlags) bind(fs *flag.FlagSet, only ...string) {
	v := reflect.ValueOf(f).Elem()
	for _, row := range flagTable {
		if len(only) > 0 && !slices.Contains(only, row.names[len(row.names)-1]) {
			continue
		}
		for _, n := range row.names {
			switch p := v.Field(row.index).Addr().Interface().(type) {
			case *string:
				fs.StringVar(p, n, *p, row.usage)
			case *int:
				fs.IntVar(p, n, *p, row.usage)
			case *float64:
				fs.Float64Var(p, n, *p, row.usage)
			case *bool:
				fs.BoolVar(p, n, *p, row.usage)
			}
		}
	}
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

// markSet records which flags the command line gave, by their
// environment name in lower case (config, spawn_rate, ...).
func (f *runFlags) markSet(fs *flag.FlagSet) {
	fs.Visit(func(fl *flag.Flag) {
		for _, row := range flagTable {
			if slices.Contains(row.names, fl.Name) {
				f.set[strings.ToLower(row.env)] = true
			}
		}
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
