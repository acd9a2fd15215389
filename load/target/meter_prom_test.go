package target

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestParseProcessMetrics(t *testing.T) {
	for _, tc := range []struct {
		name  string
		page  string
		cpu   float64
		rss   int64
		procs int
		err   string
	}{
		{"prometheus_client", "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 12.5\nprocess_resident_memory_bytes 3.6827136e+07\n", 12.5, 36827136, 1, ""},
		{"OpenMetrics with labels and a timestamp", "process_cpu_seconds_total{pid=\"1\",note=\"a } in quotes\"} 2 1700000000\nprocess_cpu_seconds_total{pid=\"2\"} 3\nprocess_resident_memory_bytes{pid=\"1\"} 100\nprocess_resident_memory_bytes{pid=\"2\"} 200\n# EOF\n", 5, 300, 2, ""},
		{"no process metrics", "http_requests_total 5\n", 0, 0, 0, "has no process_cpu_seconds_total"},
		{"memory beyond int64", "process_cpu_seconds_total 1\nprocess_resident_memory_bytes 1e300\n", 0, 0, 0, "out of range"},
		{"NaN and negative values skipped", "process_cpu_seconds_total NaN\nprocess_cpu_seconds_total -1\nprocess_resident_memory_bytes +Inf\n", 0, 0, 0, "has no process"},
		{"an unclosed label set", "process_cpu_seconds_total{pid=\"1 5\nprocess_resident_memory_bytes 1\n", 0, 0, 0, "has no process"},
		{"a line over 1 MiB", "process_cpu_seconds_total{a=\"" + strings.Repeat("x", 2<<20) + "\"} 1\n", 0, 0, 0, "longer than 1 MiB"},
		{"a page over 8 MiB", strings.Repeat("some_metric 1\n", 700_000), 0, 0, 0, "larger than 8 MiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cpu, rss, procs, err := ParseProcessMetrics(strings.NewReader(tc.page))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || cpu != tc.cpu || rss != tc.rss || procs != tc.procs {
				t.Fatalf("= %v %v %v %v", cpu, rss, procs, err)
			}
		})
	}
}

// TestPromMeterHostileEndpoints: whatever the metrics endpoint does, a
// reading ends within its timeout with a clear error, and memory stays
// bounded.
func TestPromMeterHostileEndpoints(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		err     string
	}{
		{"500", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) }, "answered 500"},
		{"redirect elsewhere", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://169.254.169.254/metrics", http.StatusFound)
		}, "answered 302"},
		{"slow", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(5 * time.Second):
			case <-r.Context().Done():
			}
		}, "deadline"},
		{"endless page", func(w http.ResponseWriter, r *http.Request) {
			line := []byte("filler_metric 1\n")
			for r.Context().Err() == nil {
				if _, err := w.Write(line); err != nil {
					return
				}
			}
		}, "larger than 8 MiB"},
		{"not metrics", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<html>login</html>") }, "has no process_cpu_seconds_total"},
		{"basic auth needed", func(w http.ResponseWriter, r *http.Request) {
			if u, p, ok := r.BasicAuth(); !ok || u != "u" || p != "p" {
				http.Error(w, "no", 401)
				return
			}
			fmt.Fprint(w, "process_cpu_seconds_total 1\nprocess_resident_memory_bytes 2\n")
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			m := &PromMeter{URL: srv.URL + "/metrics", Auth: "Basic dTpw"}
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
			defer cancel()
			start := time.Now()
			_, _, _, err := m.Read(ctx)
			took := time.Since(start)
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("err %v, want %q", err, tc.err)
			}
			if took > 2*time.Second {
				t.Errorf("a reading took %s", took)
			}
			if grew := int64(after.HeapInuse) - int64(before.HeapInuse); grew > 32<<20 {
				t.Errorf("heap grew by %d MiB", grew>>20)
			}
		})
	}
}

// FuzzParseProcessMetrics: any page parses to an error or to finite,
// non-negative figures, without panicking.
func FuzzParseProcessMetrics(f *testing.F) {
	f.Add("process_cpu_seconds_total 1.5\nprocess_resident_memory_bytes 1e6\n")
	f.Add("process_cpu_seconds_total{a=\"}\\\"\"} 2 17\nprocess_resident_memory_bytes{} 3\n# EOF\n")
	f.Add("{\n}}\n process_cpu_seconds_total\n")
	f.Fuzz(func(t *testing.T, page string) {
		cpu, rss, n, err := ParseProcessMetrics(strings.NewReader(page))
		if err == nil && (cpu < 0 || rss < 0 || n < 1 || cpu != cpu) {
			t.Fatalf("%q: %v %v %v", page, cpu, rss, n)
		}
	})
}
