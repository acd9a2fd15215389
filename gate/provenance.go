package gate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/loadgate/loadgate/load/result"
)

// Which baseline runs a comparison may use, and what the report must say
// about them: the same workload (or --force), complete runs, and the
// machines they ran on.

// usableRuns checks the baseline against the run: the same workload (or
// --force), complete runs; it returns the runs to compare with and the
// warnings the report must show.
func usableRuns(cur *result.Result, base *result.Baseline, o Options) ([]*result.Result, []string, error) {
	name := o.File
	if name == "" {
		name = "baseline"
	}
	if base == nil || len(base.Results) == 0 {
		return nil, nil, &PosError{File: name, Msg: "the baseline holds no results"}
	}
	var warns []string
	var runs []*result.Result
	skipped := 0
	for _, r := range base.Results {
		if r == nil || r.Total == nil {
			continue
		}
		if r.Interrupted || r.Aborted != "" {
			skipped++ // partial runs would skew every later verdict
			continue
		}
		runs = append(runs, r)
	}
	if skipped > 0 {
		warns = append(warns, fmt.Sprintf("%d interrupted baseline runs were left out", skipped)) // or stopped early
	}
	if len(runs) == 0 {
		return nil, nil, &PosError{File: name, Msg: "the baseline holds no complete run"}
	}
	want := cur.Provenance.WorkloadHash
	var other []string
	unknown := want == ""
	for _, r := range runs {
		h := r.Provenance.WorkloadHash
		switch {
		case h == "":
			unknown = true
		case want != "" && h != want && !slices.Contains(other, h):
			other = append(other, h)
		}
	}
	if len(other) > 0 {
		msg := fmt.Sprintf("the baseline was recorded with another workload (workload_hash %s; this run %s): "+
			"its numbers are not comparable", strings.Join(other, ", "), want)
		if !o.Force {
			return nil, nil, &PosError{File: name, Msg: msg + ". Save a new baseline with --save-baseline, or pass --force to compare anyway"}
		}
		warns = append(warns, msg+"; compared anyway because of --force, so a difference may come from the workload rather than the code")
	} else if unknown {
		warns = append(warns, "the workload hash of the run or the baseline is missing, so loadgate cannot tell whether they ran the same workload")
	}
	warns = append(warns, machineWarnings(cur, runs)...)
	return runs, warns, nil
}

// machineWarnings names provenance differences that make a comparison
// weaker but not wrong: another CPU model, runner OS or core count.
func machineWarnings(cur *result.Result, runs []*result.Result) []string {
	p := cur.Provenance
	var cpus, oses, cores []string
	for _, r := range runs {
		q := r.Provenance
		if q.CPUModel != "" && p.CPUModel != "" && q.CPUModel != p.CPUModel && !slices.Contains(cpus, q.CPUModel) {
			cpus = append(cpus, q.CPUModel)
		}
		if q.RunnerOS != "" && p.RunnerOS != "" && q.RunnerOS != p.RunnerOS && !slices.Contains(oses, q.RunnerOS) {
			oses = append(oses, q.RunnerOS)
		}
		if c := fmt.Sprint(q.CPUs); q.CPUs > 0 && p.CPUs > 0 && q.CPUs != p.CPUs && !slices.Contains(cores, c) {
			cores = append(cores, c)
		}
	}
	var out []string
	if len(cpus) > 0 {
		out = append(out, fmt.Sprintf("the baseline was measured on a different CPU (%s) than this run (%s): part of any difference may be the machine",
			strings.Join(cpus, "; "), p.CPUModel))
	}
	if len(oses) > 0 {
		out = append(out, fmt.Sprintf("the baseline was measured on another runner OS (%s) than this run (%s)", strings.Join(oses, ", "), p.RunnerOS))
	}
	if len(cores) > 0 {
		out = append(out, fmt.Sprintf("the baseline was measured with %s CPUs, this run with %d", strings.Join(cores, ", "), p.CPUs))
	}
	return out
}
