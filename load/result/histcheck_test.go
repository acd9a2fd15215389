package result

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"runtime"
	"strings"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// hostileHist is a V2-compressed histogram header claiming the given
// geometry, with no counts.
func hostileHist(low, high int64, digits int32) string {
	var hdr bytes.Buffer
	binary.Write(&hdr, binary.BigEndian, []int32{0x1c849303, 0, 0, digits})
	binary.Write(&hdr, binary.BigEndian, []int64{low, high})
	binary.Write(&hdr, binary.BigEndian, float64(1))
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	w.Write(hdr.Bytes())
	w.Close()
	var env bytes.Buffer
	binary.Write(&env, binary.BigEndian, []int32{0x1c849304, int32(z.Len())})
	env.Write(z.Bytes())
	return base64.StdEncoding.EncodeToString(env.Bytes())
}

// TestHostileHistogramGeometry: a tiny histogram claiming a huge range is
// refused with the file named, quickly and without allocating its counts;
// loadgate's own histograms still read.
func TestHostileHistogramGeometry(t *testing.T) {
	own := NewHistogram()
	own.RecordValue(1234)
	enc, err := own.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, hist string
		ok         bool
	}{
		{"loadgate's own", string(enc), true},
		{"1..2^62 at 5 digits", hostileHist(1, 1<<62, 5), false},
		{"1..2^50 at 3 digits", hostileHist(1, 1<<50, 3), false},
		{"zero lowest", hostileHist(0, 1000, 3), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := `{"schema":"` + ResultSchema + `","total":{"name":"total","requests":1,"histogram":"` + c.hist + `"}}`
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, err := Read(strings.NewReader(doc), "base.json")
			runtime.ReadMemStats(&after)
			if (err == nil) != c.ok {
				t.Fatalf("Read: %v", err)
			}
			if err != nil && !strings.Contains(err.Error(), "base.json") {
				t.Errorf("the error does not name the file: %v", err)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
				t.Errorf("reading allocated %d MiB", grew>>20)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("reading took %v", d)
			}
		})
	}
}
