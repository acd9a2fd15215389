package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/load"
	"github.com/loadgate/loadgate/load/config"
	"github.com/loadgate/loadgate/load/httpc"
	"github.com/loadgate/loadgate/load/result"
	"github.com/loadgate/loadgate/load/secret"
	"github.com/loadgate/loadgate/load/target"
	"github.com/loadgate/loadgate/report"
)

// job is one configured run: what `run`, `demo` and the tests execute.
type job struct {
	cfg    *config.Config
	plan   *load.Plan
	ths    []gate.Threshold
	flags  *runFlags
	env    *environment
	shardI int
	shardN int
	// startAt is --start-at, checked before anything starts (zero: none).
	startAt time.Time

	overrun  atomic.Bool   // the watchdog ended the run
	deadline time.Duration // the watchdog's deadline, when a test sets one

	// logDir holds the started app's log; removed after a passing run
	// unless --keep-logs.
	logDir string
}

// prepare reads the config (or --url), compiles it and its thresholds.
// Every error here is a usage or config error: exit 2.
func prepare(f *runFlags, e *environment) (*job, error) {
	ov := config.Overrides{Host: f.Host, ArrivalRate: f.ArrivalRate}
	if f.set["users"] {
		if f.Users < 1 {
			return nil, usagef("--users must be at least 1, got %d", f.Users)
		}
		ov.Users = &f.Users
	}
	if f.set["spawn_rate"] {
		if f.SpawnRate < 0 {
			return nil, usagef("--spawn-rate must not be negative")
		}
		ov.SpawnRate = &f.SpawnRate
	}
	d, err := f.duration()
	if err != nil {
		return nil, err
	}
	ov.Duration = d
	var cfg *config.Config
	if f.URL != "" {
		cfg, err = urlConfig(f.URL, ov, e.lookup)
	} else {
		if !f.set["config"] && f.Config == "loadgate.yml" {
			if _, err := os.Stat(f.Config); err != nil {
				if _, err := os.Stat("loadgate.yaml"); err == nil {
					f.Config = "loadgate.yaml" // the other spelling, as docker compose reads both
				}
			}
		}
		cfg, err = config.LoadConfigFile(f.Config, ov, e.lookup)
	}
	if err != nil {
		return nil, err
	}
	// -H pointing somewhere else than target.url means the app runs
	// there already: the config's target.start is not started.
	if f.Host != "" && cfg.Target.Start != nil && !f.NoStart {
		if file, ferr := config.LoadConfigFile(f.Config, config.Overrides{}, e.lookup); ferr == nil && file.Target.URL != cfg.Target.URL {
			fmt.Fprintf(e.stderr, "loadgate: --host %s is not target.url (%s): target.start is not started (as with --no-start)\n", cfg.Target.URL, file.Target.URL)
			f.NoStart = true
		}
	}
	// Beside stages the ramp sets the load; an override that would only be
	// recorded is said so, not silently dropped.
	if l := cfg.Load; len(l.Stages) > 0 {
		switch {
		case ov.Users != nil && l.ArrivalRate == 0:
			fmt.Fprintln(e.stderr, "loadgate: --users is ignored beside load.stages, which set the users (-t replaces the ramp with a steady load)")
		case ov.ArrivalRate != "" && l.ArrivalRate > 0:
			fmt.Fprintln(e.stderr, "loadgate: --arrival-rate is ignored beside load.stages, which set the rate (-t replaces the ramp with a steady load)")
		}
	}
	return prepareConfig(cfg, f, e)
}

