package load

import (
	"bufio"
	"context"
	"net"
	"testing"
	"time"

	"github.com/loadgate/loadgate/internal/testenv"
	"github.com/loadgate/loadgate/load/config"
	"github.com/loadgate/loadgate/load/httpc"
)

// cannedServer answers every request on a connection with the same bytes,
// allocating nothing per request, so -benchmem shows the client side only.
func cannedServer(b testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n{\"item_id\":7,\"price\":50.0}\n")
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				r := bufio.NewReaderSize(c, 8192)
				for {
					// Read up to the end of the head, then the body if any.
					n := 0
					for {
						line, err := r.ReadSlice('\n')
						if err != nil {
							return
						}
						if len(line) <= 2 {
							break
						}
						if len(line) > 16 && (line[0] == 'C' || line[0] == 'c') && string(line[1:15]) == "ontent-Length:" {
							for _, ch := range line[15:] {
								if ch >= '0' && ch <= '9' {
									n = n*10 + int(ch-'0')
								}
							}
						}
					}
					if n > 0 {
						r.Discard(n)
					}
					if _, err := c.Write(resp); err != nil {
						return
					}
				}
			}(c)
		}
	}()
	return "http://" + l.Addr().String()
}

// pathUser compiles a one-task config against url and returns a user of
// a bare engine (no run loop) and the task's step, for driving whole
// requests one at a time.
func pathUser(tb testing.TB, url, task string) (*vuser, *step) {
	cfg, err := config.ParseConfig("t.yml", tb.TempDir(), []byte("target: {url: "+url+"}\ntasks: ["+task+"]\n"), config.Overrides{}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	p, err := Compile(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	e := &engine{plan: p, stopping: make(chan struct{}), tl: newTimeline()}
	e.fast = httpc.NewFastClient(5*time.Second, false)
	e.client = e.fast
	tb.Cleanup(e.fast.CloseIdle)
	e.rec = NewRecorder(p.Endpoints, 1)
	e.mStart, e.mEnd = time.Now(), time.Now().Add(time.Hour)
	return newUser(e, 0, p.Classes[0]), p.Classes[0].tasks[0].steps[0]
}

// TestFastClientRequestAllocs: a constant request, whole (build, send,
// receive, record), allocates nothing; a stray escape on the client's
// hot path shows here rather than only in a benchmark nobody runs. Run
// without -race by .ci/run (the race detector changes the counts).
func TestFastClientRequestAllocs(t *testing.T) {
	if testenv.RaceEnabled {
		t.Skip("allocation counts differ under the race detector")
	}
	u, st := pathUser(t, cannedServer(t), `{name: c, get: /hello}`)
	u.do(context.Background(), st, time.Time{}) // dial outside the count
	if n := testing.AllocsPerRun(500, func() {
		if u.do(context.Background(), st, time.Time{}) != stepOK {
			t.Fatal("request failed")
		}
	}); n != 0 {
		t.Errorf("%.0f allocations per constant request, want 0", n)
	}
}

// BenchmarkRequestPath is one whole request as a virtual user makes it:
// build (templates), send, receive, check, record. Its allocs/op is the
// figure docs/performance.md reports per request.
func BenchmarkRequestPath(b *testing.B) {
	for _, c := range []struct{ name, task string }{
		{"constant", `{name: c, get: /hello}`},
		{"template", `{name: t, get: "/items/{{ randInt 1 100 }}"}`},
		{"json-body", `{name: j, post: /create_item, json: {name: "x{{ randInt 1 9 }}", price: "{{ randFloat 1 9 2 }}"}}`},
		{"extract", `{name: e, get: /items/7, extract: {id: json item_id}, expect: {status: 200}}`},
	} {
		b.Run(c.name, func(b *testing.B) {
			u, st := pathUser(b, cannedServer(b), c.task)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if u.do(ctx, st, time.Time{}) != stepOK {
					b.Fatal("request failed")
				}
			}
		})
	}
}
