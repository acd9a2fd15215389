package load

import (
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/loadgate/loadgate/internal/testenv"
)

// TestFaultReasons: every kind of target failure is measured under a
// stable, readable reason, and none crashes or hangs the run.
func TestFaultReasons(t *testing.T) {
	tlsSrv := httptest.NewUnstartedServer(http.NotFoundHandler())
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake failures are the point
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)
	plain := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(plain.Close)
	cases := []struct {
		name, url, reason string
	}{
		{"refused", "http://" + testenv.RefusedAddr, "connection refused"},
		{"reset", testenv.FaultListener(t, func(c net.Conn) {
			testenv.ReadRequest(c)
			c.(*net.TCPConn).SetLinger(0) // close with RST
			c.Close()
		}), "connection reset"},
		{"closed", testenv.FaultListener(t, func(c net.Conn) { testenv.ReadRequest(c); c.Close() }), "connection closed by server"},
		{"never answers", testenv.FaultListener(t, func(c net.Conn) { testenv.ReadRequest(c); time.Sleep(5 * time.Second); c.Close() }), "timeout"},
		{"malformed", testenv.FaultListener(t, func(c net.Conn) {
			testenv.ReadRequest(c)
			c.Write([]byte("HTTP/1.1 abc nonsense\r\n\r\n"))
			c.Close()
		}), "malformed HTTP response"},
		{"slow body", testenv.FaultListener(t, func(c net.Conn) {
			testenv.ReadRequest(c)
			c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nab"))
			time.Sleep(5 * time.Second) // slow loris: the body never completes
			c.Close()
		}), "timeout"},
		{"5xx", testenv.FaultListener(t, func(c net.Conn) {
			testenv.ReadRequest(c)
			c.Write([]byte("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n"))
			c.Close()
		}), "status 502"},
		{"untrusted cert", tlsSrv.URL, "tls: certificate not trusted"},
		{"https to plain http", strings.Replace(plain.URL, "http://", "https://", 1), "tls: server did not answer with TLS"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			// 500 ms where the timeout is the fault; elsewhere room for a
			// TLS handshake under the race detector on a busy CI machine
			// (it once took over 500 ms there).
			timeout := "3s"
			if c.reason == "timeout" {
				timeout = "500ms"
			}
			r := runPlan(t, plan(t, c.url, `
target: {url: $URL, timeout: `+timeout+`}
load: {duration: 1s, users: 2}
wait_time: constant 100ms
tasks: [{name: x, get: /x}]
`))
			if took := time.Since(start); took > 4*time.Second {
				t.Errorf("run took %s", took)
			}
			if r.Total.Requests == 0 || r.Total.Failures != r.Total.Requests {
				t.Fatalf("requests %d failures %d %v", r.Total.Requests, r.Total.Failures, r.Total.FailureReasons)
			}
			if r.Total.FailureReasons[c.reason] != r.Total.Failures {
				t.Errorf("reasons %v, want all %q", r.Total.FailureReasons, c.reason)
			}
		})
	}
}
