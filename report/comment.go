package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/load/result"
)

// The pull-request comment: one per workload, found again by a hidden
// marker and updated in place, with the verdict, the checks that failed or
// moved, and a link to the full job summary. GitHub refuses comments over
// 65,536 characters; this one stays under maxComment whatever the number
// of endpoints.

// CommentMarker starts the comment of one workload, so that a later run
// of it updates that comment and another workload keeps its own.
func CommentMarker(r *result.Result) string {
	id := r.Provenance.WorkloadHash
	if id == "" {
		id = "default"
	}
	return "<!-- loadgate-comment " + id + " -->"
}

const (
	maxComment     = 60_000
	maxCommentRows = 40
)

// Comment renders the comment of a result; link, when set, is the job's
// page with the full summary.
func Comment(w io.Writer, r *result.Result, link string) error {
	var b bytes.Buffer
	b.WriteString(CommentMarker(r) + "\n")
	writeHeadline(&b, r)
	var rows []result.Check
	if r.Verdict != nil {
		for _, c := range r.Verdict.Checks {
			if c.Status != gate.StatusPass || (c.DeltaPct != nil && gate.VsBaseline(c)) {
				rows = append(rows, c)
			}
		}
	}
	if len(rows) > 0 {
		b.WriteString("| check | limit | measured | baseline | delta | result |\n|---|---|---:|---:|---:|---|\n")
		for i, c := range rows {
			if i == maxCommentRows || b.Len() > maxComment-2000 {
				fmt.Fprintf(&b, "\n_%d more checks are in the job summary._\n", len(rows)-i)
				break
			}
			base, delta := "–", "–"
			if c.Baseline != nil {
				base = measuredValue(*c.Baseline, c.Unit)
			}
			if c.DeltaPct != nil {
				delta = fmtSigned(*c.DeltaPct)
			}
			if c.Status == gate.StatusInconclusive {
				delta = "~"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", md(gate.Describe(c), maxNameLen+40),
				md(limitOp(c), 2)+" "+checkValue(c.Limit, c.Unit), measuredValue(c.Measured, c.Unit), base, delta, resultMark(c.Status))
		}
		b.WriteString("\n")
	} else if r.Verdict != nil && len(r.Verdict.Checks) > 0 {
		fmt.Fprintf(&b, "All %d checks passed.\n\n", len(r.Verdict.Checks))
	}
	if link != "" {
		fmt.Fprintf(&b, "[Full report: the job summary](%s)\n", strings.ReplaceAll(link, ")", "%29"))
	}
	_, err := w.Write(b.Bytes())
	return err
}
