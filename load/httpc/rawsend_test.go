package httpc

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadgate/loadgate/internal/testenv"
)

// TestFastClientRawPath: plain TCP connections on Linux take the path that
// writes the request from inside the poller's read callback; TLS ones do
// not (crypto/tls owns their socket).
func TestFastClientRawPath(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the raw path is checked on Linux")
	}
	url := testenv.FaultListener(t, func(c net.Conn) {
		testenv.ReadRequest(c)
		c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
		time.Sleep(time.Second)
		c.Close()
	})
	fc := NewFastClient(2*time.Second, false)
	defer fc.CloseIdle()
	u := fc.ForUser().(*userClient)
	if _, err := u.Do(context.Background(), reqFor(t, url, "GET"), false); err != nil {
		t.Fatal(err)
	}
	if len(u.conns) != 1 || u.conns[0].raw == nil {
		t.Fatalf("plain TCP connection without the raw path: %+v", u.conns)
	}
}

// TestFastClientLargeBodyAndSlowResponse: a request body far larger than
// the socket buffer (the raw write stops part way and net.Conn finishes
// it), then a response that arrives a few bytes at a time (many reads
// through the raw callback), several times on one connection.
func TestFastClientLargeBodyAndSlowResponse(t *testing.T) {
	body := []byte(strings.Repeat("0123456789abcdef", 1<<20)) // 16 MiB
	url := testenv.FaultListener(t, func(c net.Conn) {
		defer c.Close()
		br := bufio.NewReader(c)
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			time.Sleep(20 * time.Millisecond) // let the client's socket buffer fill
			n, _ := io.Copy(io.Discard, req.Body)
			msg := strconv.FormatInt(n, 10)
			resp := fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\nX-Got: %s\r\n\r\n%s", len(msg), msg, msg)
			for i := 0; i < len(resp); i += 7 {
				if _, err := c.Write([]byte(resp[i:min(i+7, len(resp))])); err != nil {
					return
				}
				time.Sleep(200 * time.Microsecond)
			}
		}
	})
	fc := NewFastClient(10*time.Second, false)
	defer fc.CloseIdle()
	u := fc.ForUser()
	for i := 0; i < 3; i++ {
		r := reqFor(t, url, "POST")
		r.Body = body
		resp, err := u.Do(context.Background(), r, true)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if resp.Status != 200 || string(resp.Body) != strconv.Itoa(len(body)) || resp.Get("X-Got") != string(resp.Body) {
			t.Fatalf("request %d: %d %q %v", i, resp.Status, resp.Body, resp.Headers)
		}
		// A small request after the large one reuses the connection.
		resp, err = u.Do(context.Background(), reqFor(t, url, "GET"), true)
		if err != nil || string(resp.Body) != "0" {
			t.Fatalf("small request %d: %v %q", i, err, resp.Body)
		}
	}
}

// TestFastClientRawFailures: a response that never comes is a timeout,
// a connection the server resets or closes before answering is reported
// as such, on the raw path as on net.Conn's.
func TestFastClientRawFailures(t *testing.T) {
	cases := []struct {
		name, want string
		serve      func(net.Conn)
	}{
		{"silent", "timeout", func(c net.Conn) { testenv.ReadRequest(c); time.Sleep(2 * time.Second); c.Close() }},
		{"reset", "connection reset", func(c net.Conn) {
			testenv.ReadRequest(c)
			c.(*net.TCPConn).SetLinger(0)
			c.Close()
		}},
		{"closed", "connection closed by server", func(c net.Conn) { testenv.ReadRequest(c); c.Close() }},
		{"cut", "connection closed by server", func(c net.Conn) {
			testenv.ReadRequest(c)
			c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"))
			c.Close()
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			url := testenv.FaultListener(t, tc.serve)
			fc := NewFastClient(300*time.Millisecond, false)
			defer fc.CloseIdle()
			_, err := fc.ForUser().Do(context.Background(), reqFor(t, url, "GET"), true)
			if got := Reason(err); got != tc.want {
				t.Errorf("reason %q (%v), want %q", got, err, tc.want)
			}
		})
	}
}

// rawServer reads requests on every connection, counts them, and lets
// answer reply on the bare connection (which net/http would hide);
// answer returns false to stop serving that connection.
func rawServer(t *testing.T, answer func(c net.Conn, req *http.Request, first bool) bool) (string, *atomic.Int32) {
	var first atomic.Bool
	var reqs atomic.Int32
	url := testenv.FaultListener(t, func(c net.Conn) {
		isFirst := first.CompareAndSwap(false, true)
		br := bufio.NewReader(c)
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				c.Close()
				return
			}
			io.Copy(io.Discard, req.Body)
			reqs.Add(1)
			if !answer(c, req, isFirst) {
				return
			}
		}
	})
	return url, &reqs
}

func answerOK(c net.Conn) {
	c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
}

// firstConnThen: the first connection answers one request and then does
// after(c); later connections answer every request with "ok".
func firstConnThen(t *testing.T, after func(c net.Conn)) (string, *atomic.Int32) {
	return rawServer(t, func(c net.Conn, _ *http.Request, first bool) bool {
		answerOK(c)
		if first {
			after(c)
		}
		return !first
	})
}

