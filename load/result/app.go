package result

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// AppStats is the cost of the app under test over the measured time: the
// CPU time (user + system) and resident memory of its whole process tree,
// read once a second (docs/gate.md, "The app's own cost"). It belongs to
// the total: a process cannot tell which endpoint its CPU went to.
type AppStats struct {
	// Source says how the app was read: "cgroup" (its own cgroup v2's
	// cpu.stat; memory from /proc), "proc" (/proc of every process of the
	// tree), "prometheus" (the process metrics the app exports).
	Source string `json:"source,omitempty"`
	// Unavailable says why nothing was measured. A check of an app metric
	// then fails for want of data, as any check without data does.
	Unavailable string `json:"unavailable,omitempty"`
	// From and To are when the first and last readings were taken, to
	// set beside the app's own monitoring; Seconds is the time between.
	From        time.Time `json:"from,omitzero"`
	To          time.Time `json:"to,omitzero"`
	Seconds     float64   `json:"seconds,omitempty"`
	CPUSeconds  float64   `json:"cpu_s"`
	CPUPerReqMS float64   `json:"cpu_per_req_ms"`
	CPUPct      float64   `json:"cpu_pct"` // of one core
	RSSMaxBytes int64     `json:"rss_max_bytes"`
	// RSSGrowthBytes is the resident memory gained per 10,000 requests:
	// the slope of the per-second readings over the requests sent so far
	// (GrowthSlope: robust to one step).
	// Nil when the run had too few seconds to fit one.
	RSSGrowthBytes *float64 `json:"rss_growth_bytes,omitempty"`
	// Processes is the most processes the tree had at one reading.
	Processes int `json:"processes,omitempty"`
	// InstrPerReq is the app's user-space instructions per request, from
	// the CPU's performance counters; nil when they could not be counted,
	// and InstrUnavailable says why (hardware counters are rare on VMs).
	InstrPerReq      *float64 `json:"instructions_per_req,omitempty"`
	InstrUnavailable string   `json:"instructions_unavailable,omitempty"`
}

// GrowthPer is the number of requests app_rss_growth is stated per.
const GrowthPer = 10_000

// MinGrowthReadings is how many per-second readings a growth slope needs.
const MinGrowthReadings = 3

// App metric selectors for AppStats.value.
const (
	appCPUPerReq = iota
	appCPU
	appRSSMax
	appRSSGrowth
	appInstrPerReq
)

// value is one app metric; 0 without data (Has tells).
func (a *AppStats) value(which int) float64 {
	if a == nil || a.Unavailable != "" {
		return 0
	}
	switch which {
	case appCPUPerReq:
		return a.CPUPerReqMS
	case appCPU:
		return a.CPUPct
	case appRSSMax:
		return float64(a.RSSMaxBytes)
	case appRSSGrowth:
		if a.RSSGrowthBytes != nil {
			return *a.RSSGrowthBytes
		}
	case appInstrPerReq:
		if a.InstrPerReq != nil {
			return *a.InstrPerReq
		}
	}
	return 0
}

// NotMeasured says why an app metric has no value, or "" when it has one.
func (a *AppStats) NotMeasured(metric string) string {
	switch {
	case a == nil:
		return "the app was not measured: loadgate measures an app it starts (target.start) or one that exports its process metrics (target.metrics)"
	case a.Unavailable != "":
		return "the app was not measured: " + a.Unavailable
	case metric == "app_rss_growth" && a.RSSGrowthBytes == nil:
		return fmt.Sprintf("memory growth needs at least %d seconds of readings", MinGrowthReadings)
	case metric == "app_instr_per_req" && a.InstrPerReq == nil:
		why := a.InstrUnavailable
		if why == "" {
			why = "no request was measured"
		}
		return "instructions were not counted: " + why
	case metric == "app_cpu_per_req" && a.CPUPerReqMS == 0 && a.CPUSeconds > 0:
		return "no request was measured"
	}
	return ""
}

