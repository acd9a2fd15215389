package result

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// MergeError says why a set of shard results cannot be merged: nothing
// was measured by the merge, so main exits 2.
type MergeError struct {
	File string // the shard file at fault, "" when the set as a whole is
	Msg  string
}

// Error implements error, naming the file first as compilers do.
func (e *MergeError) Error() string {
	if e.File == "" {
		return e.Msg
	}
	return e.File + ": " + e.Msg
}

// ParseShard reads a provenance shard "I/N". An empty string is "1/1":
// results written before sharding existed are whole runs.
func ParseShard(s string) (i, n int, err error) {
	if s == "" {
		return 1, 1, nil
	}
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return 0, 0, fmt.Errorf("shard %q is not I/N with 1 <= I <= N", s)
	}
	return i, n, nil
}

// Merge adds the results of the shards of one workload into one result
// (docs/ci.md, sharding). Histograms and counters add exactly, so every percentile
// of the merged result is the percentile of all requests of all shards, as
// if one machine had made them. names are the shards' file names, used in
// errors and warnings. The caller gates the merged result; its Verdict is nil.
//
// Refused (a *MergeError): shards of different workloads (workload_hash),
// of different shard counts, the same shard twice, and already merged
// results. A missing shard is a warning, not an error: the thresholds (an
// rps floor, say) decide whether the smaller load is acceptable.
func Merge(names []string, shards []*Result) (*Result, error) {
	if len(shards) == 0 {
		return nil, &MergeError{Msg: "no shard results to merge"}
	}
	if len(names) != len(shards) {
		return nil, fmt.Errorf("load.Merge: %d names for %d shards", len(names), len(shards))
	}
	idx, count, err := checkShards(names, shards)
	if err != nil {
		return nil, err
	}
	first := shards[0]
	out := &Result{
		Schema:          ResultSchema,
		LoadgateVersion: first.LoadgateVersion,
		StartedAt:       first.StartedAt,
		Provenance:      first.Provenance,
		Load:            LoadInfo{Model: first.Load.Model},
	}
	out.Provenance.Shard = shardSet(idx, count)
	for _, r := range shards {
		if r.StartedAt.Before(out.StartedAt) {
			out.StartedAt = r.StartedAt
		}
		// The shards ran side by side, so the merged run lasted as long as
		// the longest shard, and its rates are the sums of theirs.
		out.DurationS = math.Max(out.DurationS, r.DurationS)
		out.Load.Users += r.Load.Users
		out.Load.SpawnRate += r.Load.SpawnRate
		out.Load.ArrivalRate += r.Load.ArrivalRate
		out.Load.WarmupS = math.Max(out.Load.WarmupS, r.Load.WarmupS)
		out.Dropped += r.Dropped
		out.NotSent += r.NotSent
		out.Interrupted = out.Interrupted || r.Interrupted
	}
	out.Load.ArrivalRate = Round3(out.Load.ArrivalRate)
	out.Load.SpawnRate = Round3(out.Load.SpawnRate)
	if out.Endpoints, out.Total, err = mergeStats(names, shards, out.DurationS); err != nil {
		return nil, err
	}
	out.Timeline = mergeTimelines(shards)
	out.Warnings = mergeWarnings(names, shards, idx, count)
	for _, r := range shards {
		if r.Total != nil && r.Total.App != nil {
			// Shards that each started or scraped the app measured it
			// once per shard: a sum would count its CPU several times.
			out.Total.App = &AppStats{Source: r.Total.App.Source, Unavailable: "a merge of shards: each shard measured the app on its own, so their readings cannot be added"}
			break
		}
	}
	return out, nil
}

// checkShards refuses sets that would not add up to one run of one
// workload, and returns each shard's index and the common count.
func checkShards(names []string, shards []*Result) ([]int, int, error) {
	idx := make([]int, len(shards))
	seen := map[int]string{}
	count := 0
	hash := shards[0].Provenance.WorkloadHash
	for k, r := range shards {
		if r == nil || r.Total == nil {
			return nil, 0, &MergeError{File: names[k], Msg: "not a complete result (no total)"}
		}
		if h := r.Provenance.WorkloadHash; h != hash {
			return nil, 0, &MergeError{File: names[k], Msg: fmt.Sprintf(
				"workload %s differs from %s in %s: shards of different workloads cannot be merged (run every shard from the same config and overrides)",
				orNone(h), orNone(hash), names[0])}
		}
		sh := r.Provenance.Shard
		if strings.ContainsAny(sh, "-,") {
			return nil, 0, &MergeError{File: names[k], Msg: fmt.Sprintf("already a merged result (shards %s), not a shard", sh)}
		}
		i, n, err := ParseShard(sh)
		if err != nil {
			return nil, 0, &MergeError{File: names[k], Msg: err.Error()}
		}
		if count == 0 {
			count = n
		} else if n != count {
			return nil, 0, &MergeError{File: names[k], Msg: fmt.Sprintf(
				"shard %s is one of %d, but %s is one of %d: every shard of a run must use the same N", sh, n, names[0], count)}
		}
		if prev, dup := seen[i]; dup {
			return nil, 0, &MergeError{File: names[k], Msg: fmt.Sprintf(
				"shard %d/%d is also %s: merging it twice would count its requests twice", i, n, prev)}
		}
		seen[i] = names[k]
		idx[k] = i
	}
	return idx, count, nil
}

