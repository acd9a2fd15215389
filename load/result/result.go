package result

import (
	"math"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Schema names of the artifacts loadgate writes. A reader accepts these and
// refuses any other (docs/reports.md).
const (
	ResultSchema   = "loadgate/result/v1"
	BaselineSchema = "loadgate/baseline/v1"
)

// Histogram geometry shared by every recorder and every decoded artifact:
// microseconds from 1 µs to 60 s at 3 significant digits.
const (
	HistMin    = 1
	HistMax    = 60_000_000
	HistDigits = 3
)

// NewHistogram returns an empty histogram with loadgate's geometry.
func NewHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(HistMin, HistMax, HistDigits)
}

// Result is the result artifact of one run (docs/reports.md). Field names are
// part of the contract; add fields, never rename them.
type Result struct {
	Schema          string       `json:"schema"`
	LoadgateVersion string       `json:"loadgate_version"`
	StartedAt       time.Time    `json:"started_at"`
	DurationS       float64      `json:"duration_s"`
	Provenance      Provenance   `json:"provenance"`
	Load            LoadInfo     `json:"load"`
	Endpoints       []*Stats     `json:"endpoints"`
	Total           *Stats       `json:"total"`
	Timeline        []TimelinePt `json:"timeline"`
	Dropped         int64        `json:"dropped"`
	// NotSent counts open-model starts due in the measured time that went
	// to a new user still in its on_start (a login) when the measured time
	// ended: scheduled, neither sent nor dropped. Sent + dropped + not sent
	// is every start the arrival rate scheduled.
	NotSent     int64 `json:"not_sent,omitempty"`
	Interrupted bool  `json:"interrupted"`
	// Aborted says why a step's on_failure: stop_test ended the run early
	// (the verdict then fails).
	Aborted  string        `json:"aborted,omitempty"`
	Warnings []string      `json:"warnings,omitempty"`
	Verdict  *Verdict      `json:"verdict,omitempty"`
	Target   *TargetReport `json:"target,omitempty"`
}

// Provenance says where and on what a result was measured, so that a
// comparison can refuse a different workload and warn about a different machine.
type Provenance struct {
	Commit       string `json:"commit"` // GITHUB_SHA, else the working directory's git HEAD; empty outside a repository
	Ref          string `json:"ref"`
	RunnerOS     string `json:"runner_os"`
	CPUModel     string `json:"cpu_model"`
	CPUs         int    `json:"cpus"`
	GoVersion    string `json:"go_version"`
	WorkloadHash string `json:"workload_hash"`
	Shard        string `json:"shard"`
}

// LoadInfo records the load shape the run used.
type LoadInfo struct {
	Model       string  `json:"model"` // "closed" or "open"
	Users       int     `json:"users"`
	SpawnRate   float64 `json:"spawn_rate"`
	ArrivalRate float64 `json:"arrival_rate"`
	WarmupS     float64 `json:"warmup_s"`
}

// Latency holds summary latencies in milliseconds.
type Latency struct {
	Min  float64 `json:"min"`
	Avg  float64 `json:"avg"`
	P50  float64 `json:"p50"`
	P75  float64 `json:"p75"`
	P90  float64 `json:"p90"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99.9"`
	Max  float64 `json:"max"`
}

// quantile is the stats' latency (ms) at a quantile in (0, 1): from the
// summary for the percentiles the file stores, else from the histogram.
func (s *Stats) quantile(q float64) float64 {
	l := s.LatencyMS
	switch q {
	case 0.50:
		return l.P50
	case 0.75:
		return l.P75
	case 0.90:
		return l.P90
	case 0.95:
		return l.P95
	case 0.99:
		return l.P99
	case 0.999:
		return l.P999
	}
	h, err := s.Hist()
	if err != nil || h.TotalCount() == 0 {
		return 0
	}
	return Round3(float64(h.ValueAtQuantile(100*q)) / 1000) // hdrhistogram takes a percentage
}

// Stats are the statistics of one endpoint (or of the total).
type Stats struct {
	Name        string  `json:"name"`
	Method      string  `json:"method"` // empty for the total
	Requests    int64   `json:"requests"`
	Failures    int64   `json:"failures"`
	RPS         float64 `json:"rps"`
	FailureRate float64 `json:"failure_rate"` // percent
	// BytesReceived is the response bodies' bytes (the CSV's Average Content Size).
	BytesReceived  int64            `json:"bytes_received,omitempty"`
	LatencyMS      Latency          `json:"latency_ms"`
	StatusCodes    map[string]int64 `json:"status_codes"`
	FailureReasons map[string]int64 `json:"failure_reasons"`
	// FailureSamples holds, per failure reason, the start of the first
	// response body that failed with it (redacted), when there was one.
	FailureSamples map[string]string `json:"failure_samples,omitempty"`
	Histogram      string            `json:"histogram"` // HdrHistogram compressed base64, µs
	// App is the app under test's own cost (app.go); the total's only.
	App *AppStats `json:"app,omitempty"`

	hist *hdrhistogram.Histogram // decoded or recorded histogram; nil until set
}

// TimelinePt is one second of the measured run.
type TimelinePt struct {
	T        int     `json:"t"` // seconds since the measured start, 1-based end of the interval
	Users    int     `json:"users"`
	RPS      float64 `json:"rps"`
	Failures int64   `json:"failures"`
	P50MS    float64 `json:"p50_ms"`
	P95MS    float64 `json:"p95_ms"`
	P99MS    float64 `json:"p99_ms"`
	// AppCPU is the app's CPU in this second, in % of one core, and AppRSS
	// its resident bytes at the second's end, when the app was measured.
	AppCPU float64 `json:"app_cpu,omitempty"`
	AppRSS int64   `json:"app_rss,omitempty"`
}