// AppReading is one reading of the app's cumulative CPU time and its
// memory, taken at a boundary of the measured time's seconds.
type AppReading struct {
	Sec   int       // the measured second it closes; 0 at the measured start
	At    time.Time // when it was read
	CPU   float64   // cumulative CPU seconds of the whole tree
	RSS   int64     // resident bytes of the whole tree
	Procs int
	// Instr is the tree's instructions so far, when InstrOK.
	Instr   float64
	InstrOK bool
}

// SetApp derives the app's stats from readings at the measured seconds'
// boundaries, and gives each timeline second the app's CPU % and memory.
// unavailable, when set, is why nothing could be read; readings are then
// ignored.
func (r *Result) SetApp(source, unavailable string, readings []AppReading) {
	if r.Total == nil {
		return
	}
	a := &AppStats{Source: source}
	r.Total.App = a
	if unavailable != "" {
		a.Unavailable = unavailable
		return
	}
	if len(readings) < 2 {
		a.Unavailable = fmt.Sprintf("%d readings of the app in the measured time; two are needed", len(readings))
		return
	}
	first, last := readings[0], readings[len(readings)-1]
	a.From, a.To = first.At.UTC(), last.At.UTC()
	a.Seconds = Round3(last.At.Sub(first.At).Seconds())
	a.CPUSeconds = Round3(math.Max(0, last.CPU-first.CPU))
	if a.Seconds > 0 {
		a.CPUPct = Round3(100 * a.CPUSeconds / a.Seconds)
	}
	byT := map[int]int{}
	for i := range r.Timeline {
		byT[r.Timeline[i].T] = i
	}
	// The requests the readings span: all of them when the readings
	// cover the whole measured time (the last one is numbered for the end,
	// a partial last second included), else those of the seconds they do.
	n := float64(r.Total.Requests)
	whole := first.Sec == 0 && last.Sec >= int(math.Ceil(r.DurationS-1e-9)) && last.Sec >= len(r.Timeline)
	if !whole {
		n = 0
		for _, p := range r.Timeline {
			if p.T > first.Sec && p.T <= last.Sec {
				n += p.RPS
			}
		}
	}
	if n > 0 {
		a.CPUPerReqMS = round6(1000 * a.CPUSeconds / n)
		if first.InstrOK && last.InstrOK && last.Instr >= first.Instr {
			v := math.Round((last.Instr - first.Instr) / n)
			a.InstrPerReq = &v
		}
	}
	var xs, ys []float64 // requests so far, resident bytes
	requests := 0.0
	for i, rd := range readings {
		a.RSSMaxBytes = max(a.RSSMaxBytes, rd.RSS)
		a.Processes = max(a.Processes, rd.Procs)
		if i > 0 {
			prev := readings[i-1]
			if j, ok := byT[rd.Sec]; ok {
				pt := &r.Timeline[j]
				if dt := rd.At.Sub(prev.At).Seconds(); dt > 0 {
					pt.AppCPU = Round3(100 * math.Max(0, rd.CPU-prev.CPU) / dt)
				}
				pt.AppRSS = rd.RSS
				requests += pt.RPS
			} else if whole && i == len(readings)-1 {
				requests = float64(r.Total.Requests) // the partial last second
			}
		}
		xs, ys = append(xs, requests), append(ys, float64(rd.RSS))
	}
	if len(readings) >= MinGrowthReadings {
		if slope, ok := GrowthSlope(xs, ys); ok {
			g := math.Round(slope * GrowthPer)
			a.RSSGrowthBytes = &g
		}
	}
}

// GrowthSlope is the slope of memory over requests that a leak shows and a
// one-off step does not: the median of the Theil–Sen slopes of the run's
// first, middle and last thirds. A leak grows in every third; a queue that
// built up once, or a cache filled once, moves one of them (runs of fewer
// than 9 readings take the Theil–Sen slope of all of them).
func GrowthSlope(xs, ys []float64) (float64, bool) {
	n := len(xs)
	if n < 9 {
		return RobustSlope(xs, ys)
	}
	var parts []float64
	for k := range 3 {
		lo, hi := k*n/3, (k+1)*n/3
		if s, ok := RobustSlope(xs[lo:hi], ys[lo:hi]); ok {
			parts = append(parts, s)
		}
	}
	if len(parts) < 3 {
		return RobustSlope(xs, ys)
	}
	slices.Sort(parts)
	return parts[1], true
}

