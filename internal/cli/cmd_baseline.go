package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/internal/safefile"
	"github.com/loadgate/loadgate/load/config"
	"github.com/loadgate/loadgate/load/result"
	"github.com/loadgate/loadgate/report"
)

// The baseline side of a run (docs/gate.md): comparing
// with a stored baseline, saving one, the CSV and JUnit reports, and the
// compare command. The noise-aware decisions themselves are package gate's.

// baselinePath is the baseline to compare with: --baseline, else the
// config's baseline.file, else none.
func (j *job) baselinePath() string {
	if j.flags.Baseline != "" {
		return j.flags.Baseline
	}
	if j.cfg != nil {
		return j.cfg.Baseline.File
	}
	return ""
}

// checkBaseline reads the baseline before any load is generated and
// refuses one of another workload (exit 2, unless --force), so that a
// wrong --baseline costs a second rather than the run's whole duration.
// A missing file is fine here: baseline.missing decides after the run.
// A --save-baseline file that exists must be readable too, or the run
// would be measured only to be refused at the end.
func (j *job) checkBaseline() error {
	if save := j.flags.SaveBaseline; save != "" {
		if _, err := result.ReadFile(save); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	path := j.baselinePath()
	if path == "" || j.plan == nil {
		return nil
	}
	b, err := result.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	probe := &result.Result{Provenance: result.Provenance{WorkloadHash: j.plan.WorkloadHash()}, Total: &result.Stats{Name: "total"}}
	_, err = gate.CompareBaseline(probe, b, j.gateOptions(path))
	return err
}

// compareBaseline adds the baseline checks to the run's verdict, and the
// baseline's values and the changes from them to its threshold checks. A
// baseline of another workload is refused (exit 2) unless --force; the
// refusal is also written into the result's warnings, since the reports
// are written before the exit.
func (j *job) compareBaseline(r *result.Result) error {
	path := j.baselinePath()
	if path == "" || r == nil {
		return nil
	}
	if r.Interrupted {
		r.Warnings = append(r.Warnings, "the run was interrupted, so it was not compared with the baseline")
		return nil
	}
	b, err := result.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		r.Verdict = gate.Combine(r.Verdict, gate.MissingBaseline(path, j.missingPolicy()))
		return nil
	}
	if err != nil {
		r.Warnings = append(r.Warnings, "baseline not compared: "+err.Error())
		return err
	}
	v, err := gate.CompareBaseline(r, b, j.gateOptions(path))
	if err != nil {
		r.Warnings = append(r.Warnings, "baseline not compared: "+err.Error())
		return err
	}
	gate.FillThresholdBaselines(r.Verdict, r, b, j.gateOptions(path))
	r.Verdict = gate.Combine(r.Verdict, v)
	return nil
}

// gateOptions are the comparison settings of the config and flags.
func (j *job) gateOptions(file string) gate.Options {
	o := gate.Options{Force: j.flags.Force, File: file}
	if j.cfg != nil {
		o.Tolerance = j.cfg.Baseline.Tolerance
	}
	return o
}

// saveBaseline writes --save-baseline: the existing baseline's results of
// the same workload plus this run, the last baseline.keep of them. A
// baseline of another workload is replaced, with a warning; an interrupted
// run is never saved, since partial numbers would skew every later verdict.
func (j *job) saveBaseline(r *result.Result) error {
	path := j.flags.SaveBaseline
	if path == "" || r == nil {
		return nil
	}
	if r.Interrupted {
		fmt.Fprintf(j.env.stderr, "loadgate: the run was interrupted; %s was left unchanged\n", path)
		return nil
	}
	keep := config.DefaultKeep
	if j.cfg != nil && j.cfg.Baseline.Keep > 0 {
		keep = j.cfg.Baseline.Keep
	}
	// Concurrent savers (CI jobs on a shared volume) take turns, so none
	// reads the file between another's read and write and loses its run.
	unlock, err := safefile.Lock(path)
	if err != nil {
		return &usageError{fmt.Sprintf("--save-baseline %s: %v", path, err)}
	}
	defer unlock()
	b, err := result.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		b = &result.Baseline{}
	case err != nil:
		return err // unknown schema or broken JSON: refuse to overwrite what we cannot read
	case b.WorkloadHash() != r.Provenance.WorkloadHash:
		fmt.Fprintf(j.env.stderr, "loadgate: warning: %s holds another workload (%s, this run %s); starting a new baseline\n",
			path, b.WorkloadHash(), r.Provenance.WorkloadHash)
		b = &result.Baseline{}
	}
	b.Append(r, keep)
	var buf bytes.Buffer
	if err := result.WriteBaseline(&buf, b); err != nil {
		return err
	}
	if err := safefile.Write(path, buf.Bytes()); err != nil {
		return &usageError{fmt.Sprintf("--save-baseline %s: %v", path, err)}
	}
	fmt.Fprintf(j.env.stderr, "loadgate: baseline saved to %s (%d of %d kept runs)\n", path, len(b.Results), keep)
	return nil
}

