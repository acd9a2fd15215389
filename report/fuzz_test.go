package report

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadResult: decoding any bytes as a result artifact, then its
// histograms, never panics; accepted results render to Markdown.
//
//	go test ./report -run XXX -fuzz FuzzReadResult -fuzztime 60s
func FuzzReadResult(f *testing.F) {
	files, _ := filepath.Glob("../testdata/*.json")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"schema":"loadgate/result/v1","total":{"name":"total","histogram":"HISTFAAAACl4nJNpmSzMwMDAxQABzFCaEUzOmNZg/wEi0NzIyPSYmYmJiQEAXgEE3w=="}}`))
	f.Add([]byte(`{"schema":"loadgate/baseline/v1","results":[]}`))
	f.Add([]byte(`{"schema":"nope"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := readResult(bytes.NewReader(b), "fuzz.json")
		if err != nil {
			return
		}
		if r.Total != nil {
			_, _ = r.Total.Hist()
		}
		for _, e := range r.Endpoints {
			if e != nil {
				_, _ = e.Hist()
			}
		}
		var out bytes.Buffer
		_ = Markdown(&out, r)
	})
}