// TestFastClientTLSIdleStray408: a TLS server that answers an idle
// keep-alive connection with a 408 and closes it does not have the 408
// taken for the next request's response: the idle check looks at the
// socket under TLS.
func TestFastClientTLSIdleStray408(t *testing.T) {
	ts := httptest.NewUnstartedServer(nil)
	ts.StartTLS()
	t.Cleanup(ts.Close)
	var reqs atomic.Int32
	var first atomic.Bool
	plain := testenv.FaultListener(t, func(nc net.Conn) {
		c := tls.Server(nc, ts.TLS)
		defer c.Close()
		isFirst := first.CompareAndSwap(false, true)
		br := bufio.NewReader(c)
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			io.Copy(io.Discard, req.Body)
			reqs.Add(1)
			answerOK(c)
			if isFirst {
				time.Sleep(20 * time.Millisecond)
				c.Write([]byte("HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n"))
				return
			}
		}
	})
	url := strings.Replace(plain, "http://", "https://", 1)
	fc := NewFastClient(3*time.Second, false)
	defer fc.CloseIdle()
	pool := x509.NewCertPool()
	pool.AddCert(ts.Certificate())
	fc.tlsConf.RootCAs = pool
	u := fc.ForUser()
	if _, err := u.Do(context.Background(), reqFor(t, url, "GET"), true); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the 408 and the close arrive while the connection is idle
	resp, err := u.Do(context.Background(), reqFor(t, url, "POST"), true)
	if err != nil || resp.Status != 200 || string(resp.Body) != "ok" {
		t.Fatalf("after an idle 408: %v, status %d %q", err, resp.Status, resp.Body)
	}
	if n := reqs.Load(); n != 2 {
		t.Errorf("the server read %d requests, want 2 (the POST once)", n)
	}
}

// TestFastClientIdleServerClose: a server that closes an idle keep-alive
// connection — even by a FIN alone, keeping the socket open for reading,
// so that no reset answers the next request — costs the next request
// nothing: it goes to a fresh connection at once, on both paths.
func TestFastClientIdleServerClose(t *testing.T) {
	cases := map[string]func(net.Conn){
		"half close, still reading": func(c net.Conn) {
			c.(*net.TCPConn).CloseWrite()
			io.Copy(io.Discard, c)
			c.Close()
		},
		"close": func(c net.Conn) { c.Close() },
		"408 + close": func(c net.Conn) {
			c.Write([]byte("HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n"))
			c.Close()
		},
	}
	for name, after := range cases {
		for _, raw := range []bool{true, false} {
			url, reqs := firstConnThen(t, func(c net.Conn) { time.Sleep(20 * time.Millisecond); after(c) })
			fc := NewFastClient(3*time.Second, false)
			u := fc.ForUser().(*userClient)
			if _, err := u.Do(context.Background(), reqFor(t, url, "GET"), true); err != nil {
				t.Fatal(err)
			}
			if !raw {
				u.conns[0].raw = nil // the net.Conn path
			}
			time.Sleep(100 * time.Millisecond) // the server's close arrives while the connection is idle
			start := time.Now()
			resp, err := u.Do(context.Background(), reqFor(t, url, "POST"), true)
			took := time.Since(start)
			fc.CloseIdle()
			if err != nil || string(resp.Body) != "ok" || took > time.Second {
				t.Errorf("%s (raw %v): %v after %v", name, raw, err, took)
			}
			if n := reqs.Load(); n != 2 {
				t.Errorf("%s (raw %v): the server read %d requests, want 2 (the POST once)", name, raw, n)
			}
		}
	}
}

// TestFastClientCutResponseNotRetried: a response cut short after some of
// it arrived is a failure of that request, never a stale connection to
// send the request again on (a POST would be sent twice).
func TestFastClientCutResponseNotRetried(t *testing.T) {
	cuts := map[string]func(net.Conn){
		"reset in body": func(c net.Conn) {
			c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"))
			time.Sleep(50 * time.Millisecond)
			c.(*net.TCPConn).SetLinger(0)
			c.Close()
		},
		"close in headers": func(c net.Conn) {
			c.Write([]byte("HTTP/1.1 200 OK\r\n"))
			time.Sleep(50 * time.Millisecond)
			c.Close()
		},
	}
	for name, cut := range cuts {
		for _, raw := range []bool{true, false} {
			url, reqs := rawServer(t, func(c net.Conn, req *http.Request, _ bool) bool {
				if req.Method == "POST" {
					cut(c)
					return false
				}
				answerOK(c)
				return true
			})
			fc := NewFastClient(2*time.Second, false)
			u := fc.ForUser().(*userClient)
			if _, err := u.Do(context.Background(), reqFor(t, url, "GET"), true); err != nil {
				t.Fatal(err)
			}
			if !raw {
				u.conns[0].raw = nil
			}
			_, err := u.Do(context.Background(), reqFor(t, url, "POST"), true)
			fc.CloseIdle()
			if err == nil || reqs.Load() != 2 {
				t.Errorf("%s (raw %v): err %v, the server read %d requests, want an error and 2", name, raw, err, reqs.Load())
			}
		}
	}
}

// TestPeekIdleAllocs: the idle check of the net.Conn path allocates
// nothing per probed request (its callback is bound once per connection).
func TestPeekIdleAllocs(t *testing.T) {
	if testenv.RaceEnabled {
		t.Skip("the race detector allocates")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			time.Sleep(2 * time.Second)
			c.Close()
		}
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	c := &fconn{c: nc, sock: rawConnOf(nc)}
	if !c.peekIdle() {
		t.Fatal("an idle connection failed the check")
	}
	if n := testing.AllocsPerRun(100, func() { c.peekIdle() }); n != 0 {
		t.Errorf("peekIdle: %v allocations per call, want 0", n)
	}
}
