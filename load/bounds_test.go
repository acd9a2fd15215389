package load

import (
	"bytes"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/loadgate/loadgate/internal/testenv"
)

// TestResponseBounds: a server cannot make loadgate hold more than the
// bounds for one response. Each attack fails its requests with a reason
// naming the limit, the run ends on time, and the memory allocated stays
// far below what the server sent.
func TestResponseBounds(t *testing.T) {
	flood := func(line string) func(net.Conn) {
		return func(c net.Conn) {
			testenv.ReadRequest(c)
			if !strings.HasPrefix(line, "HTTP/") {
				c.Write([]byte("HTTP/1.1 200 OK\r\n"))
			}
			chunk := bytes.Repeat([]byte(line), 256)
			for {
				if _, err := c.Write(chunk); err != nil {
					return
				}
			}
		}
	}
	bigBody := func(c net.Conn) {
		for {
			testenv.ReadRequest(c)
			body := strings.Repeat("x", 4<<20)
			if _, err := c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 4194304\r\n\r\n" + body)); err != nil {
				return
			}
		}
	}
	for _, c := range []struct {
		name, reason string
		serve        func(net.Conn)
	}{
		{"endless headers", "response headers over 1 MiB", flood("X-Flood: " + strings.Repeat("a", 4000) + "\r\n")},
		{"endless short headers", "more than 1000 response header lines", flood("X: a\r\n")},
		{"endless 100 Continue", "more than 1000 response header lines", flood("HTTP/1.1 100 Continue\r\n\r\n")},
		{"4 MiB bodies, checked", "response body over 1 MiB (target.max_body), which expect and extract read whole", bigBody},
	} {
		t.Run(c.name, func(t *testing.T) {
			url := testenv.FaultListener(t, c.serve)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			r := runPlan(t, plan(t, url, `
target: {url: $URL, timeout: 3s}
load: {duration: 1s, users: 4}
tasks: [{get: /, expect: {contains: ok}}]
`))
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			if r.Total.Requests == 0 || r.Total.FailureReasons[c.reason] != r.Total.Requests {
				t.Fatalf("reasons %v of %d requests, want all %q", r.Total.FailureReasons, r.Total.Requests, c.reason)
			}
			if took > 6*time.Second {
				t.Errorf("took %s", took)
			}
			// Live heap after the run: the bounds, not what was sent.
			if grown := int64(after.HeapInuse) - int64(before.HeapInuse); grown > 64<<20 {
				t.Errorf("the heap grew by %d MiB", grown>>20)
			}
			t.Logf("%d requests in %s; heap in use %d → %d MiB, allocated %d MiB",
				r.Total.Requests, took.Round(time.Millisecond), before.HeapInuse>>20, after.HeapInuse>>20, (after.TotalAlloc-before.TotalAlloc)>>20)
		})
	}
}
