package report

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadgate/loadgate/load/result"
)

func snapshot(phase string, elapsed time.Duration) result.Progress {
	return result.Progress{Phase: phase, Elapsed: elapsed, Total: 65 * time.Second, Users: 50,
		Requests: 1234, Failures: 0, RPS: 45.23, P95MS: 55.4}
}

func TestProgressLine(t *testing.T) {
	p := snapshot("measure", 12*time.Second)
	p.Total = 60 * time.Second
	want := "[measure 12s/60s] users 50 | reqs 1234 | fails 0 | 45.2 req/s | p95 55ms"
	if got := ProgressLine(p); got != want {
		t.Errorf("ProgressLine = %q\nwant %q", got, want)
	}
	p.Dropped, p.P95MS = 3, 4.26
	if got := ProgressLine(p); !strings.HasSuffix(got, "p95 4.3ms | dropped 3") {
		t.Errorf("ProgressLine = %q", got)
	}
}

func TestProgressPrinterLog(t *testing.T) {
	var b bytes.Buffer
	pp := NewProgressPrinter(&b, false)
	for s := 1; s <= 30; s++ {
		phase := "warmup"
		if s > 5 {
			phase = "measure"
		}
		pp.Update(snapshot(phase, time.Duration(s)*time.Second))
	}
	pp.Done()
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	// first (1s), phase change (6s), then every 10 s of run time: 16s, 26s.
	want := []string{"[warmup 1s/", "[measure 6s/", "[measure 16s/", "[measure 26s/"}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), b.String())
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d = %q, want prefix %q", i, lines[i], w)
		}
	}
	if strings.ContainsAny(b.String(), "\r\x1b") {
		t.Error("control characters in a non-TTY log")
	}
}

func TestProgressPrinterTTY(t *testing.T) {
	var b bytes.Buffer
	pp := NewProgressPrinter(&b, true)
	pp.Update(snapshot("measure", time.Second))
	pp.Update(snapshot("measure", 2*time.Second))
	pp.Done()
	pp.Done() // idempotent
	out := b.String()
	if strings.Count(out, "\r") != 2 || strings.Count(out, "\x1b[K") != 2 {
		t.Errorf("want two refreshes, got %q", out)
	}
	if !strings.HasSuffix(out, "\x1b[K\n") || strings.Count(out, "\n") != 1 {
		t.Errorf("Done should end the line once: %q", out)
	}
	var quiet bytes.Buffer
	NewProgressPrinter(&quiet, true).Done()
	if quiet.Len() != 0 {
		t.Errorf("Done without updates wrote %q", quiet.String())
	}
}

func TestProgressPrinterConcurrent(t *testing.T) {
	var b bytes.Buffer
	pp := NewProgressPrinter(&b, true)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() { pp.Update(snapshot("measure", time.Duration(i)*time.Second)) })
	}
	wg.Wait()
	pp.Done()
}