func orNone(h string) string {
	if h == "" {
		return "(none)"
	}
	return h
}

// shardSet writes the merged shards in the provenance field: "1-4/4" for a
// complete set, "1,3/4" otherwise, and plain "1/1" for a single whole run.
func shardSet(idx []int, n int) string {
	s := slices.Sorted(slices.Values(idx))
	if len(s) == 1 {
		return fmt.Sprintf("%d/%d", s[0], n)
	}
	if len(s) == n {
		return fmt.Sprintf("1-%d/%d", n, n)
	}
	parts := make([]string, len(s))
	for k, i := range s {
		parts[k] = strconv.Itoa(i)
	}
	return strings.Join(parts, ",") + "/" + strconv.Itoa(n)
}

// mergeStats merges the endpoints by name, and the totals.
func mergeStats(names []string, shards []*Result, secs float64) ([]*Stats, *Stats, error) {
	byName := map[string]*statsAcc{}
	total := newStatsAcc(&Stats{Name: "total"})
	for k, r := range shards {
		for _, s := range r.Endpoints {
			a := byName[s.Name]
			if a == nil {
				a = newStatsAcc(s)
				byName[s.Name] = a
			}
			if err := a.add(s); err != nil {
				return nil, nil, &MergeError{File: names[k], Msg: fmt.Sprintf("endpoint %q: %v", s.Name, err)}
			}
		}
		if err := total.add(r.Total); err != nil {
			return nil, nil, &MergeError{File: names[k], Msg: "total: " + err.Error()}
		}
	}
	eps := make([]*Stats, 0, len(byName))
	for _, a := range byName {
		eps = append(eps, a.finish(secs))
	}
	// The same order as a single run's result (Recorder.Stats).
	sort.SliceStable(eps, func(a, b int) bool { return eps[a].Name < eps[b].Name })
	return eps, total.finish(secs), nil
}

// statsAcc accumulates one endpoint over the shards.
type statsAcc struct {
	st *Stats
	h  *hdrhistogram.Histogram
}

func newStatsAcc(like *Stats) *statsAcc {
	return &statsAcc{
		st: &Stats{Name: like.Name, Method: like.Method, StatusCodes: map[string]int64{}, FailureReasons: map[string]int64{}},
		h:  NewHistogram(),
	}
}

func (a *statsAcc) add(s *Stats) error {
	h, err := s.Hist()
	if err != nil {
		return fmt.Errorf("histogram cannot be decoded: %v", err)
	}
	// Without its histogram a shard's percentiles cannot be combined
	// exactly; averaging its p95 with the others' would be a guess.
	if s.Requests > 0 && s.Histogram == "" {
		return fmt.Errorf("%d requests but no histogram, so its latencies cannot be merged", s.Requests)
	}
	if dropped := a.h.Merge(h); dropped > 0 {
		return fmt.Errorf("%d latencies lie outside loadgate's histogram range", dropped)
	}
	if a.st.Method == "" {
		a.st.Method = s.Method
	}
	a.st.Requests += s.Requests
	a.st.Failures += s.Failures
	a.st.BytesReceived += s.BytesReceived
	for k, n := range s.StatusCodes {
		a.st.StatusCodes[k] += n
	}
	for k, n := range s.FailureReasons {
		a.st.FailureReasons[k] += n
	}
	for k, v := range s.FailureSamples {
		if _, ok := a.st.FailureSamples[k]; !ok {
			if a.st.FailureSamples == nil {
				a.st.FailureSamples = map[string]string{}
			}
			a.st.FailureSamples[k] = v
		}
	}
	return nil
}

func (a *statsAcc) finish(secs float64) *Stats {
	Finish(a.st, a.h, secs)
	return a.st
}

