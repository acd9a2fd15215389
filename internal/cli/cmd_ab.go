package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/load"
	"github.com/loadgate/loadgate/load/result"
	"github.com/loadgate/loadgate/load/target"
)

// cmdAB is `loadgate ab --base-dir DIR --head-dir DIR`: a same-runner A/B
// comparison. It starts the config's target.start in each directory in
// turn and runs the same workload against each, in pairs of rounds, then
// gates head against base with the pairs as the noise model (docs/gate.md).
func cmdAB(ctx context.Context, args []string, e *environment) error {
	fset, f, err := newRunFlagSet("ab", e.getenv, e.stderr)
	if err != nil {
		return err
	}
	baseDir := fset.String("base-dir", "", "directory of the base build: target.start runs there")
	headDir := fset.String("head-dir", "", "directory of the head build")
	rounds := fset.Int("rounds", 6, "rounds of each build (pairs); 6 is the fewest that can fail")
	roundDur := fset.Duration("round-duration", 10*time.Second, "measured time of each round")
	pos, err := parseInterspersed(fset, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("ab takes no arguments, got %q", pos)
	}
	f.markSet(fset)
	dirs, err := abDirs(*baseDir, *headDir)
	if err != nil {
		return err
	}
	switch {
	case *rounds < 2:
		return usagef("--rounds must be at least 2 (6 or more for a verdict that can fail), got %d", *rounds)
	case *roundDur <= 0:
		return usagef("--round-duration must be positive, got %s", *roundDur)
	case f.URL != "":
		return usagef("ab starts each build from target.start; --url has none")
	case f.Baseline != "" || f.SaveBaseline != "":
		return usagef("ab compares two builds with each other; --baseline and --save-baseline do not apply")
	}
	f.Duration, f.set["duration"] = roundDur.String(), true
	j, err := prepare(f, e)
	if err != nil {
		return err
	}
	if j.cfg.Target.Start == nil {
		return usagef("%s has no target.start: ab starts the base and head builds itself", j.cfg.File)
	}
	if err := j.checkOutputs(); err != nil {
		return err
	}
	base, head, err := j.abRounds(ctx, dirs, *rounds)
	if err != nil {
		j.keepOrRemoveLogs(false)
		return err
	}
	bp, err := poolRounds("base", base)
	if err != nil {
		return err
	}
	hp, err := poolRounds("head", head)
	if err != nil {
		return err
	}
	v, err := gate.CompareAB(gate.ABInput{Base: base, Head: head, BasePooled: bp, HeadPooled: hp}, j.gateOptions(""))
	if err != nil {
		return err
	}
	v.Warnings = append([]string{fmt.Sprintf("same-runner A/B: Measured is the head build (%s), Baseline the base build (%s); "+
		"%d rounds of %s each, in the order %s; Delta is the mean change within pairs",
		dirs[1], dirs[0], *rounds, roundDur, abOrderText(*rounds))}, v.Warnings...)
	hp.Verdict = gate.Combine(gate.Evaluate(hp, j.ths), v)
	if err := j.writeReports(hp); err != nil {
		return err
	}
	err = verdictErr(hp, j.inconclusivePolicy())
	j.keepOrRemoveLogs(err == nil)
	return err
}

// abDirs checks the two build directories and makes them absolute.
func abDirs(base, head string) ([2]string, error) {
	var out [2]string
	for i, d := range []struct{ flag, dir string }{{"--base-dir", base}, {"--head-dir", head}} {
		if d.dir == "" {
			return out, usagef("ab needs %s DIR (and %s)", d.flag, map[int]string{0: "--head-dir", 1: "--base-dir"}[i])
		}
		abs, err := filepath.Abs(d.dir)
		if err != nil {
			return out, usagef("%s %s: %v", d.flag, d.dir, err)
		}
		if st, err := os.Stat(abs); err != nil || !st.IsDir() {
			return out, usagef("%s %s is not a directory", d.flag, d.dir)
		}
		out[i] = abs
	}
	return out, nil
}