// prepareConfig compiles a loaded config and its thresholds.
func prepareConfig(cfg *config.Config, f *runFlags, e *environment) (*job, error) {
	plan, err := load.Compile(cfg)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(plan.Endpoints))
	for i, ep := range plan.Endpoints {
		names[i] = ep.Name
	}
	ths, err := gate.Compile(cfg.Thresholds, names, cfg.File)
	if err != nil {
		return nil, err
	}
	for _, th := range ths {
		if th.Metric == "failure_rate" && th.Limit < 0.1 && th.Limit > 0 && !strings.Contains(th.Expr, "%") {
			fmt.Fprintf(e.stderr, "loadgate: warning: %q means %s%% of requests: failure_rate is a percentage "+
				"(Locust's fail_ratio 0.01 is failure_rate < 1%%)\n", th.Expr, gate.FormatNumber(th.Limit))
		}
	}
	ths = gate.WithDefaults(ths)
	j := &job{cfg: cfg, plan: plan, ths: ths, flags: f, env: e, shardI: 1, shardN: 1}
	// A baseline of another workload is refused before anything runs.
	if err := j.checkBaseline(); err != nil {
		return nil, err
	}
	// --shard auto/N takes the index from a Kubernetes Indexed Job.
	if f.Shard, err = shardFromEnv(f.Shard, e.getenv); err != nil {
		return nil, err
	}
	if f.Shard != "" {
		if j.shardI, j.shardN, err = result.ParseShard(f.Shard); err != nil {
			return nil, usagef("--shard %q: %v", f.Shard, err)
		}
		// Each shard runs its share of the users, so the shards together
		// run exactly load.users; a shard without a user would run nothing.
		if cfg.Load.PoolDefault {
			// The open model's default pool is a limit, not a number
			// asked for: every shard gets at least one user.
			cfg.Load.Users = max(cfg.Load.Users, j.shardN)
		}
		if u := cfg.Load.Users; j.shardN > u {
			return nil, usagef("--shard %q: load.users is %d, fewer than the %d shards, and every shard needs at least one user: "+
				"use at most %d shards, or raise load.users", f.Shard, u, j.shardN, u)
		}
	}
	if f.StartAt != "" {
		if j.startAt, err = time.Parse(time.RFC3339, f.StartAt); err != nil {
			return nil, usagef("--start-at %q: give an RFC 3339 time such as 2026-11-26T20:00:00Z", f.StartAt)
		}
		// Shards wait minutes for each other, not days: a time that far
		// ahead is a typo (and would overflow the run's hard deadline).
		if time.Until(j.startAt) > 24*time.Hour {
			return nil, usagef("--start-at %s is more than 24 hours away", f.StartAt)
		}
	}
	return j, nil
}

// urlConfig builds the one-task config of `--url`: a quick check like hey.
func urlConfig(raw string, ov config.Overrides, lookup func(string) (string, bool)) (*config.Config, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usagef("--url %q must be an absolute http:// or https:// URL", raw)
	}
	path := u.RequestURI()
	base := u.Scheme + "://" + u.Host
	// 10 users, as hey's 50 requests at a time are for a quick look; with
	// --arrival-rate the open model's own default pool instead (rate ×
	// timeout), which 10 users could not hold at any latency over 10/rate.
	users := ", users: 10"
	if ov.ArrivalRate != "" {
		users = ""
	}
	yml := fmt.Sprintf("target: {url: %q}\nload: {duration: 10s%s}\ntasks:\n  - name: %q\n    get: %q\n",
		base, users, "GET "+u.Path, path)
	return config.ParseConfig("--url", ".", []byte(yml), ov, lookup)
}

// outcome is what a run ends with, for the exit code.
type outcome struct {
	result *result.Result
	err    error // target failure (exit 3) or artifact/config error (exit 2)
}

