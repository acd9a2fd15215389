package main

import (
	"context"

	"github.com/loadgate/loadgate/load"
)

// Placeholder hooks, replaced by the baseline work (issue #4).

func (j *job) compareBaseline(r *load.Result) error {
	if j.flags.Baseline != "" {
		return usagef("--baseline is not available in this build yet")
	}
	return nil
}

func (j *job) saveBaseline(r *load.Result) error {
	if j.flags.SaveBaseline != "" {
		return usagef("--save-baseline is not available in this build yet")
	}
	return nil
}

func (j *job) writeExtraReports(r *load.Result) error {
	if j.flags.CSV != "" || j.flags.JUnit != "" || j.flags.HTML != "" {
		return usagef("--csv, --junit and --html are not available in this build yet")
	}
	return nil
}

func cmdCompare(args []string, e *environment) (int, error) {
	return exitUsage, usagef("compare is not available in this build yet")
}

func cmdAB(ctx context.Context, args []string, e *environment) (int, error) {
	return exitUsage, usagef("ab is not available in this build yet")
}