// abOrder is the order of the two builds in pair i: B H, then H B, and so
// on (B H H B B H …). Alternating which build goes first cancels a drift
// that would otherwise always favour the first of a pair.
func abOrder(i int) [2]int {
	if i%2 == 0 {
		return [2]int{0, 1}
	}
	return [2]int{1, 0}
}

func abOrderText(rounds int) string {
	var s []string
	for i := 0; i < min(rounds, 3); i++ {
		for _, b := range abOrder(i) {
			s = append(s, []string{"B", "H"}[b])
		}
	}
	if rounds > 3 {
		s = append(s, "…")
	}
	return strings.Join(s, " ")
}

// abRounds runs the rounds: each starts the build, waits until it is
// ready, runs warmup and the measured round, and stops it again, so both
// builds can use the port the config names.
func (j *job) abRounds(ctx context.Context, dirs [2]string, rounds int) (base, head []*result.Result, err error) {
	names := [2]string{"base", "head"}
	out := [2][]*result.Result{}
	n := 0
	for i := range rounds {
		for _, b := range abOrder(i) {
			n++
			r, err := j.abRound(ctx, names[b], dirs[b])
			if err != nil {
				if ctx.Err() != nil {
					return nil, nil, fmt.Errorf("ab interrupted in round %d of %d: %w", n, 2*rounds, ctx.Err())
				}
				return nil, nil, err
			}
			out[b] = append(out[b], r)
			if !j.flags.Quiet {
				t := r.Total
				app := ""
				if v, ok := t.Metric("app_cpu_per_req"); ok {
					app = fmt.Sprintf(", app %.3f ms CPU per request", v)
				}
				fmt.Fprintf(j.env.stderr, "ab: round %d/%d %s: %d requests, %d failed, p95 %.2f ms, %.1f req/s%s\n",
					n, 2*rounds, names[b], t.Requests, t.Failures, t.LatencyMS.P95, t.RPS, app)
			}
		}
	}
	return out[0], out[1], nil
}

// abRound starts one build, measures one round against it and stops it.
func (j *job) abRound(ctx context.Context, name, dir string) (*result.Result, error) {
	spec := *j.cfg.Target.Start
	spec.Dir = dir
	if j.logDir == "" {
		dir, err := target.LogDir(j.env.get("RUNNER_TEMP"))
		if err != nil {
			return nil, err
		}
		j.logDir = dir
	}
	t, err := target.StartTarget(&spec, filepath.Join(j.logDir, name+".log"))
	if err != nil {
		return nil, withBuild(name, err)
	}
	defer t.Stop()
	j.env.stopTarget = func() { t.Stop() }
	if err := t.WaitReady(ctx); err != nil {
		return nil, withBuild(name, err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var exited error
	watching, watched := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case <-t.Exited():
			exited = &target.TargetError{Phase: "run", Msg: fmt.Sprintf("the %s build exited during its round (%v)", name, t.ExitErr()),
				LogTail: t.LogTail(20)}
			cancel()
		case <-watching:
		}
	}()
	opts := load.Options{}
	appDone := j.meterApp(t, &opts)
	r, err := load.Run(runCtx, j.plan, opts)
	appDone(r)
	close(watching)
	<-watched
	_ = t.Stop()
	switch {
	case exited != nil:
		return nil, exited
	case err != nil:
		return nil, err
	case ctx.Err() != nil:
		return nil, ctx.Err()
	}
	j.fill(r, nil, nil)
	return r, nil
}

// withBuild names the build in a target error.
func withBuild(name string, err error) error {
	var te *target.TargetError
	if errors.As(err, &te) {
		c := *te
		c.Msg = name + " build: " + c.Msg
		return &c
	}
	return err
}

// poolRounds adds one build's rounds into one result (result.Pool).
func poolRounds(name string, rs []*result.Result) (*result.Result, error) {
	names := make([]string, len(rs))
	for i := range rs {
		names[i] = fmt.Sprintf("%s round %d", name, i+1)
	}
	return result.Pool(names, rs)
}
