package report

import (
	"encoding/csv"
	"io"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/loadgate/loadgate/load/result"
)

// Locust-compatible CSV files (`--csv PREFIX`): the names and columns of
// Locust's --csv output, so scripts and dashboards written for Locust read
// loadgate's results unchanged. Times are milliseconds; as in Locust, the
// median and the percentiles are whole milliseconds and "N/A" when an
// endpoint made no requests.

// CSVFiles returns the three file names Locust writes for a prefix.
func CSVFiles(prefix string) (stats, history, failures string) {
	return prefix + "_stats.csv", prefix + "_stats_history.csv", prefix + "_failures.csv"
}

// csvPercentiles are Locust's PERCENTILES_TO_REPORT and their headers.
var csvPercentiles = []struct {
	q    float64 // percent, as hdrhistogram-go takes it
	name string
}{
	{50, "50%"}, {66, "66%"}, {75, "75%"}, {80, "80%"}, {90, "90%"}, {95, "95%"},
	{98, "98%"}, {99, "99%"}, {99.9, "99.9%"}, {99.99, "99.99%"}, {100, "100%"},
}

var statsColumns = []string{
	"Type", "Name", "Request Count", "Failure Count", "Median Response Time", "Average Response Time",
	"Min Response Time", "Max Response Time", "Average Content Size", "Requests/s", "Failures/s",
}

var historyColumns = []string{"Timestamp", "User Count", "Type", "Name", "Requests/s", "Failures/s"}

var historyTotals = []string{
	"Total Request Count", "Total Failure Count", "Total Median Response Time", "Total Average Response Time",
	"Total Min Response Time", "Total Max Response Time", "Total Average Content Size",
}

// CSVStats writes PREFIX_stats.csv: one row per endpoint, sorted by name
// and method as Locust sorts them, then the "Aggregated" row.
func CSVStats(w io.Writer, r *result.Result) error {
	cw := csv.NewWriter(w)
	head := append([]string(nil), statsColumns...)
	for _, p := range csvPercentiles {
		head = append(head, p.name)
	}
	_ = cw.Write(head)
	secs := r.DurationS
	row := func(typ, name string, s *result.Stats) {
		l := s.LatencyMS
		rec := []string{typ, name, csvInt(s.Requests), csvInt(s.Failures), csvMedian(l.P50, s), csvNum(l.Avg),
			csvNum(l.Min), csvNum(l.Max), csvContentSize(s), csvNum(s.RPS), csvNum(csvPerSecond(s.Failures, secs))}
		_ = cw.Write(append(rec, csvPercentileFields(s)...))
	}
	for _, e := range endpointRows(r) {
		row(e.Method, e.Name, e)
	}
	row("", "Aggregated", total(r))
	cw.Flush()
	return cw.Error()
}

// CSVHistory writes PREFIX_stats_history.csv from the timeline: one
// "Aggregated" row per measured second. Locust fills the percentile
// columns with the percentiles so far (with --csv-full-history, of the
// last seconds); loadgate's timeline keeps each second's p50, p95 and p99,
// so those columns hold that second's values and the others are "N/A".
// The total counts are cumulative, as in Locust; the cumulative latencies
// are known only for the whole run, so they fill the last row.
func CSVHistory(w io.Writer, r *result.Result) error {
	cw := csv.NewWriter(w)
	head := append([]string(nil), historyColumns...)
	for _, p := range csvPercentiles {
		head = append(head, p.name)
	}
	head = append(head, historyTotals...)
	app := hasApp(r.Timeline) // the app's columns come last: Locust's readers see its own first
	if app {
		head = append(head, "App CPU %", "App Resident Bytes")
	}
	_ = cw.Write(head)
	start := r.StartedAt.Add(time.Duration(r.Load.WarmupS * float64(time.Second)))
	var reqs, fails int64
	t := total(r)
	for i, pt := range r.Timeline {
		reqs += int64(math.Round(pt.RPS))
		fails += pt.Failures
		rec := []string{strconv.FormatInt(start.Unix()+int64(pt.T), 10), strconv.Itoa(pt.Users), "", "Aggregated",
			strconv.FormatFloat(pt.RPS, 'f', 6, 64), strconv.FormatFloat(float64(pt.Failures), 'f', 6, 64)}
		for _, p := range csvPercentiles {
			v := "N/A"
			switch p.q {
			case 50:
				v = csvMS(pt.P50MS)
			case 95:
				v = csvMS(pt.P95MS)
			case 99:
				v = csvMS(pt.P99MS)
			}
			if pt.RPS == 0 {
				v = "N/A"
			}
			rec = append(rec, v)
		}
		med, avg, lo, hi := "N/A", "N/A", "N/A", "N/A"
		if i == len(r.Timeline)-1 && t.Requests > 0 {
			// The run's own totals: exact where the per-second sums round.
			reqs, fails = t.Requests, t.Failures
			l := t.LatencyMS
			med, avg, lo, hi = csvMS(l.P50), csvNum(l.Avg), csvNum(l.Min), csvNum(l.Max)
		}
		rec = append(rec, csvInt(reqs), csvInt(fails), med, avg, lo, hi, "0")
		if app {
			rec = append(rec, strconv.FormatFloat(pt.AppCPU, 'f', 3, 64), csvInt(pt.AppRSS))
		}
		_ = cw.Write(rec)
	}
	cw.Flush()
	return cw.Error()
}

