package cli

import (
	"context"
	"errors"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/load/result"
	"github.com/loadgate/loadgate/load/target"
)

// Exit codes: the one table of what loadgate's exit status means.
const (
	exitPass         = 0   // every check passed
	exitFail         = 1   // the run completed and a check failed
	exitUsage        = 2   // usage, config or file error: nothing was measured
	exitTarget       = 3   // the target failed to start, become ready, or stay up
	exitInconclusive = 4   // inconclusive, with baseline.inconclusive: fail
	exitInterrupted  = 130 // SIGINT/SIGTERM: partial results were written
)

// exitError carries an exit code on an error, as k6's errext does, so
// that commands return errors and the code is chosen once, in exitCodeFor.
// An exitError without an inner error is a verdict: nothing to print.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// withCode attaches an exit code to err (nil err: a silent verdict).
func withCode(code int, err error) error {
	if code == exitPass && err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

// exitCodeFor maps a command's error to the process exit code: the code
// it carries; 3 for a target that failed; 130 for an interruption; 2 for
// everything else, since an error no check decided means nothing was
// measured that could pass.
func exitCodeFor(err error) int {
	var ee *exitError
	var te *target.TargetError
	switch {
	case err == nil:
		return exitPass
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &te):
		return exitTarget
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	}
	return exitUsage
}

// verdictErr is a finished result's exit status: interrupted runs 130, a
// failed verdict 1, an inconclusive one 4 when the config says so.
func verdictErr(r *result.Result, inconclusive string) error {
	switch {
	case r.Interrupted:
		return withCode(exitInterrupted, nil)
	case r.Verdict == nil:
		return nil
	case r.Verdict.Status == gate.StatusFail:
		return withCode(exitFail, nil)
	case r.Verdict.Status == gate.StatusInconclusive && inconclusive == "fail":
		return withCode(exitInconclusive, nil)
	}
	return nil
}
