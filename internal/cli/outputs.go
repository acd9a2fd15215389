package cli

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/internal/safefile"
	"github.com/loadgate/loadgate/load/result"
	"github.com/loadgate/loadgate/load/secret"
	"github.com/loadgate/loadgate/report"
	"github.com/sethvargo/go-githubactions"
)

// writeReports writes the terminal table, the Markdown summary, the result
// JSON and the GitHub outputs. A failure to write one is reported but does
// not stop the others.
func (j *job) writeReports(r *result.Result) error {
	e, f := j.env, j.flags
	report.Terminal(e.stdout, r)
	var md bytes.Buffer
	if err := report.Markdown(&md, r); err != nil {
		return err
	}
	var errs []string
	if f.Summary != "" {
		if err := safefile.Write(f.Summary, md.Bytes()); err != nil {
			errs = append(errs, err.Error())
		}
	}
	for _, out := range j.fileOutputs() {
		if err := out.Finish(r); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if e.get("GITHUB_ACTIONS") == "true" || e.get("GITHUB_STEP_SUMMARY") != "" || e.get("GITHUB_OUTPUT") != "" {
		j.github(r, md.String())
	}
	if len(errs) > 0 {
		return &usageError{"writing reports: " + strings.Join(errs, "; ")}
	}
	return nil
}

// fileOutputs is the table of report files a run writes: one row per
// flag (--summary is written above, since GitHub's job summary shares its
// text).
func (j *job) fileOutputs() []report.Sink {
	f := j.flags
	junit := func(w io.Writer, r *result.Result) error {
		return report.JUnit(w, r, report.JUnitOptions{InconclusiveFails: j.inconclusivePolicy() == "fail"})
	}
	rows := []report.File{{Path: f.Out, Render: result.Write}, {Path: f.HTML, Render: report.HTML}, {Path: f.JUnit, Render: junit}}
	if f.CSV != "" {
		stats, history, failures := report.CSVFiles(f.CSV)
		rows = append(rows, report.File{Path: stats, Render: report.CSVStats},
			report.File{Path: history, Render: report.CSVHistory}, report.File{Path: failures, Render: report.CSVFailures})
	}
	var out []report.Sink
	for _, r := range rows {
		if r.Path != "" {
			out = append(out, r)
		}
	}
	return out
}

// checkOutputs makes sure, before anything starts, that every report the
// flags ask for can be written: a typo in --out should cost a second, not
// the run whose result it would have kept (and exit 2 means "nothing was
// measured"). Missing folders are created, as writeReports would.
func (j *job) checkOutputs() error {
	f := j.flags
	outs := []struct{ flag, path string }{{"--out", f.Out}, {"--summary", f.Summary}, {"--html", f.HTML},
		{"--junit", f.JUnit}, {"--csv", f.CSV}, {"--save-baseline", f.SaveBaseline}}
	// --out writes this run alone and would replace the history that
	// --save-baseline keeps in the same file.
	if f.Out != "" && f.SaveBaseline != "" && safefile.Same(f.Out, f.SaveBaseline) {
		return usagef("--out and --save-baseline name the same file (%s): the result would replace the baseline's kept runs", f.Out)
	}
	for _, o := range outs {
		if o.path == "" {
			continue
		}
		if _, err := os.Stat(o.path); err == nil && (strings.HasPrefix(o.path, "/dev/") || strings.HasPrefix(o.path, "/proc/")) {
			continue // a device or a descriptor (/dev/stdout): written in place
		}
		if st, err := os.Stat(o.path); err == nil && o.flag != "--csv" {
			if st.IsDir() {
				return usagef("%s %s is a directory: give a file name", o.flag, o.path)
			}
			if !st.Mode().IsRegular() {
				continue // a device or pipe (/dev/null, /dev/stdout) is written in place
			}
			// An existing file must take writes (opened, not truncated).
			fh, err := os.OpenFile(o.path, os.O_WRONLY, 0)
			if err != nil {
				return usagef("%s %s: %v", o.flag, o.path, err)
			}
			fh.Close()
		}
		dir := filepath.Dir(o.path)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return usagef("%s %s: %v", o.flag, o.path, err)
		}
		probe, err := os.CreateTemp(dir, ".loadgate-probe-*")
		if err != nil {
			return usagef("%s %s: cannot write in %s: %v", o.flag, o.path, dir, err)
		}
		probe.Close()
		os.Remove(probe.Name())
	}
	return nil
}

// github writes the job summary, the step outputs, masks and one ::error
// annotation per failed check. go-githubactions panics in AddStepSummary
// when GITHUB_STEP_SUMMARY is unset, so each file is written only when its
// variable is set.
func (j *job) github(r *result.Result, md string) {
	e := j.env
	gh := githubactions.New(githubactions.WithGetenv(e.getenv), githubactions.WithWriter(e.stdout))
	for _, s := range secret.Secrets() {
		gh.AddMask(s)
	}
	if e.get("GITHUB_STEP_SUMMARY") != "" && j.flags.Summary != e.get("GITHUB_STEP_SUMMARY") {
		gh.AddStepSummary(md)
	}
	if e.get("GITHUB_OUTPUT") != "" {
		// passed follows the exit code: an inconclusive verdict fails it
		// when baseline.inconclusive is fail (exit 4).
		passed := r.Verdict != nil && exitCodeFor(verdictErr(r, j.inconclusivePolicy())) == exitPass
		verdict := "pass"
		if r.Verdict != nil {
			verdict = r.Verdict.Status
		}
		gh.SetOutput("passed", strconv.FormatBool(passed))
		gh.SetOutput("verdict", verdict)
		gh.SetOutput("p95_ms", num(r.Total.LatencyMS.P95))
		gh.SetOutput("p99_ms", num(r.Total.LatencyMS.P99))
		gh.SetOutput("rps", num(r.Total.RPS))
		gh.SetOutput("failure_rate", num(r.Total.FailureRate))
		if j.flags.Out != "" {
			abs, _ := filepath.Abs(j.flags.Out)
			gh.SetOutput("result", abs)
		}
		if j.flags.Summary != "" {
			abs, _ := filepath.Abs(j.flags.Summary)
			gh.SetOutput("summary", abs)
		}
	}
	if r.Verdict != nil {
		failed := gate.Failed(r.Verdict)
		for i, c := range failed {
			if i == maxAnnotations-1 && len(failed) > maxAnnotations {
				gh.Errorf("%d more checks failed — see the job summary", len(failed)-i)
				break
			}
			gh.Errorf("%s", annotation(failedCheckText(c)))
		}
	}
}

// maxAnnotations: GitHub shows at most 10 error annotations of a step, so
// past 9 failed checks the tenth says how many more there are.
const maxAnnotations = 10

// failedCheckText is a failed check's annotation: its name and why, e.g.
// "total p95 vs baseline: p95 +18.2% [+12.1%, +24.0%] beyond tolerance 10%
// and noise" or "total p95 < 500ms: measured 597.5ms".
func failedCheckText(c result.Check) string {
	why := c.Reason
	if why == "" || c.Source == "threshold" {
		why = "measured " + gate.FormatMeasured(c.Measured, c.Unit)
		if gate.NoData(c) {
			why = c.Reason
		}
	}
	return gate.Describe(c) + ": " + why
}

// annotation keeps server text from starting a workflow command: the
// message is one line and cannot contain "::".
func annotation(s string) string {
	s = strings.Join(strings.Fields(secret.Redact(s)), " ")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '?' // an escape sequence would repaint the terminal or the log
		}
		return r
	}, s)
	return strings.ReplaceAll(s, "::", ": :")
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