// CSVFailures writes PREFIX_failures.csv: one row per endpoint and failure
// reason with its count.
func CSVFailures(w io.Writer, r *result.Result) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"Method", "Name", "Error", "Occurrences"})
	rows := failureReasons(r)
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].endpoint != rows[j].endpoint {
			return rows[i].endpoint < rows[j].endpoint
		}
		return rows[i].method < rows[j].method
	})
	for _, rc := range rows {
		// Failure reasons can be server text: one line, no control codes,
		// and no leading = + - @ that a spreadsheet would run as a formula.
		_ = cw.Write([]string{rc.method, csvSafe(rc.endpoint), csvSafe(rc.reason), csvInt(rc.count)})
	}
	cw.Flush()
	return cw.Error()
}

// csvPercentileFields reads Locust's percentiles from the endpoint's
// histogram, or "N/A" for an endpoint without requests.
func csvPercentileFields(s *result.Stats) []string {
	out := make([]string, len(csvPercentiles))
	h, err := s.Hist()
	for i, p := range csvPercentiles {
		switch {
		case s.Requests == 0:
			out[i] = "N/A"
		case err == nil && h.TotalCount() > 0:
			out[i] = csvMS(float64(h.ValueAtQuantile(p.q)) / 1000)
		default:
			out[i] = csvSummaryPercentile(s.LatencyMS, p.q)
		}
	}
	return out
}

// csvSummaryPercentile falls back on the stored summary when a hand-made
// result has no histogram.
func csvSummaryPercentile(l result.Latency, q float64) string {
	switch q {
	case 50:
		return csvMS(l.P50)
	case 75:
		return csvMS(l.P75)
	case 90:
		return csvMS(l.P90)
	case 95:
		return csvMS(l.P95)
	case 99:
		return csvMS(l.P99)
	case 99.9:
		return csvMS(l.P999)
	case 100:
		return csvMS(l.Max)
	}
	return "N/A"
}

// csvMedian is a median as Locust writes it: whole milliseconds, or 0
// without requests.
func csvMedian(v float64, s *result.Stats) string {
	if s.Requests == 0 {
		return "0"
	}
	return csvMS(v)
}

func csvMS(v float64) string { return strconv.FormatInt(int64(math.Round(v)), 10) }

func csvNum(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "0"
	}
	return strconv.FormatFloat(math.Round(v*1000)/1000, 'f', -1, 64)
}

func csvInt(n int64) string { return strconv.FormatInt(n, 10) }

func csvPerSecond(n int64, secs float64) float64 {
	if secs <= 0 {
		return 0
	}
	return float64(n) / secs
}

// csvSafe keeps untrusted text from running as a spreadsheet formula
// (CSV injection) and from spanning lines.
func csvSafe(s string) string {
	s = cleanText(s, maxLineLen)
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@') {
		return "'" + s
	}
	return s
}

// csvContentSize is Locust's Average Content Size: body bytes per request.
func csvContentSize(s *result.Stats) string {
	if s.Requests == 0 {
		return "0"
	}
	return csvInt(s.BytesReceived / s.Requests)
}
