// Command target is the loopback server of loadgate's benchmarks:
//
//	hello  answers "hello" at once (generator efficiency)
//	delay  answers after 1 s (memory and accuracy with many users)
//	stall  answers at once, but freezes every response for 1 s once every
//	       5 s (open-model accuracy: the true p99 is about 950 ms at any rate)
//	big    answers a 4 MiB body (memory of checked responses: bench/bounds.sh)
//	flood  answers a status line, then header lines until the client leaves
//	       (the bound on response headers: bench/bounds.sh)
//
// Every response is one TCP segment (headers and a Content-Length body), as
// the hello server's and nginx's are. -chunked makes the stall server answer
// without a length instead: the flushed headers and body, then the chunked
// terminator, two segments. A client that reads two small segments must
// acknowledge them at once (Linux's ICSK_ACK_PUSHED2), so each response
// costs the client an ACK in its read, unless its connection has been idle
// longer than the retransmission timeout, when the kernel acknowledges at
// receipt, in the sending server's CPU time. The choice therefore moves a
// packet's cost between generator and target; see docs/performance.md.
//
// It serves only loopback addresses.
package main

import (
	"encoding/json"
	"flag"
	"log"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address (loopback)")
	mode := flag.String("mode", "hello", "hello | delay | stall | big | flood")
	chunked := flag.Bool("chunked", false, "stall: answer without a length (two TCP segments per response)")
	flag.Parse()
	host, _, err := net.SplitHostPort(*addr)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		log.Fatalf("target: %s is not a loopback address", *addr)
	}
	body := []byte("hello")
	start := time.Now()
	var h http.HandlerFunc
	switch *mode {
	case "hello":
		h = func(w http.ResponseWriter, r *http.Request) { w.Write(body) }
	case "delay":
		h = func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(time.Second)
			w.Write(body)
		}
	case "stall":
		var st serverTimes
		h = func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/__stats" {
				st.report(w)
				return
			}
			t := time.Now()
			if phase := time.Since(start) % (5 * time.Second); phase < time.Second {
				time.Sleep(time.Second - phase)
			}
			if !*chunked {
				w.Header().Set("Content-Length", "5")
			}
			w.Write(body)
			w.(http.Flusher).Flush()
			st.add(time.Since(t))
		}
	case "big":
		big := make([]byte, 4<<20)
		for i := range big {
			big[i] = 'x'
		}
		h = func(w http.ResponseWriter, r *http.Request) { w.Write(big) }
	case "flood":
		line := []byte("X-Flood: " + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n")
		h = func(w http.ResponseWriter, r *http.Request) {
			c, buf, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			defer c.Close()
			buf.WriteString("HTTP/1.1 200 OK\r\n")
			for {
				if _, err := buf.Write(line); err != nil {
					return
				}
				if buf.Flush() != nil {
					return
				}
			}
		}
	default:
		log.Fatalf("target: unknown mode %q", *mode)
	}
	srv := &http.Server{Addr: *addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}

// serverTimes keeps the stall server's own view of each request's latency,
// from the handler's start to the response handed to the kernel: the truth
// a generator's figures are compared with, including the time this server
// itself needs to release a frozen second's worth of responses at once.
type serverTimes struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *serverTimes) add(d time.Duration) {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
}

// report writes the count, p50 and p99 (ms) since the last report, and
// starts over.
func (s *serverTimes) report(w http.ResponseWriter) {
	s.mu.Lock()
	d := s.d
	s.d = nil
	s.mu.Unlock()
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	q := func(p float64) float64 {
		if len(d) == 0 {
			return 0
		}
		return float64(d[min(len(d)-1, int(p*float64(len(d))))]) / 1e6
	}
	json.NewEncoder(w).Encode(map[string]any{"count": len(d), "p50": q(0.50), "p99": q(0.99)})
}
