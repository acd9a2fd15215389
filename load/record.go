package load

import (
	"math/bits"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/loadgate/loadgate/load/result"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// atomicHist records into HdrHistogram's exact count layout with atomic adds,
// so many virtual users record without a lock, and the counts import into a
// real hdrhistogram.Histogram after the run. The layout below is
// hdrhistogram-go's for lowest=1, highest=60 s, 3 digits: 2048 sub-buckets
// (half count 1024, magnitude 10), unit magnitude 0. TestAtomicHistLayout
// proves it equals the library's own indexing.
type atomicHist struct {
	counts []atomic.Int64
}

const (
	subBucketHalfCountMag = 10
	subBucketHalfCount    = 1 << subBucketHalfCountMag
	subBucketMask         = 2*subBucketHalfCount - 1
)

var countsLen = len(result.NewHistogram().Export().Counts)

func newAtomicHist() *atomicHist {
	return &atomicHist{counts: make([]atomic.Int64, countsLen)}
}

func countsIndex(v int64) int {
	bucket := 64 - bits.LeadingZeros64(uint64(v|subBucketMask)) - (subBucketHalfCountMag + 1)
	sub := int(v >> uint(bucket))
	return (bucket+1)<<subBucketHalfCountMag + sub - subBucketHalfCount
}

// record adds one latency in microseconds, clamped into the trackable range
// (a 90 s hang counts as 60 s rather than vanishing).
func (h *atomicHist) record(us int64) {
	if us < result.HistMin {
		us = result.HistMin
	} else if us > result.HistMax {
		us = result.HistMax
	}
	h.counts[countsIndex(us)].Add(1)
}

// snapshot copies the counts into a new histogram.
func (h *atomicHist) snapshot() *hdrhistogram.Histogram {
	c := make([]int64, countsLen)
	for i := range h.counts {
		c[i] = h.counts[i].Load()
	}
	return hdrhistogram.Import(&hdrhistogram.Snapshot{LowestTrackableValue: result.HistMin, HighestTrackableValue: result.HistMax, SignificantFigures: result.HistDigits, Counts: c})
}

func (h *atomicHist) reset() {
	for i := range h.counts {
		h.counts[i].Store(0)
	}
}

// epStats is one endpoint's counters in one shard.
type epStats struct {
	hist     *atomicHist
	requests atomic.Int64
	failures atomic.Int64
	bytes    atomic.Int64      // response body bytes
	status   [600]atomic.Int64 // index = status code; 0 = no response

	mu      sync.Mutex // failure path only
	reasons map[string]int64
	samples map[string]string // reason -> the start of the first failed body
}

// shard is the recording state of a group of users. Users record into their
// own shard, so the two cores of a CI runner rarely touch the same cache
// lines; shards are merged after the run (fortio's per-worker pattern).
type shard struct {
	eps []*epStats
}

// Recorder holds every measured request of a run.
type Recorder struct {
	shards []*shard
	eps    []EndpointInfo
}

// NewRecorder makes a recorder for the endpoints with n shards.
func NewRecorder(eps []EndpointInfo, n int) *Recorder {
	if n < 1 {
		n = 1
	}
	r := &Recorder{eps: eps}
	for i := 0; i < n; i++ {
		s := &shard{}
		for range eps {
			s.eps = append(s.eps, &epStats{hist: newAtomicHist()})
		}
		r.shards = append(r.shards, s)
	}
	return r
}

// Record adds one request: endpoint index, latency in µs, status (0 when
// there was no response) and a failure reason ("" for success). Only timed
// requests enter the latency histogram (see Timed). sample, when not nil,
// is called the first time this shard sees a failure reason, for the start
// of the failed response's body.
func (r *Recorder) Record(shardID, ep int, us int64, status int, reason string, sample func() string) {
	e := r.shards[shardID%len(r.shards)].eps[ep]
	if Timed(status, reason) {
		e.hist.record(us)
	}
	e.requests.Add(1)
	if status >= 0 && status < len(e.status) {
		e.status[status].Add(1)
	}
	if reason != "" {
		e.failures.Add(1)
		e.mu.Lock()
		if e.reasons == nil {
			e.reasons = map[string]int64{}
		}
		// Bound the distinct reasons so a server that puts a request id in
		// every error cannot grow memory without limit.
		if _, ok := e.reasons[reason]; ok || len(e.reasons) < maxReasons {
			if _, seen := e.reasons[reason]; !seen && sample != nil {
				if s := sample(); s != "" {
					if e.samples == nil {
						e.samples = map[string]string{}
					}
					e.samples[reason] = s
				}
			}
			e.reasons[reason]++
		} else {
			e.reasons["other reasons"]++
		}
		e.mu.Unlock()
	}
}

const maxReasons = 100

// AddBytes counts a response body's bytes (Locust's content size).
func (r *Recorder) AddBytes(shardID, ep int, n int64) {
	r.shards[shardID%len(r.shards)].eps[ep].bytes.Add(n)
}

// Timed reports whether a request's latency counts in the percentiles:
// every response, whatever its status, and every timeout (at the time it
// was given up, so a hanging target shows as slow). A request that got no
// response because the connection was refused, reset or closed, or the
// response was malformed, is a failure without a latency: its few
// microseconds would pull the percentiles of a broken target down.
func Timed(status int, reason string) bool {
	return status > 0 || reason == "timeout"
}

// Totals returns the measured requests and failures so far.
func (r *Recorder) Totals() (req, fail int64) {
	for _, s := range r.shards {
		for _, e := range s.eps {
			req += e.requests.Load()
			fail += e.failures.Load()
		}
	}
	return
}

// Stats merges the shards into per-endpoint stats and the total, over a
// measured duration of secs seconds. Endpoints without requests are kept,
// so a threshold on them can say "no data".
func (r *Recorder) Stats(secs float64) ([]*result.Stats, *result.Stats) {
	total := &result.Stats{Name: "total", StatusCodes: map[string]int64{}, FailureReasons: map[string]int64{}}
	totalH := result.NewHistogram()
	var out []*result.Stats
	for i, info := range r.eps {
		st := &result.Stats{Name: info.Name, Method: info.Method, StatusCodes: map[string]int64{}, FailureReasons: map[string]int64{}}
		h := result.NewHistogram()
		for _, s := range r.shards {
			e := s.eps[i]
			h.Merge(e.hist.snapshot())
			st.Requests += e.requests.Load()
			st.Failures += e.failures.Load()
			st.BytesReceived += e.bytes.Load()
			for code := range e.status {
				if n := e.status[code].Load(); n > 0 {
					st.StatusCodes[statusKey(code)] += n
				}
			}
			e.mu.Lock()
			for k, n := range e.reasons {
				st.FailureReasons[k] += n
			}
			for k, s := range e.samples {
				if _, ok := st.FailureSamples[k]; !ok {
					if st.FailureSamples == nil {
						st.FailureSamples = map[string]string{}
					}
					st.FailureSamples[k] = s
				}
			}
			e.mu.Unlock()
		}
		result.Finish(st, h, secs)
		totalH.Merge(h)
		total.Requests += st.Requests
		total.Failures += st.Failures
		total.BytesReceived += st.BytesReceived
		for k, n := range st.StatusCodes {
			total.StatusCodes[k] += n
		}
		for k, n := range st.FailureReasons {
			total.FailureReasons[k] += n
		}
		for k, s := range st.FailureSamples {
			if _, ok := total.FailureSamples[k]; !ok {
				if total.FailureSamples == nil {
					total.FailureSamples = map[string]string{}
				}
				total.FailureSamples[k] = s
			}
		}
		out = append(out, st)
	}
	result.Finish(total, totalH, secs)
	sort.SliceStable(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out, total
}

func statusKey(code int) string {
	if code == 0 {
		return "none"
	}
	return strconv.Itoa(code)
}
