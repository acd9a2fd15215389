package gate

import "testing"

// FuzzParseThreshold: any expression parses or is refused with an error;
// an accepted one has a known metric and operator and prints back.
//
//	go test ./gate -run XXX -fuzz FuzzParseThreshold -fuzztime 60s
func FuzzParseThreshold(f *testing.F) {
	for _, s := range []string{"p95 < 500ms", "rps >= 30", "failure_rate < 1%", "p99.9<=2s", "requests > 50", "p95 lt 5", "", "p95 < -1ms", "failure_rate < 101%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		th, err := ParseThreshold(s)
		if err != nil {
			return
		}
		if th.Metric == "" || th.Op == "" {
			t.Fatalf("%q accepted without metric or operator: %+v", s, th)
		}
		if _, err := ParseThreshold(canonical(th)); err != nil {
			t.Fatalf("%q accepted, but its own form %q is refused: %v", s, canonical(th), err)
		}
	})
}
