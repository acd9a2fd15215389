package load

import (
	"math/rand/v2"
	"testing"

	"github.com/loadgate/loadgate/load/result"
)

// TestAtomicHistLayout proves the lock-free recorder uses hdrhistogram-go's
// own bucket layout: the same values give the same counts, index by index.
func TestAtomicHistLayout(t *testing.T) {
	a := newAtomicHist()
	ref := result.NewHistogram()
	vals := []int64{1, 2, 1023, 1024, 2047, 2048, 2049, 4095, 4096, 50_000, 999_999, 1_000_000, result.HistMax - 1, result.HistMax}
	for i := 0; i < 20000; i++ {
		vals = append(vals, 1+rand.Int64N(result.HistMax))
	}
	for _, v := range vals {
		a.record(v)
		if err := ref.RecordValue(v); err != nil {
			t.Fatal(err)
		}
	}
	got, want := a.snapshot().Export().Counts, ref.Export().Counts
	if len(got) != len(want) {
		t.Fatalf("counts length %d, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("index %d: %d, want %d", i, got[i], want[i])
		}
	}
	if a.snapshot().ValueAtQuantile(99) != ref.ValueAtQuantile(99) {
		t.Error("p99 differs")
	}
}

func TestRecordClampsOutOfRange(t *testing.T) {
	a := newAtomicHist()
	a.record(0)
	a.record(-5)
	a.record(result.HistMax * 10)
	h := a.snapshot()
	if h.TotalCount() != 3 || h.Max() < result.HistMax*99/100 {
		t.Errorf("count %d max %d", h.TotalCount(), h.Max())
	}
}

func TestRecorderMergesShards(t *testing.T) {
	r := NewRecorder([]EndpointInfo{{Name: "a", Method: "GET"}, {Name: "b", Method: "POST"}}, 4)
	for i := 0; i < 1000; i++ {
		r.Record(i, i%2, int64(1000+i), 200, "", nil)
	}
	r.Record(1, 1, 5000, 503, "status 503", nil)
	eps, total := r.Stats(10)
	if total.Requests != 1001 || total.Failures != 1 || total.StatusCodes["503"] != 1 {
		t.Fatalf("total %+v", total)
	}
	if eps[0].Requests != 500 || eps[1].Requests != 501 || eps[1].FailureReasons["status 503"] != 1 {
		t.Errorf("endpoints %+v %+v", eps[0], eps[1])
	}
	if total.RPS != 100.1 {
		t.Errorf("rps %v", total.RPS)
	}
	h, err := total.Hist()
	if err != nil || h.TotalCount() != 1001 {
		t.Errorf("histogram %v %v", h.TotalCount(), err)
	}
}

// BenchmarkRecord shows recording allocates nothing (0 allocs/op).
func BenchmarkRecord(b *testing.B) {
	r := NewRecorder([]EndpointInfo{{Name: "a"}}, 2)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := int64(0)
		for pb.Next() {
			i++
			r.Record(int(i), 0, 1000+i%50000, 200, "", nil)
		}
	})
}