// execute starts the target if configured, runs the load, gates and writes
// every report. It always writes what it has, also when interrupted or when
// the target dies.
func (j *job) execute(ctx context.Context) outcome {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	tgt, err := j.startTarget(ctx)
	if tgt != nil {
		defer tgt.Stop()
	}
	if err != nil {
		if ctx.Err() != nil {
			return j.finishEmpty(nil, nil) // interrupted while waiting for the target
		}
		return j.finishEmpty(tgt, err)
	}
	// A watchdog guarantees the run ends, whatever the target does.
	defer j.watchdog(tgt, cancel)()
	// A target that exits during the run stops the load at once.
	var targetErr error
	stopWatch := func() {}
	if tgt != nil {
		watching, watched := make(chan struct{}), make(chan struct{})
		stopWatch = func() { close(watching); <-watched }
		go func() {
			defer close(watched)
			select {
			case <-tgt.Exited():
				targetErr = tgt.RunError()
				cancel()
			case <-watching:
			}
		}()
	}
	if err := waitStartAt(ctx, j.startAt); err != nil {
		stopWatch()
		if ctx.Err() != nil {
			return j.finishEmpty(tgt, nil)
		}
		return outcome{err: err}
	}
	// The live outputs: the progress line and the dashboard (dashboard.go).
	var live []report.Sink
	if !j.flags.Quiet {
		live = append(live, report.NewProgressPrinter(j.env.stderr, j.env.stderrTTY))
	}
	web, err := j.startWeb(ctx)
	if err != nil {
		stopWatch()
		return outcome{err: err}
	}
	if web != nil {
		defer web.close()
		live = append(live, web)
	}
	if tgt == nil {
		if err := j.probeTarget(); err != nil {
			stopWatch()
			return j.finishEmpty(nil, err)
		}
	}
	opts := load.Options{ShardIndex: j.shardI, ShardCount: j.shardN, Abort: gate.AbortCheck(j.ths)}
	opts.OnProgress = func(p result.Progress) {
		for _, s := range live {
			s.Update(p)
		}
	}
	appDone := j.meterApp(tgt, &opts)
	r, err := load.Run(runCtx, j.plan, opts)
	stopWatch() // from here on the target exiting is our doing, not a failure
	appDone(r)
	if err != nil {
		for _, s := range live {
			_ = s.Finish(&result.Result{Total: &result.Stats{Name: "total"}})
		}
		return outcome{err: err}
	}
	overrun := j.overrun.Load()
	if overrun {
		r.Interrupted = ctx.Err() != nil // cut short by the watchdog, not by a signal
	}
	if targetErr != nil {
		r.Interrupted = true
	}
	j.fill(r, tgt, targetErr)
	r.Verdict = gate.Evaluate(r, j.ths)
	if overrun {
		r.Verdict.Checks = append(r.Verdict.Checks, overloaded())
	}
	// The baseline comparison (baseline.go) adds its checks to the verdict.
	baseErr := j.compareBaseline(r)
	r.Verdict.Status = gate.StatusOf(r.Verdict.Checks)
	if targetErr != nil {
		r.Verdict.Status = gate.StatusFail
	} else if r.Interrupted {
		r.Verdict.Status = gate.StatusInterrupted
	}
	r.Verdict.Warnings = append(r.Verdict.Warnings, gate.FailureWarnings(r)...)
	// The reports come before the app is stopped (deferred above): a
	// slow-stopping app, and a CI runner that kills loadgate while it
	// waits, cost no report. A failed target has exited already, so its
	// log is complete.
	for _, s := range live {
		_ = s.Finish(r) // the progress line ends; the dashboard shows the result
	}
	if err := j.writeReports(r); err != nil {
		return outcome{result: r, err: err}
	}
	if baseErr != nil {
		return outcome{result: r, err: baseErr}
	}
	if targetErr == nil && !r.Interrupted && r.Aborted == "" {
		if err := j.saveBaseline(r); err != nil {
			return outcome{result: r, err: err}
		}
	}
	return outcome{result: r, err: targetErr}
}

// startTarget starts target.start, if any, and waits until it is ready.
func (j *job) startTarget(ctx context.Context) (*target.Target, error) {
	st := j.cfg.Target.Start
	if st == nil || j.flags.NoStart {
		return nil, nil
	}
	dir, err := target.LogDir(j.env.get("RUNNER_TEMP"))
	if err != nil {
		return nil, &target.TargetError{Phase: "start", Msg: "cannot make a directory for its log: " + err.Error()}
	}
	j.logDir = dir
	t, err := target.StartTarget(st, filepath.Join(dir, "app.log"))
	if err != nil {
		return nil, err
	}
	j.env.stopTarget = func() { t.Stop() }
	return t, t.WaitReady(ctx)
}

// finishEmpty writes the reports of a run that measured nothing: the target
// failed (err) or the run was interrupted before the load began (err nil).
func (j *job) finishEmpty(tgt *target.Target, err error) outcome {
	r := &result.Result{Schema: result.ResultSchema, StartedAt: time.Now().UTC().Truncate(time.Second),
		Total:       &result.Stats{Name: "total", StatusCodes: map[string]int64{}, FailureReasons: map[string]int64{}},
		Interrupted: err == nil}
	j.fill(r, tgt, err)
	// Every check is shown as what it is: without a measurement, a fail.
	r.Verdict = gate.Evaluate(r, j.ths)
	r.Verdict.Status = gate.StatusFail
	if err == nil {
		r.Verdict.Status = gate.StatusInterrupted
	}
	if err != nil {
		r.Verdict.Warnings = []string{secret.Redact(err.Error())}
		if r.Target == nil { // nothing listening where no app is started
			r.Target = &result.TargetReport{Error: secret.Redact(err.Error())}
		}
	}
	if werr := j.writeReports(r); werr != nil && err == nil {
		err = werr
	}
	if tgt != nil {
		tgt.Stop() // after the reports, as at the end of a run
	}
	return outcome{result: r, err: err}
}

