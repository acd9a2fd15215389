package result

import "strings"

// Kind is how a metric's value is written in a threshold and stored.
type Kind int

// Metric kinds.
const (
	Duration    Kind = iota // milliseconds; a threshold needs a unit (500ms, 1s)
	Rate                    // per second; "/s" optional
	Count                   // a non-negative whole number
	Percent                 // 0–100; "%" optional
	Utilization             // percent of one CPU core; above 100 with several cores busy
	Bytes                   // a size in bytes; a threshold needs a unit (300MiB, 512KiB, 1GiB)
)

// Metric is one row of the metric table: everything thresholds,
// baseline tolerances, the noise model and the reports need to know about a
// metric. Adding a row is all it takes for all of them to accept it.
type Metric struct {
	Name    string
	Aliases []string // spellings users of other tools type
	Kind    Kind
	// Quantile is a percentile's quantile in (0, 1); 0 for other metrics.
	Quantile float64
	// HigherIsBetter: throughput; for every other metric a larger value is worse.
	HigherIsBetter bool
	// ByDifference: compared with a baseline by difference (points of a
	// rate, a count that is often zero) rather than by ratio on a log
	// scale; its tolerance is absolute.
	ByDifference bool
	// Tolerable: baseline.tolerance may name it.
	Tolerable bool
	// App: a measurement of the app under test itself (its CPU and
	// memory), taken for the whole app and so only for the total.
	App bool
	// Value reads the metric from an endpoint's (or the total's) stats.
	Value func(*Stats) float64
}

// Unit is the unit the metric's limits and measurements are stored in.
func (m Metric) Unit() string {
	switch m.Kind {
	case Duration:
		return "ms"
	case Rate:
		return "/s"
	case Percent, Utilization:
		return "%"
	case Bytes:
		return "B"
	}
	return ""
}

// Metrics is the metric table, in the order checks and messages list them.
var Metrics = []Metric{
	percentile("p50", 0.50, "median"),
	percentile("p75", 0.75),
	percentile("p90", 0.90),
	percentile("p95", 0.95),
	percentile("p99", 0.99),
	percentile("p99.9", 0.999, "p999"),
	{Name: "avg", Kind: Duration, Tolerable: true, Value: func(s *Stats) float64 { return s.LatencyMS.Avg }},
	{Name: "min", Kind: Duration, Tolerable: true, Value: func(s *Stats) float64 { return s.LatencyMS.Min }},
	{Name: "max", Kind: Duration, Tolerable: true, Value: func(s *Stats) float64 { return s.LatencyMS.Max }},
	{Name: "rps", Kind: Rate, HigherIsBetter: true, Tolerable: true, Value: func(s *Stats) float64 { return s.RPS }},
	{Name: "requests", Kind: Count, HigherIsBetter: true, Value: func(s *Stats) float64 { return float64(s.Requests) }},
	{Name: "failures", Kind: Count, ByDifference: true, Value: func(s *Stats) float64 { return float64(s.Failures) }},
	{Name: "failure_rate", Kind: Percent, ByDifference: true, Tolerable: true, Value: func(s *Stats) float64 { return s.FailureRate }},
	// The app's own cost (app.go): CPU milliseconds per request, CPU
	// utilisation, peak resident memory, and resident memory growth per
	// 10,000 requests, the leak signal. Growth is compared by difference:
	// it is often near zero and may be negative.
	{Name: "app_cpu_per_req", Kind: Duration, Tolerable: true, App: true, Value: func(s *Stats) float64 { return s.App.value(appCPUPerReq) }},
	{Name: "app_cpu", Kind: Utilization, Tolerable: true, App: true, Value: func(s *Stats) float64 { return s.App.value(appCPU) }},
	{Name: "app_rss_max", Kind: Bytes, Tolerable: true, App: true, Value: func(s *Stats) float64 { return s.App.value(appRSSMax) }},
	{Name: "app_rss_growth", Kind: Bytes, ByDifference: true, Tolerable: true, App: true, Value: func(s *Stats) float64 { return s.App.value(appRSSGrowth) }},
	{Name: "app_instr_per_req", Kind: Count, Tolerable: true, App: true, Value: func(s *Stats) float64 { return s.App.value(appInstrPerReq) }},
}

// percentile is a latency percentile's row; the histogram gives its value
// at any quantile, so a new percentile needs only a row.
func percentile(name string, q float64, aliases ...string) Metric {
	return Metric{Name: name, Aliases: aliases, Kind: Duration, Quantile: q, Tolerable: true,
		Value: func(s *Stats) float64 { return s.quantile(q) }}
}

// Lookup finds a metric by name or alias, in any case.
func Lookup(name string) (Metric, bool) {
	name = strings.ToLower(name)
	for _, m := range Metrics {
		if m.Name == name {
			return m, true
		}
		for _, a := range m.Aliases {
			if a == name {
				return m, true
			}
		}
	}
	return Metric{}, false
}

// MetricNames lists the table's names, for messages.
func MetricNames(tolerableOnly bool) []string {
	var out []string
	for _, m := range Metrics {
		if m.Tolerable || !tolerableOnly {
			out = append(out, m.Name)
		}
	}
	return out
}

// Metric returns a named metric of the stats, as thresholds and baselines
// name them: durations in milliseconds, rps per second, failure_rate in percent.
func (s *Stats) Metric(name string) (float64, bool) {
	m, ok := Lookup(name)
	if !ok || m.App && s.App.NotMeasured(m.Name) != "" {
		return 0, false
	}
	return m.Value(s), true
}
