package load

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadgate/loadgate/internal/testenv"
)

// dropSecondServer answers the first request on each connection, then reads
// the next one whole and closes without answering: the server received it
// (and may have acted on it), but no response came. It counts both.
func dropSecondServer(t *testing.T) (url string, received, dropped *atomic.Int64) {
	received, dropped = new(atomic.Int64), new(atomic.Int64)
	url = testenv.FaultListener(t, func(c net.Conn) {
		defer c.Close()
		br := bufio.NewReader(c)
		for i := 0; ; i++ {
			n := -1
			for {
				line, err := br.ReadString('\n')
				if err != nil {
					return
				}
				if line == "\r\n" {
					break
				}
				if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, "content-length") {
					n, _ = strconv.Atoi(strings.TrimSpace(v))
				}
			}
			if n > 0 {
				io.CopyN(io.Discard, br, int64(n))
			}
			received.Add(1)
			if i == 1 {
				dropped.Add(1)
				return
			}
			c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
		}
	})
	return url, received, dropped
}

// TestClosedConnectionRetriesOnlyIdempotent: a request that was sent whole
// is resent on a fresh connection only if its method is idempotent (RFC
// 9110, 9.2.2). A POST the server received and dropped is a failure, so
// loadgate's request count equals the server's and every drop is counted.
func TestClosedConnectionRetriesOnlyIdempotent(t *testing.T) {
	for _, c := range []struct {
		method     string
		wantFailed bool
	}{
		{"post", true},
		{"get", false},
	} {
		t.Run(c.method, func(t *testing.T) {
			url, received, dropped := dropSecondServer(t)
			p := plan(t, url, `
target: {url: $URL, timeout: 2s}
load: {duration: 2s, users: 4}
tasks:
  - `+c.method+`: /items
`+map[bool]string{true: "    json: {name: x}\n", false: ""}[c.method == "post"])
			start := time.Now()
			r := runPlan(t, p)
			if time.Since(start) > 10*time.Second {
				t.Errorf("the run took %s", time.Since(start))
			}
			tot := r.Total
			if c.wantFailed {
				// Every request the server received is counted once, and
				// every one it dropped is a failure.
				if tot.Requests != received.Load() || tot.Failures != dropped.Load() || tot.Failures == 0 {
					t.Errorf("loadgate: %d requests, %d failures; server: %d received, %d dropped (%v)",
						tot.Requests, tot.Failures, received.Load(), dropped.Load(), tot.FailureReasons)
				}
				if tot.FailureReasons["connection closed by server"] != tot.Failures {
					t.Errorf("reasons %v", tot.FailureReasons)
				}
			} else if tot.Failures != 0 || tot.Requests == 0 {
				// A GET is resent on a fresh connection, as browsers do.
				t.Errorf("GET: %d requests, %d failures %v", tot.Requests, tot.Failures, tot.FailureReasons)
			}
		})
	}
}