// writeExtraReports writes --csv (Locust's three files) and --junit. The
// HTML report is cmd_report.go's.
func (j *job) writeExtraReports(r *result.Result) error {
	var errs []error
	write := func(path string, render func(io.Writer) error) {
		var buf bytes.Buffer
		if err := render(&buf); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", path, err))
			return
		}
		if err := safefile.Write(path, buf.Bytes()); err != nil {
			errs = append(errs, err)
		}
	}
	if p := j.flags.CSV; p != "" {
		stats, history, failures := report.CSVFiles(p)
		write(stats, func(w io.Writer) error { return report.CSVStats(w, r) })
		write(history, func(w io.Writer) error { return report.CSVHistory(w, r) })
		write(failures, func(w io.Writer) error { return report.CSVFailures(w, r) })
	}
	if p := j.flags.JUnit; p != "" {
		o := report.JUnitOptions{InconclusiveFails: j.inconclusivePolicy() == "fail"}
		write(p, func(w io.Writer) error { return report.JUnit(w, r, o) })
	}
	return errors.Join(errs...)
}

// missingPolicy is baseline.missing, "pass" when unset.
func (j *job) missingPolicy() string {
	if j.cfg != nil && j.cfg.Baseline.Missing != "" {
		return j.cfg.Baseline.Missing
	}
	return "pass"
}

// inconclusivePolicy is baseline.inconclusive, "pass" when unset.
func (j *job) inconclusivePolicy() string {
	if j.cfg != nil && j.cfg.Baseline.Inconclusive != "" {
		return j.cfg.Baseline.Inconclusive
	}
	return "pass"
}

// cmdCompare is `loadgate compare BASE.json NEW.json [-c FILE]`: the gate
// of a run, applied to two stored results. BASE may be a baseline file of
// several runs. Thresholds come from the config when one is given.
func cmdCompare(ctx context.Context, args []string, e *environment) error {
	fset, f, err := newRunFlagSet("compare", e.getenv, e.stderr)
	if err != nil {
		return err
	}
	pos, err := parseInterspersed(fset, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("compare takes two files, BASE.json and NEW.json, got %d", len(pos))
	}
	f.markSet(fset)
	cfg := noConfig()
	if f.set["config"] {
		if cfg, err = config.LoadConfigFile(f.Config, config.Overrides{}, e.lookup); err != nil {
			return err
		}
	}
	base, err := result.ReadFile(pos[0])
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return usagef("compare: %s does not exist", pos[0])
		}
		return err
	}
	cur, err := result.ReadResultFile(pos[1])
	if err != nil {
		return err
	}
	names := make([]string, 0, len(cur.Endpoints))
	for _, ep := range cur.Endpoints {
		if ep != nil {
			names = append(names, ep.Name)
		}
	}
	ths, err := gate.Compile(cfg.Thresholds, names, cfg.File)
	if err != nil {
		return err
	}
	j := &job{cfg: cfg, ths: ths, flags: f, env: e}
	v, err := gate.CompareBaseline(cur, base, j.gateOptions(pos[0]))
	if err != nil {
		return err
	}
	th := gate.Evaluate(cur, ths)
	gate.FillThresholdBaselines(th, cur, base, j.gateOptions(pos[0]))
	cur.Verdict = gate.Combine(th, v)
	if cur.Interrupted {
		cur.Warnings = append(cur.Warnings, pos[1]+" is the result of an interrupted run")
	}
	if err := j.writeReports(cur); err != nil {
		return err
	}
	// A stored result is gated as it is: its interruption is a warning
	// here, not exit 130, which means "this invocation was interrupted".
	switch {
	case cur.Verdict.Status == gate.StatusFail:
		return withCode(exitFail, nil)
	case cur.Verdict.Status == gate.StatusInconclusive && j.inconclusivePolicy() == "fail":
		return withCode(exitInconclusive, nil)
	}
	return nil
}

// noConfig is the config of a command that gates stored results without a
// config file: no thresholds, the baseline section's defaults.
func noConfig() *config.Config {
	return &config.Config{Baseline: config.BaselineSpec{Missing: "pass", Inconclusive: "pass", Keep: config.DefaultKeep}}
}
