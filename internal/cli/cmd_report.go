package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"

	"github.com/loadgate/loadgate/internal/safefile"
	"github.com/loadgate/loadgate/load/result"
	"github.com/loadgate/loadgate/report"
)

// This file holds `loadgate report`, the HTML
// report of a run (--html) and the live dashboard (--web, --web-keep).

func init() { report.Version = version }

// cmdReport is `loadgate report RESULT.json... [--html FILE] [--summary FILE]`:
// one result renders as the run's own reports; several (nightly results,
// or a baseline file that keeps several) render as a trend. It renders and
// does not gate, so it exits 0 whatever the verdicts; `compare` gates.
func cmdReport(ctx context.Context, args []string, e *environment) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	htmlPath := fs.String("html", "", "write a self-contained HTML report (of several results: the trend)")
	summary := fs.String("summary", "", "write the Markdown report (default: append to $GITHUB_STEP_SUMMARY)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("report needs at least one result file: loadgate report RESULT.json... [--html FILE] [--summary FILE]")
	}
	var runs []report.NamedResult
	for _, p := range pos {
		rs, err := readReportInput(p)
		if err != nil {
			return &usageError{err.Error()}
		}
		runs = append(runs, rs...)
	}

	var md, page bytes.Buffer
	if len(runs) == 1 {
		r := runs[0].Result
		report.Terminal(e.stdout, r)
		err = report.Markdown(&md, r)
		if err == nil && *htmlPath != "" {
			err = report.HTML(&page, r)
		}
	} else {
		report.TrendTerminal(e.stdout, runs)
		err = report.TrendMarkdown(&md, runs)
		if err == nil && *htmlPath != "" {
			err = report.TrendHTML(&page, runs)
		}
	}
	if err != nil {
		return err
	}
	if *summary != "" {
		if err := safefile.Write(*summary, md.Bytes()); err != nil {
			return err
		}
	}
	// GitHub expects steps to append to the job summary, never replace it.
	if gs := e.get("GITHUB_STEP_SUMMARY"); gs != "" && gs != *summary {
		if err := safefile.Append(gs, md.Bytes()); err != nil {
			return err
		}
	}
	if *htmlPath != "" {
		if err := safefile.Write(*htmlPath, page.Bytes()); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "loadgate: wrote %s\n", *htmlPath)
	}
	return nil
}

// readReportInput reads a result, or every result a baseline file keeps
// (so `loadgate report .loadgate/baseline.json` draws their trend).
func readReportInput(path string) ([]report.NamedResult, error) {
	b, err := result.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if b.Schema == result.ResultSchema {
		return []report.NamedResult{{Name: path, Result: b.Results[0]}}, nil
	}
	out := make([]report.NamedResult, len(b.Results))
	for i, r := range b.Results {
		out[i] = report.NamedResult{Name: fmt.Sprintf("%s#%d", path, i+1), Result: r}
	}
	return out, nil
}