// Verdict is the gate's decision, stored in the artifact.
type Verdict struct {
	Status   string   `json:"status"` // pass | fail | inconclusive
	Checks   []Check  `json:"checks"`
	Warnings []string `json:"warnings,omitempty"`
}

// Check is one threshold or baseline comparison.
type Check struct {
	Scope    string   `json:"scope"`  // "total" or an endpoint name
	Metric   string   `json:"metric"` // p95, rps, failure_rate, ...
	Op       string   `json:"op"`     // < <= > >=; baseline checks: <= (higher is worse) or >= (rps, requests); "exists" for the baseline file
	Limit    float64  `json:"limit"`
	Measured float64  `json:"measured"`
	Baseline *float64 `json:"baseline"`  // null without a baseline
	DeltaPct *float64 `json:"delta_pct"` // null without a baseline
	Unit     string   `json:"unit"`      // ms, /s, %, or empty for counts
	Status   string   `json:"status"`    // pass | fail | inconclusive
	Reason   string   `json:"reason"`
	Source   string   `json:"source,omitempty"` // "threshold" or "baseline"
	// Default: loadgate added the check because the config has none like
	// it (a failure check for the total; a run that completed nothing).
	Default bool `json:"default,omitempty"`
}

// TargetReport describes the application loadgate started, if any.
type TargetReport struct {
	Command string   `json:"command"`
	PID     int      `json:"pid,omitempty"` // also the process group id
	LogFile string   `json:"log_file,omitempty"`
	Error   string   `json:"error,omitempty"`
	LogTail []string `json:"log_tail,omitempty"`
}

// Hist returns the endpoint's histogram, decoding it from the artifact's
// encoded form on first use. It returns an empty histogram if neither exists.
func (s *Stats) Hist() (*hdrhistogram.Histogram, error) {
	if s.hist != nil {
		return s.hist, nil
	}
	if s.Histogram == "" {
		s.hist = NewHistogram()
		return s.hist, nil
	}
	if err := checkGeometry(s.Histogram); err != nil {
		return nil, err
	}
	h, err := hdrhistogram.Decode([]byte(s.Histogram))
	if err != nil {
		return nil, err
	}
	s.hist = h
	return h, nil
}

// Timed is how many of the requests have a latency: a response of any
// status, or a timeout. Requests refused, reset or closed without a
// response count as failures and have none. A result without a histogram
// (written by hand or by another tool) is judged by its status codes.
func (s *Stats) Timed() int64 {
	if s == nil {
		return 0
	}
	if s.hist == nil && s.Histogram == "" {
		return max(0, s.Requests-s.StatusCodes["none"])
	}
	h, err := s.Hist()
	if err != nil {
		return 0
	}
	return h.TotalCount()
}

// SetHist attaches a histogram and refreshes the encoded form and the
// latency summary from it.
func (s *Stats) SetHist(h *hdrhistogram.Histogram) error {
	s.hist = h
	enc, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return err
	}
	s.Histogram = string(enc)
	s.LatencyMS = LatencyOf(h)
	return nil
}

// LatencyOf summarises a microsecond histogram in milliseconds. Note that
// hdrhistogram-go's ValueAtQuantile takes a percentage (0–100).
func LatencyOf(h *hdrhistogram.Histogram) Latency {
	if h.TotalCount() == 0 {
		return Latency{}
	}
	ms := func(v int64) float64 { return Round3(float64(v) / 1000) }
	return Latency{
		Min:  ms(h.Min()),
		Avg:  Round3(h.Mean() / 1000),
		P50:  ms(h.ValueAtQuantile(50)),
		P75:  ms(h.ValueAtQuantile(75)),
		P90:  ms(h.ValueAtQuantile(90)),
		P95:  ms(h.ValueAtQuantile(95)),
		P99:  ms(h.ValueAtQuantile(99)),
		P999: ms(h.ValueAtQuantile(99.9)),
		Max:  ms(h.Max()),
	}
}

// Round3 rounds to three decimals (microseconds of a millisecond), as
// every figure in the result file is.
func Round3(f float64) float64 {
	if f < 0 {
		return -Round3(-f)
	}
	return float64(int64(f*1000+0.5)) / 1000
}

// Endpoint finds an endpoint's stats by name; "total" returns the total.
func (r *Result) Endpoint(name string) *Stats {
	if name == "total" {
		return r.Total
	}
	for _, e := range r.Endpoints {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// Progress is a snapshot of a running load, delivered about once a second to
// the caller's progress callback (load never prints).
type Progress struct {
	Phase    string        // "warmup", "measure", "stopping"
	Elapsed  time.Duration // since the start of the load (warmup included)
	Total    time.Duration // warmup + measured duration
	Users    int           // virtual users running
	Requests int64         // measured requests so far
	Failures int64         // measured failures so far
	RPS      float64       // over the last second
	P95MS    float64       // of the last second
	Dropped  int64         // open model: starts that found no free user
	// Point is the timeline point of the second that just ended (nil
	// during warmup and the graceful stop), for live dashboards.
	Point *TimelinePt
}

// finish fills the derived fields of a Stats from its histogram and counters.
func Finish(st *Stats, h *hdrhistogram.Histogram, secs float64) {
	_ = st.SetHist(h)
	if secs > 0 {
		st.RPS = Round3(float64(st.Requests) / secs)
	}
	if st.Requests > 0 {
		st.FailureRate = Round3(100 * float64(st.Failures) / float64(st.Requests))
	}
	if math.IsNaN(st.RPS) {
		st.RPS = 0
	}
}
