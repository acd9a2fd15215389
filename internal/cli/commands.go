package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"

	"github.com/loadgate/loadgate/demo"
	"github.com/loadgate/loadgate/load/config"
	"github.com/loadgate/loadgate/load/target"
)

// cmdRun is `loadgate [run]`.
func cmdRun(ctx context.Context, args []string, e *environment) error {
	fs, f, err := newRunFlagSet("run", e.getenv, e.stderr)
	if err != nil {
		return err
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		if i := slices.Index(args, pos[0]); i > 0 && (args[i-1] == "--web" || args[i-1] == "-web") {
			// --web takes its value only when it looks like host:port.
			return usagef("--web %s: give the dashboard's address as host:port, e.g. 127.0.0.1:8089", pos[0])
		}
		return usagef("run takes no arguments, got %q (did you mean -c %s?)", pos, pos[0])
	}
	f.markSet(fs)
	j, err := prepare(f, e)
	if err != nil {
		return err
	}
	return j.finish(ctx)
}

// finish executes a prepared job and maps its outcome to an exit code.
func (j *job) finish(ctx context.Context) error {
	if err := j.checkOutputs(); err != nil {
		return err
	}
	out := j.execute(ctx)
	err := out.err
	if err == nil {
		err = verdictErr(out.result, j.cfg.Baseline.Inconclusive)
	}
	if err == nil && ctx.Err() != nil {
		// A signal after the load ended still means the invocation was
		// interrupted; the reports were written.
		err = withCode(exitInterrupted, nil)
	}
	j.keepOrRemoveLogs(err == nil)
	return err
}

// keepOrRemoveLogs removes the app's log directory after a passing run,
// and otherwise says where it is.
func (j *job) keepOrRemoveLogs(passed bool) {
	if j.logDir == "" {
		return
	}
	if passed && !j.flags.KeepLogs {
		os.RemoveAll(j.logDir)
		return
	}
	fmt.Fprintf(j.env.stderr, "loadgate: the app's log is in %s\n", j.logDir)
}

// cmdValidate is `loadgate validate`: read and compile, run nothing.
func cmdValidate(ctx context.Context, args []string, e *environment) error {
	fs, f, err := newRunFlagSet("validate", e.getenv, e.stderr)
	if err != nil {
		return err
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 1 && !f.set["config"] {
		f.Config = pos[0] // `loadgate validate FILE` reads as well as -c FILE
	} else if len(pos) > 0 {
		return usagef("validate takes one config file, got %q", pos)
	}
	f.markSet(fs)
	j, err := prepare(f, e)
	if err != nil {
		return err
	}
	n := 0
	for _, c := range j.cfg.Users {
		n += len(c.Tasks)
	}
	fmt.Fprintf(e.stdout, "%s: OK — %d user classes, %d tasks, %d endpoints, %d thresholds, %s model, workload %s\n",
		j.cfg.File, len(j.cfg.Users), n, len(j.plan.Endpoints), len(j.cfg.Thresholds), j.plan.Model(), j.plan.WorkloadHash())
	return nil
}

// cmdDemo is `loadgate demo`: the built-in app and the guide's workload
// against it, or with --serve only the app.
func cmdDemo(ctx context.Context, args []string, e *environment) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	serve := fs.String("serve", "", "serve only the demo app on ADDR (e.g. 127.0.0.1:8000)")
	slow := fs.Float64("slowdown", 1.0, "make every deliberate delay of the app this many times longer (A/B experiments)")
	dur := fs.String("duration", "", "measured time of the demo workload (default 10s)")
	quiet := fs.Bool("q", false, "no live progress")
	// The demo writes the same reports a run does, so the tour shows them all.
	f := &runFlags{Summary: e.getenv("LOADGATE_SUMMARY"), set: map[string]bool{}}
	f.bind(fs, "out", "summary", "html", "csv", "junit", "web", "web-keep")
	if _, err := parseInterspersed(fs, args); err != nil {
		return err
	}
	if *slow <= 0 {
		return usagef("--slowdown must be positive, got %g", *slow)
	}
	if *serve != "" {
		srv, err := demo.Start(*serve, demo.Options{Slowdown: *slow})
		if err != nil {
			return usagef("demo --serve %s: %v", *serve, err)
		}
		fmt.Fprintf(e.stderr, "loadgate demo app listening on %s (Ctrl-C to stop)\n", srv.URL)
		sctx, stop := signal.NotifyContext(ctx, os.Interrupt)
		defer stop()
		<-sctx.Done()
		return srv.Close()
	}
	srv, err := demo.Start("127.0.0.1:0", demo.Options{Slowdown: *slow})
	if err != nil {
		return &target.TargetError{Phase: "start", Msg: "demo app: " + err.Error()}
	}
	defer srv.Close()
	env := map[string]string{"LOADGATE_DEMO_URL": srv.URL}
	if *dur != "" {
		env["LOADGATE_DEMO_DURATION"] = *dur
	}
	lookup := func(k string) (string, bool) {
		if v, ok := env[k]; ok {
			return v, true
		}
		return os.LookupEnv(k)
	}
	cfg, err := config.ParseConfig("demo/loadgate.yml", ".", demo.Workload, config.Overrides{}, lookup)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "loadgate demo: the Locust guide's WebsiteUser tasks (with 50–150 ms think time, so 10 s show a load) against the built-in app at %s\n"+
		"  its config is demo/loadgate.yml in loadgate's repository; --summary FILE writes the Markdown report\n", srv.URL)
	f.Quiet = *quiet
	j, err := prepareConfig(cfg, f, e)
	if err != nil {
		return err
	}
	return j.finish(ctx)
}