// RobustSlope is the Theil–Sen slope of y over x: the median of the slopes
// between pairs of points. Memory moves in steps (an allocator takes a new
// arena, a cache fills once), and one step would tilt a least-squares line
// through a flat series; the median ignores it, while a steady leak moves
// every pair alike. Long runs are thinned to 256 evenly spaced points.
// False when x does not vary.
func RobustSlope(xs, ys []float64) (float64, bool) {
	const most = 256
	if n := len(xs); n > most {
		tx, ty := make([]float64, most), make([]float64, most)
		for i := range most {
			j := i * (n - 1) / (most - 1)
			tx[i], ty[i] = xs[j], ys[j]
		}
		xs, ys = tx, ty
	}
	var slopes []float64
	for i := range xs {
		for j := i + 1; j < len(xs); j++ {
			if dx := xs[j] - xs[i]; dx != 0 {
				slopes = append(slopes, (ys[j]-ys[i])/dx)
			}
		}
	}
	if len(slopes) == 0 {
		return 0, false
	}
	slices.Sort(slopes)
	m := len(slopes) / 2
	if len(slopes)%2 == 1 {
		return slopes[m], true
	}
	return (slopes[m-1] + slopes[m]) / 2, true
}

// Slope is the least-squares slope of y over x; false when x does not vary.
func Slope(xs, ys []float64) (float64, bool) {
	n := float64(len(xs))
	if n < 2 {
		return 0, false
	}
	var mx, my float64
	for i := range xs {
		mx += xs[i]
		my += ys[i]
	}
	mx, my = mx/n, my/n
	var sxy, sxx float64
	for i := range xs {
		sxy += (xs[i] - mx) * (ys[i] - my)
		sxx += (xs[i] - mx) * (xs[i] - mx)
	}
	if sxx == 0 {
		return 0, false
	}
	return sxy / sxx, true
}

// poolApp adds the app stats of runs of one app that ran one after another:
// CPU over the summed time and requests, the highest peak, and the growth
// weighted by each run's requests. Nil when no run measured the app.
func poolApp(runs []*Result) *AppStats {
	var out *AppStats
	var reqs, gw, gsum, isum float64
	allInstr := true
	for _, r := range runs {
		if r.Total == nil || r.Total.App == nil {
			continue
		}
		a := r.Total.App
		if out == nil {
			out = &AppStats{Source: a.Source, InstrUnavailable: a.InstrUnavailable}
		}
		if a.Unavailable != "" {
			out.Unavailable = a.Unavailable
			continue
		}
		out.Seconds += a.Seconds
		out.CPUSeconds += a.CPUSeconds
		out.RSSMaxBytes = max(out.RSSMaxBytes, a.RSSMaxBytes)
		out.Processes = max(out.Processes, a.Processes)
		n := float64(r.Total.Requests)
		reqs += n
		if a.RSSGrowthBytes != nil {
			gsum += *a.RSSGrowthBytes * n
			gw += n
		}
		if a.InstrPerReq != nil {
			isum += *a.InstrPerReq * n
		} else {
			allInstr = false
			if out.InstrUnavailable == "" {
				out.InstrUnavailable = a.InstrUnavailable
			}
		}
	}
	if out == nil || out.Unavailable != "" {
		return out
	}
	out.Seconds, out.CPUSeconds = Round3(out.Seconds), Round3(out.CPUSeconds)
	if out.Seconds > 0 {
		out.CPUPct = Round3(100 * out.CPUSeconds / out.Seconds)
	}
	if reqs > 0 {
		out.CPUPerReqMS = round6(1000 * out.CPUSeconds / reqs)
	}
	if gw > 0 {
		g := math.Round(gsum / gw)
		out.RSSGrowthBytes = &g
	}
	if allInstr && reqs > 0 {
		v := math.Round(isum / reqs)
		out.InstrPerReq, out.InstrUnavailable = &v, ""
	}
	return out
}

// round6 keeps six decimals: a fast handler's CPU per request is a few
// microseconds, which three decimals of a millisecond would flatten.
func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }
