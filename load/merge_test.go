package load

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/loadgate/loadgate/load/result"
)

var mergeEPs = []EndpointInfo{{Name: "/a", Method: "GET"}, {Name: "/b", Method: "POST"}}

// fakeShard records n requests with latencies drawn around base µs into a
// Recorder, as a run would, and also into all (the "one machine" recorder).
func fakeShard(t *testing.T, rng *rand.Rand, all *Recorder, shard string, n int, base int64) *result.Result {
	t.Helper()
	rec := NewRecorder(mergeEPs, 2)
	for k := 0; k < n; k++ {
		ep := k % 2
		us := base + rng.Int64N(base) + rng.Int64N(50)*rng.Int64N(50) // a long tail
		status, reason := 200, ""
		if k%17 == 0 {
			status, reason = 503, "status 503"
		}
		rec.Record(k, ep, us, status, reason, nil)
		all.Record(k, ep, us, status, reason, nil)
	}
	eps, total := rec.Stats(2)
	return &result.Result{
		Schema: result.ResultSchema, StartedAt: time.Date(2026, 11, 26, 20, 0, 0, 0, time.UTC), DurationS: 2,
		Provenance: result.Provenance{WorkloadHash: "sha256:abc", Shard: shard, CPUModel: "cpu"},
		Load:       result.LoadInfo{Model: "closed", Users: 5, SpawnRate: 5},
		Endpoints:  eps, Total: total,
		Timeline: []result.TimelinePt{{T: 1, Users: 5, RPS: float64(n) / 2, P95MS: 1}, {T: 2, Users: 5, RPS: float64(n) / 2, P95MS: 3}},
	}
}

// roundTrip sends a result through its JSON form, as shard files travel.
func roundTrip(t *testing.T, r *result.Result) *result.Result {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var out result.Result
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

func TestMergeIsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	all := NewRecorder(mergeEPs, 1)
	// Shards of different speed: the merged p95 is not any shard's p95.
	a := roundTrip(t, fakeShard(t, rng, all, "1/2", 3000, 2000))
	b := roundTrip(t, fakeShard(t, rng, all, "2/2", 2000, 9000))
	m, err := result.Merge([]string{"a.json", "b.json"}, []*result.Result{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if m.Total.Requests != a.Total.Requests+b.Total.Requests || m.Total.Requests != 5000 {
		t.Errorf("requests %d, want %d + %d", m.Total.Requests, a.Total.Requests, b.Total.Requests)
	}
	if m.Total.Failures != a.Total.Failures+b.Total.Failures {
		t.Errorf("failures %d, want %d + %d", m.Total.Failures, a.Total.Failures, b.Total.Failures)
	}
	// The p95 of the merged result is the p95 of the merged histograms.
	h := result.NewHistogram()
	for _, r := range []*result.Result{a, b} {
		hr, err := r.Total.Hist()
		if err != nil {
			t.Fatal(err)
		}
		h.Merge(hr)
	}
	if want := result.LatencyOf(h); m.Total.LatencyMS != want {
		t.Errorf("merged latency %+v, want %+v (from the merged histograms)", m.Total.LatencyMS, want)
	}
	// ... and the same as one machine recording every request.
	eps, total := all.Stats(2)
	if m.Total.LatencyMS != total.LatencyMS || m.Total.LatencyMS.P95 != result.LatencyOf(h).P95 {
		t.Errorf("merged %+v, one recorder %+v", m.Total.LatencyMS, total.LatencyMS)
	}
	mh, _ := m.Total.Hist()
	if !mh.Equals(h) {
		t.Error("merged histogram differs from the sum of the shards'")
	}
	for i, e := range eps {
		got := m.Endpoints[i]
		if got.Name != e.Name || got.Method != e.Method || got.Requests != e.Requests || got.LatencyMS != e.LatencyMS {
			t.Errorf("endpoint %s: merged %+v, one recorder %+v", e.Name, got, e)
		}
		if got.StatusCodes["503"] != e.StatusCodes["503"] || got.FailureReasons["status 503"] != e.FailureReasons["status 503"] {
			t.Errorf("endpoint %s: codes %v reasons %v, want %v %v", e.Name, got.StatusCodes, got.FailureReasons, e.StatusCodes, e.FailureReasons)
		}
		if got.FailureRate != e.FailureRate || got.RPS != e.RPS {
			t.Errorf("endpoint %s: rate %v rps %v, want %v %v", e.Name, got.FailureRate, got.RPS, e.FailureRate, e.RPS)
		}
	}
	if m.Total.RPS != 2500 || m.Load.Users != 10 || m.Load.SpawnRate != 10 || m.DurationS != 2 {
		t.Errorf("rps %v users %d spawn %v duration %v", m.Total.RPS, m.Load.Users, m.Load.SpawnRate, m.DurationS)
	}
	if m.Provenance.Shard != "1-2/2" || m.Provenance.WorkloadHash != "sha256:abc" || m.Verdict != nil {
		t.Errorf("provenance %+v verdict %v", m.Provenance, m.Verdict)
	}
	if len(m.Timeline) != 2 || m.Timeline[0].RPS != 2500 || m.Timeline[0].Users != 10 {
		t.Errorf("timeline %+v", m.Timeline)
	}
	if len(m.Warnings) != 0 {
		t.Errorf("warnings %q", m.Warnings)
	}
}

func TestMergeRefuses(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	all := NewRecorder(mergeEPs, 1)
	shard := func(s, hash string) *result.Result {
		r := fakeShard(t, rng, all, s, 10, 1000)
		r.Provenance.WorkloadHash = hash
		return r
	}
	cases := []struct {
		name   string
		shards []*result.Result
		want   string
	}{
		{"other workload", []*result.Result{shard("1/2", "sha256:aaa"), shard("2/2", "sha256:bbb")}, "workload sha256:bbb differs from sha256:aaa"},
		{"other count", []*result.Result{shard("1/2", "h"), shard("2/3", "h")}, "same N"},
		{"twice", []*result.Result{shard("1/2", "h"), shard("1/2", "h")}, "twice"},
		{"merged", []*result.Result{shard("1-2/2", "h")}, "already a merged result"},
		{"bad shard", []*result.Result{shard("3/2", "h")}, "not I/N"},
		{"none", nil, "no shard results"},
	}
	for _, c := range cases {
		names := []string{"a.json", "b.json"}[:len(c.shards)]
		_, err := result.Merge(names, c.shards)
		var me *result.MergeError
		if !errors.As(err, &me) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want a MergeError with %q", c.name, err, c.want)
		}
	}
	// A histogram that is missing cannot be merged exactly.
	r := shard("1/1", "h")
	b, _ := json.Marshal(r.Total) // decoded from JSON: no histogram kept beside the text
	r.Total = &result.Stats{}
	if err := json.Unmarshal(b, r.Total); err != nil {
		t.Fatal(err)
	}
	r.Total.Histogram = ""
	if _, err := result.Merge([]string{"x.json"}, []*result.Result{r}); err == nil || !strings.Contains(err.Error(), "no histogram") {
		t.Errorf("missing histogram: %v", err)
	}
}

func TestMergeWarnsAndAligns(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	all := NewRecorder(mergeEPs, 1)
	a := fakeShard(t, rng, all, "1/3", 100, 1000)
	c := fakeShard(t, rng, all, "3/3", 100, 1000)
	c.StartedAt = a.StartedAt.Add(time.Second) // started a second later
	c.Provenance.Commit = "other"
	c.Warnings = []string{"fell behind"}
	m, err := result.Merge([]string{"a.json", "c.json"}, []*result.Result{a, c})
	if err != nil {
		t.Fatal(err)
	}
	w := strings.Join(m.Warnings, "\n")
	for _, want := range []string{"shards 2/3 are missing", "shard 3/3: fell behind", "different commits"} {
		if !strings.Contains(w, want) {
			t.Errorf("warnings lack %q:\n%s", want, w)
		}
	}
	if m.Provenance.Shard != "1,3/3" {
		t.Errorf("shard %q", m.Provenance.Shard)
	}
	// t=1 only a, t=2 both, t=3 only c; p95 weighted by each shard's rps.
	if len(m.Timeline) != 3 || m.Timeline[1].RPS != 100 || m.Timeline[1].P95MS != 2 || m.Timeline[2].Users != 5 {
		t.Errorf("timeline %+v", m.Timeline)
	}
}

func TestParseShard(t *testing.T) {
	for in, want := range map[string][2]int{"": {1, 1}, "1/1": {1, 1}, "3/4": {3, 4}} {
		i, n, err := result.ParseShard(in)
		if err != nil || i != want[0] || n != want[1] {
			t.Errorf("%q: %d/%d %v", in, i, n, err)
		}
	}
	for _, in := range []string{"0/2", "3/2", "x/2", "2", "1/0"} {
		if _, _, err := result.ParseShard(in); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

// TestMergeSpawnRateShares: three shards of spawn_rate 10 record 10/3 each
// (unrounded) and the merge gives back 10, not 9.999.
func TestMergeSpawnRateShares(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	all := NewRecorder(mergeEPs, 1)
	var rs []*result.Result
	for i := 1; i <= 3; i++ {
		r := fakeShard(t, rng, all, fmt.Sprintf("%d/3", i), 100, 2000)
		r.Load.SpawnRate = 10.0 / 3
		rs = append(rs, roundTrip(t, r))
	}
	m, err := result.Merge([]string{"1.json", "2.json", "3.json"}, rs)
	if err != nil {
		t.Fatal(err)
	}
	if m.Load.SpawnRate != 10 {
		t.Errorf("merged spawn_rate %v, want 10", m.Load.SpawnRate)
	}
}