// watchdog is the hard deadline: warmup + duration + request timeout +
// stop timeout + 10 s after the load begins, loadgate ends, even if a bug or
// a pathological target keeps something waiting.
// It returns the function that disarms it when the run has ended.
func (j *job) watchdog(tgt *target.Target, cancel context.CancelFunc) (disarm func()) {
	l := j.cfg.Load
	d := l.Warmup + l.TotalDuration() + j.cfg.Target.Timeout + 10*time.Second
	if st := j.cfg.Target.Start; st != nil {
		d += st.StopTimeout
	}
	if until := time.Until(j.startAt); until > 0 {
		d += until
	}
	if j.deadline > 0 {
		d = j.deadline
	}
	var mu sync.Mutex
	var last *time.Timer
	disarmed := false
	first := time.AfterFunc(d, func() {
		mu.Lock()
		if disarmed {
			mu.Unlock()
			return // the run ended as the deadline fell due
		}
		mu.Unlock()
		// Past the deadline the generator, not the target, is what failed:
		// the run is ended and reported as a failure that names it.
		j.overrun.Store(true)
		fmt.Fprintf(j.env.stderr, "loadgate: the run did not end within its hard deadline (%s): loadgate is overloaded; ending it and writing the reports\n", d.Round(time.Millisecond))
		cancel()
		mu.Lock()
		defer mu.Unlock()
		if disarmed {
			return
		}
		last = time.AfterFunc(reportGrace, func() {
			fmt.Fprintf(j.env.stderr, "loadgate: the reports were not written within %s either; exiting\n", reportGrace)
			if tgt != nil {
				tgt.Stop()
			}
			os.Exit(exitFail)
		})
	})
	return func() {
		first.Stop()
		mu.Lock()
		defer mu.Unlock()
		disarmed = true
		if last != nil {
			last.Stop()
		}
	}
}

// reportGrace is how long an overloaded run has to write its reports after
// the watchdog ended it.
const reportGrace = 30 * time.Second

// overloaded is the failing check of a run the watchdog had to end.
func overloaded() result.Check {
	return result.Check{Scope: "total", Metric: "requests", Op: "completed in time", Status: gate.StatusFail, Source: "threshold",
		Default: true, Reason: "loadgate was overloaded: the run did not end within its hard deadline " +
			"(warmup + duration + timeout + 10 s), so these figures describe the generator, not the target; " +
			"lower the load (users, arrival_rate) or give loadgate more CPU"}
}

// fill adds provenance and target details to a result.
func (j *job) fill(r *result.Result, tgt *target.Target, targetErr error) {
	r.LoadgateVersion = version
	commit, ref := j.env.get("GITHUB_SHA"), j.env.get("GITHUB_REF")
	if commit == "" {
		commit, ref = gitHead()
	}
	r.Provenance = result.Provenance{
		Commit:       commit,
		Ref:          ref,
		RunnerOS:     result.RunnerOS(j.env.get("RUNNER_OS")),
		CPUModel:     result.CPUModel(),
		CPUs:         result.NumCPU(),
		GoVersion:    result.GoVersion(),
		WorkloadHash: j.plan.WorkloadHash(),
		Shard:        fmt.Sprintf("%d/%d", j.shardI, j.shardN),
	}
	if st := j.cfg.Target.Start; st != nil && !j.flags.NoStart {
		tr := &result.TargetReport{Command: secret.Redact(st.CommandLine)}
		if tgt != nil {
			tr.LogFile, tr.PID = tgt.LogPath(), tgt.Pid()
		}
		if targetErr != nil {
			tr.Error = secret.Redact(targetErr.Error())
			var te *target.TargetError
			if errors.As(targetErr, &te) && len(te.LogTail) > 0 {
				tr.LogTail = redactAll(te.LogTail)
			} else if tgt != nil {
				tr.LogTail = redactAll(tgt.LogTail(50))
			}
		}
		r.Target = tr
	}
}

func redactAll(lines []string) []string {
	for i, l := range lines {
		lines[i] = secret.Redact(l)
	}
	return lines
}

// waitStartAt sleeps until --start-at so that shards begin together.
func waitStartAt(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if t.IsZero() || d <= 0 {
		return nil
	}
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// probeTarget checks, when loadgate starts no app, that something listens
// at target.url: otherwise the whole run would measure "connection
// refused". It fails fast, with exit 3 and a hint.
func (j *job) probeTarget() error {
	t, err := httpc.ParseTarget(j.cfg.Target.URL)
	if err != nil {
		return nil // the engine reports a bad URL itself
	}
	c, err := net.DialTimeout("tcp", t.Addr, 2*time.Second)
	if err == nil {
		c.Close()
		return nil
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return nil // a slow or filtered address is measured, not guessed at
	}
	hint := "start the app first, or give the config a target.start so loadgate starts it"
	if j.cfg.Target.Start != nil {
		hint = "start the app first, or leave out --no-start (or --host) so loadgate starts target.start"
	}
	return &target.TargetError{Phase: "ready", Msg: fmt.Sprintf("nothing listens on %s (target.url %s): %s", t.Addr, j.cfg.Target.URL, hint)}
}
