package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"

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

// writeHTML writes the run's HTML report when --html is given.
func (j *job) writeHTML(r *result.Result) error {
	if j.flags.HTML == "" {
		return nil
	}
	var b bytes.Buffer
	if err := report.HTML(&b, r); err != nil {
		return err
	}
	return safefile.Write(j.flags.HTML, b.Bytes())
}

// liveDashboard receives progress during a run and the final result.
type liveDashboard interface {
	update(result.Progress)
	finish(*result.Result)
	close()
}

type noDashboard struct{}

func (noDashboard) update(result.Progress) {}
func (noDashboard) finish(*result.Result)  {}
func (noDashboard) close()                 {}

// webDashboard is the live dashboard of --web.
type webDashboard struct {
	d    *report.Dashboard
	ctx  context.Context
	keep bool
	env  *environment
}

func (w *webDashboard) update(p result.Progress) { w.d.Update(p) }
func (w *webDashboard) finish(r *result.Result)  { w.d.Finish(r) }

// close stops the dashboard; with --web-keep it first serves the final
// report until the user interrupts loadgate.
func (w *webDashboard) close() {
	if w.keep && w.ctx.Err() == nil {
		fmt.Fprintf(w.env.stderr, "loadgate: the run is over; the report stays at %s until Ctrl-C (--web-keep)\n", w.d.URL())
		<-w.ctx.Done()
	}
	_ = w.d.Close()
}

// startWeb starts the live dashboard when --web (or --web-keep) is given.
// A busy address is a usage error: nothing has been measured yet.
func (j *job) startWeb(ctx context.Context) (liveDashboard, error) {
	addr := j.flags.webAddr()
	if addr == "" {
		return noDashboard{}, nil
	}
	d, err := report.StartDashboard(addr, j.flags.WebKeep)
	if err != nil {
		return nil, usagef("--web %s: %v (give another address, e.g. --web 127.0.0.1:0 for any free port)", addr, err)
	}
	e := j.env
	fmt.Fprintf(e.stderr, "loadgate: live dashboard at %s\n", d.URL())
	if host, _, err := net.SplitHostPort(addr); err == nil {
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			fmt.Fprintf(e.stderr, "loadgate: warning: the dashboard listens on %s, reachable from other machines; "+
				"it shows endpoint names and failure reasons\n", addr)
		}
	}
	return &webDashboard{d: d, ctx: ctx, keep: j.flags.WebKeep, env: e}, nil
}