// mergeTimelines adds the shards' seconds, aligned on the wall clock of each
// shard's measured start (shards started with --start-at line up exactly;
// others to within a second). Users, rps and failures add exactly. The
// per-second percentiles are the request-weighted means of the shards':
// a timeline point keeps no histogram, so they are an estimate for the
// chart; every gated figure comes from the exact totals above.
func mergeTimelines(shards []*Result) []TimelinePt {
	starts := make([]time.Time, len(shards))
	earliest := time.Time{}
	for k, r := range shards {
		starts[k] = r.StartedAt.Add(time.Duration(r.Load.WarmupS * float64(time.Second)))
		if k == 0 || starts[k].Before(earliest) {
			earliest = starts[k]
		}
	}
	type acc struct {
		pt               TimelinePt
		w, p50, p95, p99 float64
	}
	byT := map[int]*acc{}
	for k, r := range shards {
		off := int(math.Round(starts[k].Sub(earliest).Seconds()))
		for _, p := range r.Timeline {
			t := p.T + off
			a := byT[t]
			if a == nil {
				a = &acc{pt: TimelinePt{T: t}}
				byT[t] = a
			}
			a.pt.Users += p.Users
			a.pt.RPS += p.RPS
			a.pt.Failures += p.Failures
			a.w += p.RPS
			a.p50 += p.RPS * p.P50MS
			a.p95 += p.RPS * p.P95MS
			a.p99 += p.RPS * p.P99MS
		}
	}
	out := make([]TimelinePt, 0, len(byT))
	for _, a := range byT {
		pt := a.pt
		pt.RPS = Round3(pt.RPS)
		if a.w > 0 {
			pt.P50MS, pt.P95MS, pt.P99MS = Round3(a.p50/a.w), Round3(a.p95/a.w), Round3(a.p99/a.w)
		}
		out = append(out, pt)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].T < out[b].T })
	return out
}

// mergeWarnings carries the shards' own warnings (once each, naming the
// shard) and adds what the merge itself noticed.
func mergeWarnings(names []string, shards []*Result, idx []int, n int) []string {
	var out []string
	seen := map[string]bool{}
	add := func(w string) {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	have := map[int]bool{}
	for _, i := range idx {
		have[i] = true
	}
	var missing []string
	for i := 1; i <= n; i++ {
		if !have[i] {
			missing = append(missing, fmt.Sprintf("%d/%d", i, n))
		}
	}
	if len(missing) > 0 {
		add(fmt.Sprintf("shards %s are missing: the merged result is %d of %d shards, less load than the config asks for",
			strings.Join(missing, ", "), len(idx), n))
	}
	commits, cpus := map[string]bool{}, map[string]bool{}
	for k, r := range shards {
		commits[r.Provenance.Commit] = true
		cpus[r.Provenance.CPUModel] = true
		if r.Interrupted {
			add(fmt.Sprintf("shard %d/%d (%s) was interrupted: its partial result is merged", idx[k], n, names[k]))
		}
		for _, w := range r.Warnings {
			add(fmt.Sprintf("shard %d/%d: %s", idx[k], n, w))
		}
	}
	if len(commits) > 1 {
		add("the shards measured different commits: " + joinKeys(commits))
	}
	if len(cpus) > 1 {
		add("the shards ran on different CPU models: " + joinKeys(cpus))
	}
	return out
}

func joinKeys(m map[string]bool) string {
	ks := make([]string, 0, len(m))
	for k := range m {
		if k == "" {
			k = "(unknown)"
		}
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

// Pool adds the results of runs of one workload that ran one after another
// (the rounds of an A/B comparison) into one result: histograms and counts
// exactly, as Merge does, rates over the summed measured time, and the
// timelines one after another. names name the runs in errors.
func Pool(names []string, runs []*Result) (*Result, error) {
	if len(runs) == 0 {
		return nil, &MergeError{Msg: "no runs to pool"}
	}
	first := runs[0]
	out := &Result{Schema: ResultSchema, LoadgateVersion: first.LoadgateVersion, StartedAt: first.StartedAt,
		Provenance: first.Provenance, Load: first.Load}
	offset := 0
	for _, r := range runs {
		if r.Provenance.WorkloadHash != first.Provenance.WorkloadHash {
			return nil, &MergeError{Msg: fmt.Sprintf("the runs are of different workloads (%s and %s)",
				orNone(first.Provenance.WorkloadHash), orNone(r.Provenance.WorkloadHash))}
		}
		out.DurationS += r.DurationS
		out.Dropped += r.Dropped
		out.NotSent += r.NotSent
		out.Interrupted = out.Interrupted || r.Interrupted
		for _, w := range r.Warnings {
			if !slices.Contains(out.Warnings, w) {
				out.Warnings = append(out.Warnings, w)
			}
		}
		for _, p := range r.Timeline {
			p.T += offset
			out.Timeline = append(out.Timeline, p)
		}
		offset += int(r.DurationS + 0.5)
	}
	var err error
	out.Endpoints, out.Total, err = mergeStats(names, runs, out.DurationS)
	if err == nil {
		out.Total.App = poolApp(runs)
	}
	return out, err
}
