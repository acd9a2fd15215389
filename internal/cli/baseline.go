package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/internal/safefile"
	"github.com/loadgate/loadgate/load/config"
	"github.com/loadgate/loadgate/load/result"
)

// The baseline side of a run (docs/gate.md): comparing with a stored
// baseline and saving one. The noise-aware decisions are package gate's.

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
