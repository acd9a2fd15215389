package report

import (
	"encoding/json"
	"fmt"
	"html/template"

	"github.com/loadgate/loadgate/load/result"
)

// liveState is what the live dashboard shows: the latest progress, the
// timeline so far and, at the end, the verdict. The same state draws the
// first page and every server-sent event, so they cannot disagree.
type liveState struct {
	Phase    string
	Elapsed  string
	Status   string
	Users    int
	Requests int64
	Failures int64
	RPS      string
	P95      string
	Badge    string // CSS class of the phase badge: the verdict's colour at the end
	Done     bool
	Keep     bool
	points   []result.TimelinePt
}

// maxLivePoints bounds the timeline the dashboard keeps: a day-long soak
// test must not grow the dashboard's memory without end. Past it, pairs of
// the oldest seconds are merged, as the report's charts merge them anyway.
const maxLivePoints = 4 * maxChartPoints

// progress takes a progress snapshot.
func (s *liveState) progress(p result.Progress) {
	if s.Done {
		return
	}
	s.Phase, s.Badge = p.Phase, "none"
	s.Elapsed = secs(p.Elapsed) + " / " + secs(p.Total)
	s.Users, s.Requests, s.Failures = p.Users, p.Requests, p.Failures
	s.RPS, s.P95 = fmtRPS(p.RPS), progressMS(p.P95MS)
	switch p.Phase {
	case "warmup":
		s.Status = "Warming up: these seconds are not measured."
	case "stopping":
		s.Status = "Stopping: waiting for requests in flight."
	default:
		s.Status = "Measuring."
	}
	if p.Point != nil && (len(s.points) == 0 || p.Point.T > s.points[len(s.points)-1].T) {
		s.points = append(s.points, *p.Point)
		if len(s.points) > maxLivePoints {
			s.points = downsample(s.points, maxLivePoints/2)
		}
	}
}

// finish shows the final result: its own timeline and totals replace what
// the progress updates gave, and the verdict becomes the status.
func (s *liveState) finish(r *result.Result) {
	t := total(r)
	v := verdictOf(r)
	s.Done = true
	s.Phase, s.Badge = v.Word, v.Class
	s.Requests, s.Failures = t.Requests, t.Failures
	s.RPS, s.P95 = fmtRPS(t.RPS), progressMS(t.LatencyMS.P95)
	s.points = append([]result.TimelinePt(nil), r.Timeline...)
	s.Status = fmt.Sprintf("Run finished: %s — %s. Request rate and p95 above are over the whole run.", v.Word, v.Summary)
	if r.Interrupted {
		s.Status += " The run was interrupted."
	}
	if s.Keep {
		s.Status += " Loading the full report…"
	} else {
		s.Status += " The dashboard stops with loadgate; see the reports it wrote."
	}
}

// liveChart is one chart of the page, by element id.
type liveChart struct {
	ID  string
	SVG template.HTML
}

// charts draws the timeline charts of the state.
func (s *liveState) charts() []liveChart {
	ids := []string{idRPS, idUsers, idFailures, idLatency}
	var out []liveChart
	for i, svg := range timelineCharts(s.points) {
		out = append(out, liveChart{ids[i], svg})
	}
	return append(out, appCharts(s.points)...)
}

// event encodes the state for the page's script. The JSON encoder escapes
// <, > and & inside strings, and the charts' text was escaped when drawn.
func (s *liveState) event() []byte {
	charts := map[string]template.HTML{}
	for _, c := range s.charts() {
		charts[c.ID] = c.SVG
	}
	data, err := json.Marshal(map[string]any{
		"phase": s.Phase, "elapsed": s.Elapsed, "status": s.Status, "users": s.Users,
		"requests": s.Requests, "failures": s.Failures, "rps": s.RPS, "p95": s.P95,
		"charts": charts, "badge": s.Badge, "done": s.Done, "keep": s.Keep,
	})
	if err != nil { // cannot happen for these types; keep the stream valid anyway
		return []byte("{}")
	}
	return data
}

// liveView is the data of the live page's template.
type liveView struct {
	Page pageHead
	liveState
	Charts []liveChart
}

func (s liveState) view() liveView {
	return liveView{Page: newHead("loadgate live", liveJS, true), liveState: s, Charts: s.charts()}
}
