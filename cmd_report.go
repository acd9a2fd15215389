package main

import (
	"context"

	"github.com/loadgate/loadgate/load"
)

// Placeholders, replaced by the reports work (issue #8).

func cmdReport(args []string, e *environment) (int, error) {
	return exitUsage, usagef("report is not available in this build yet")
}

// liveDashboard receives progress during a run and the final result.
type liveDashboard interface {
	update(load.Progress)
	finish(*load.Result)
	close()
}

type noDashboard struct{}

func (noDashboard) update(load.Progress) {}
func (noDashboard) finish(*load.Result)  {}
func (noDashboard) close()               {}

func (j *job) startWeb(ctx context.Context) (liveDashboard, error) { return noDashboard{}, nil }
