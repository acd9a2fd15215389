package target

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// PromMeter reads the standard process metrics that Prometheus client
// libraries export (Python's prometheus_client, Go's client_golang, the
// Java and Node clients): process_cpu_seconds_total and
// process_resident_memory_bytes. It is how loadgate measures an app it
// does not start (target.metrics).
type PromMeter struct {
	URL  string
	Auth string // an Authorization header value, or ""
	// Client defaults to a client that follows no redirects and keeps
	// one idle connection: a scrape a second, never in the way of the load.
	Client *http.Client
}

// maxScrape bounds a metrics page: a page larger than this is not a
// process's own metrics, and must not grow loadgate's memory.
const maxScrape = 8 << 20

// Source names the meter in reports.
func (p *PromMeter) Source() string { return "prometheus" }

var promClient = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Transport:     &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: false, Proxy: nil},
}

// Read scrapes the page once.
func (p *PromMeter) Read(ctx context.Context) (float64, int64, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL, nil)
	if err != nil {
		return 0, 0, 0, err
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	if p.Auth != "" {
		req.Header.Set("Authorization", p.Auth)
	}
	c := p.Client
	if c == nil {
		c = promClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("target.metrics: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, 0, 0, fmt.Errorf("target.metrics answered %s", resp.Status)
	}
	cpu, rss, n, err := ParseProcessMetrics(io.LimitReader(resp.Body, maxScrape+1))
	if err != nil {
		return 0, 0, 0, fmt.Errorf("target.metrics: %v", err)
	}
	return cpu, rss, n, nil
}

// ParseProcessMetrics reads the Prometheus text exposition format (and
// OpenMetrics, its successor) and sums process_cpu_seconds_total and
// process_resident_memory_bytes over their series. procs is how many
// series of the CPU metric there were: one per process that exports it.
func ParseProcessMetrics(r io.Reader) (cpu float64, rss int64, procs int, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var haveCPU, haveRSS bool
	var rssSum float64
	read := 0
	for sc.Scan() {
		line := sc.Bytes()
		read += len(line) + 1
		if read > maxScrape {
			return 0, 0, 0, fmt.Errorf("the page is larger than %d MiB", maxScrape>>20)
		}
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		name, v, ok := promSample(string(line))
		if !ok {
			continue
		}
		switch name {
		case "process_cpu_seconds_total", "process_cpu_seconds":
			cpu += v
			procs++
			haveCPU = true
		case "process_resident_memory_bytes":
			rssSum += v
			haveRSS = true
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return 0, 0, 0, errors.New("a line of the page is longer than 1 MiB")
		}
		return 0, 0, 0, err
	}
	if !haveCPU || !haveRSS {
		return 0, 0, 0, errors.New("the page has no process_cpu_seconds_total and process_resident_memory_bytes (the process metrics of a Prometheus client library)")
	}
	if rssSum >= math.MaxInt64 || math.IsInf(cpu, 0) {
		return 0, 0, 0, errors.New("the process metrics are out of range")
	}
	return cpu, int64(rssSum), procs, nil
}

// promSample splits "name{labels} value [timestamp]" into the name and the
// value; false for a line that is not a finite, non-negative sample.
func promSample(line string) (string, float64, bool) {
	end := strings.IndexAny(line, "{ \t")
	if end <= 0 {
		return "", 0, false
	}
	name, rest := line[:end], line[end:]
	if rest[0] == '{' {
		i := labelsEnd(rest)
		if i < 0 {
			return "", 0, false
		}
		rest = rest[i+1:]
	}
	f := strings.Fields(rest)
	if len(f) == 0 {
		return "", 0, false
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return "", 0, false
	}
	return name, v, true
}

// labelsEnd is the index of the brace closing the label set that s starts
// with, or -1. Label values may hold '}' inside quotes, with escapes.
func labelsEnd(s string) int {
	inQ, esc := false, false
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case esc:
			esc = false
		case c == '\\':
			esc = true
		case c == '"':
			inQ = !inQ
		case c == '}' && !inQ:
			return i
		}
	}
	return -1
}
