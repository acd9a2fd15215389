package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"html"
	"math"
	"sort"
	"strings"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/internal/safefile"
	"github.com/loadgate/loadgate/load/result"
)

// cmdHistory is `loadgate history add --file H RESULT.json...` (append runs
// to a history file) and `loadgate history --file H [--summary F]
// [--html F] [--fail-on-change]` (change points over the whole series;
// exit 1 with --fail-on-change when the newest entry starts a change for
// the worse).
func cmdHistory(ctx context.Context, args []string, e *environment) error {
	add := len(args) > 0 && args[0] == "add"
	if add {
		args = args[1:]
	}
	fs := flag.NewFlagSet("history", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	file := fs.String("file", "", "the history file")
	summary := fs.String("summary", "", "write the Markdown report (default: append to $GITHUB_STEP_SUMMARY)")
	htmlPath := fs.String("html", "", "write the HTML trend page")
	failOn := fs.Bool("fail-on-change", false, "exit 1 when the newest entry starts a change for the worse")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *file == "" {
		return usagef("history needs --file H: the history file")
	}
	if add {
		return historyAdd(e, *file, pos)
	}
	if len(pos) > 0 {
		return usagef("history takes no arguments (history add --file H RESULT.json... appends runs)")
	}
	h, err := result.ReadHistoryFile(*file)
	if err != nil {
		return err
	}
	if len(h.Entries) == 0 {
		return usagef("%s holds no entries: add runs with loadgate history add --file %s RESULT.json", *file, *file)
	}
	a := analyseHistory(h)
	var md bytes.Buffer
	a.markdown(&md, h)
	fmt.Fprint(e.stdout, md.String())
	if *summary != "" {
		if err := safefile.Write(*summary, md.Bytes()); err != nil {
			return err
		}
	} else if gs := e.get("GITHUB_STEP_SUMMARY"); gs != "" {
		if err := safefile.Append(gs, md.Bytes()); err != nil {
			return err
		}
	}
	if *htmlPath != "" {
		var page bytes.Buffer
		a.html(&page, h)
		if err := safefile.Write(*htmlPath, page.Bytes()); err != nil {
			return err
		}
	}
	if *failOn && len(a.newest) > 0 {
		return withCode(exitFail, errors.New("the newest entry starts a change for the worse: "+strings.Join(a.newest, "; ")))
	}
	return nil
}

// historyAdd appends runs, under the file's lock (concurrent nightly jobs).
func historyAdd(e *environment, file string, paths []string) error {
	if len(paths) == 0 {
		return usagef("history add needs result files: loadgate history add --file H RESULT.json...")
	}
	var entries []result.HistoryEntry
	for _, p := range paths {
		r, err := result.ReadResultFile(p)
		if err != nil {
			return err
		}
		entries = append(entries, r.Entry())
	}
	unlock, err := safefile.Lock(file)
	if err != nil {
		return err
	}
	defer unlock()
	h, err := result.ReadHistoryFile(file)
	if err != nil {
		return err
	}
	h.Entries = append(h.Entries, entries...)
	var b bytes.Buffer
	if err := result.WriteHistory(&b, h); err != nil {
		return err
	}
	if err := safefile.Write(file, b.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "loadgate: %s now holds %d entries\n", file, len(h.Entries))
	return nil
}

// historyAnalysis is every series' change points and whether the newest
// entry starts a change for the worse.
type historyAnalysis struct {
	series []historySeries
	newest []string
}

type historySeries struct {
	scope, metric string
	idx           []int // entry of each value
	values        []float64
	cps           []gate.ChangePoint
}

func analyseHistory(h *result.History) historyAnalysis {
	var a historyAnalysis
	byKey := map[[2]string]*historySeries{}
	var keys [][2]string
	for i, e := range h.Entries {
		for scope, ms := range e.Metrics {
			for metric, v := range ms {
				k := [2]string{scope, metric}
				s := byKey[k]
				if s == nil {
					s = &historySeries{scope: scope, metric: metric}
					byKey[k] = s
					keys = append(keys, k)
				}
				s.idx = append(s.idx, i)
				s.values = append(s.values, v)
			}
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] == "total" || keys[j][0] != "total" && keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	last := len(h.Entries) - 1
	for _, k := range keys {
		s := byKey[k]
		m, _ := result.Lookup(s.metric)
		logScale := !m.ByDifference
		if m.ByDifference {
			// failure_rate: a difference in points, where zeros are common.
			logScale = false
		}
		s.cps = gate.ChangePoints(s.values, logScale)
		if s.idx[len(s.idx)-1] == last {
			jitter := 0.0
			if m.Kind == result.Duration && !m.App {
				jitter = gate.SchedulerJitterMS
			}
			if worse, pct := gate.NewestStartsChange(s.values, logScale, !m.HigherIsBetter, jitter); worse {
				a.newest = append(a.newest, fmt.Sprintf("%s %s %+.1f%%", s.scope, s.metric, pct))
			}
		}
		a.series = append(a.series, *s)
	}
	return a
}

func entryName(h *result.History, i int) string {
	e := h.Entries[i]
	c := e.Commit
	if len(c) > 12 {
		c = c[:12]
	}
	if c == "" {
		c = "?"
	}
	return fmt.Sprintf("#%d %s (%s)", i+1, c, e.Time.UTC().Format("2006-01-02"))
}

func (a historyAnalysis) markdown(b *bytes.Buffer, h *result.History) {
	fmt.Fprintf(b, "## loadgate history: %d entries, %s to %s\n\n", len(h.Entries),
		h.Entries[0].Time.UTC().Format("2006-01-02"), h.Entries[len(h.Entries)-1].Time.UTC().Format("2006-01-02"))
	if len(a.newest) > 0 {
		fmt.Fprintf(b, "> **The newest entry starts a change for the worse:** %s\n\n", strings.Join(a.newest, "; "))
	}
	n := 0
	for _, s := range a.series {
		n += len(s.cps)
	}
	if n == 0 {
		b.WriteString("No change points: every metric kept its level over the whole series.\n")
		return
	}
	b.WriteString("| scope | metric | from | change | level before → after | confidence | commits |\n|---|---|---|---:|---|---:|---|\n")
	for _, s := range a.series {
		for _, cp := range s.cps {
			at, before := s.idx[cp.At], s.idx[cp.At-1]
			fmt.Fprintf(b, "| %s | %s | %s | %+.1f%% | %s → %s | %.1f%% | %s…%s |\n", md(s.scope), s.metric,
				md(entryName(h, at)), cp.ChangePct, num3(cp.Before), num3(cp.After), 100*(1-cp.P),
				shortCommit(h.Entries[before].Commit), shortCommit(h.Entries[at].Commit))
		}
	}
}

func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	if c == "" {
		return "?"
	}
	return c
}

func num3(v float64) string { return fmt.Sprintf("%.3g", v) }

// md escapes table text for the history's Markdown.
func md(s string) string {
	return strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;", "\n", " ").Replace(annotation(s))
}

// html writes a self-contained trend page: one line chart per series with
// change points marked, for the total's series first.
func (a historyAnalysis) html(b *bytes.Buffer, h *result.History) {
	b.WriteString("<!DOCTYPE html><meta charset=utf-8><title>loadgate history</title>" +
		"<style>body{font:14px sans-serif;margin:2em}svg{background:#fafafa;border:1px solid #ddd;margin:4px 0}" +
		".cp{stroke:#d33;stroke-width:2;stroke-dasharray:4 3}</style>\n")
	fmt.Fprintf(b, "<h1>loadgate history</h1><p>%d entries; change points are the red lines.</p>\n", len(h.Entries))
	const w, hgt = 720.0, 160.0
	for _, s := range a.series {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range s.values {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		if hi == lo {
			hi = lo + 1
		}
		x := func(i int) float64 { return 10 + (w-20)*float64(i)/math.Max(1, float64(len(h.Entries)-1)) }
		y := func(v float64) float64 { return hgt - 10 - (hgt-20)*(v-lo)/(hi-lo) }
		var pts []string
		for i, v := range s.values {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(s.idx[i]), y(v)))
		}
		fmt.Fprintf(b, "<h3>%s %s</h3><svg width=%d height=%d>", html.EscapeString(s.scope), html.EscapeString(s.metric), int(w), int(hgt))
		for _, cp := range s.cps {
			cx := x(s.idx[cp.At])
			fmt.Fprintf(b, "<line class=cp x1=%.1f x2=%.1f y1=0 y2=%d><title>%s: %+.1f%%</title></line>",
				cx, cx, int(hgt), html.EscapeString(entryName(h, s.idx[cp.At])), cp.ChangePct)
		}
		fmt.Fprintf(b, "<polyline fill=none stroke=#36c stroke-width=1.5 points=\"%s\"/></svg>\n", strings.Join(pts, " "))
	}
}
