package httpc

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadgate/loadgate/internal/testenv"
	"github.com/loadgate/loadgate/load/secret"
)

func reqFor(t *testing.T, raw, method string) *Request {
	t.Helper()
	tg, err := ParseTarget(raw)
	if err != nil {
		t.Fatal(err)
	}
	return &Request{Method: method, Scheme: tg.Scheme, Host: tg.Host, Addr: tg.Addr, Path: tg.Prefix}
}

// TestFastClientResponses: status, headers and bodies come out as net/http
// reads them, for every framing a server may use.
func TestFastClientResponses(t *testing.T) {
	big := strings.Repeat("x", 100_000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/chunked":
			w.Header().Set("X-Id", "7")
			fl := w.(http.Flusher)
			for i := 0; i < 5; i++ {
				fmt.Fprintf(w, "part%d;", i)
				fl.Flush()
			}
		case "/big":
			w.Write([]byte(big))
		case "/nocontent":
			w.WriteHeader(204)
		case "/notmodified":
			w.WriteHeader(304)
		case "/bigheaders":
			w.Header().Set("X-Big", strings.Repeat("h", 10_000))
			w.Write([]byte("ok"))
		case "/close":
			w.Header().Set("Connection", "close")
			w.Write([]byte("bye"))
		case "/echo":
			b := make([]byte, 100)
			n, _ := r.Body.Read(b)
			fmt.Fprintf(w, "%s %s %s %s", r.Method, r.Host, r.Header.Get("X-A"), b[:n])
		default:
			w.Write([]byte("hello"))
		}
	}))
	defer srv.Close()
	fc := NewFastClient(5*time.Second, false)
	defer fc.CloseIdle()
	u := fc.ForUser()
	cases := []struct {
		path, method, want string
		status             int
	}{
		{"/", "GET", "hello", 200},
		{"/chunked", "GET", "part0;part1;part2;part3;part4;", 200},
		{"/big", "GET", big, 200},
		{"/nocontent", "GET", "", 204},
		{"/notmodified", "GET", "", 304},
		{"/bigheaders", "GET", "ok", 200},
		{"/close", "GET", "bye", 200},
		{"/", "HEAD", "", 200},
		{"/", "GET", "hello", 200}, // after Connection: close, a fresh connection
	}
	for _, c := range cases {
		resp, err := u.Do(context.Background(), reqFor(t, srv.URL+c.path, c.method), true)
		if err != nil {
			t.Fatalf("%s %s: %v", c.method, c.path, err)
		}
		if resp.Status != c.status || string(resp.Body) != c.want {
			t.Errorf("%s %s: %d %q, want %d %.20q", c.method, c.path, resp.Status, secret.Clip(string(resp.Body)), c.status, c.want)
		}
	}
	r := reqFor(t, srv.URL+"/echo", "POST")
	r.Headers = []Header{{"X-A", "b"}}
	r.Body = []byte("payload")
	resp, err := u.Do(context.Background(), r, true)
	if err != nil || string(resp.Body) != "POST "+r.Host+" b payload" {
		t.Errorf("echo: %q %v", resp.Body, err)
	}
	resp, _ = u.Do(context.Background(), reqFor(t, srv.URL+"/chunked", "GET"), true)
	if resp.Get("x-id") != "7" {
		t.Errorf("headers %v", resp.Headers)
	}
}

// TestFastClientKeepAlive: one user, one connection, however many requests.
func TestFastClientKeepAlive(t *testing.T) {
	var mu sync.Mutex
	conns := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		conns[r.RemoteAddr]++
		mu.Unlock()
	}))
	defer srv.Close()
	fc := NewFastClient(5*time.Second, false)
	defer fc.CloseIdle()
	u := fc.ForUser()
	for i := 0; i < 50; i++ {
		if _, err := u.Do(context.Background(), reqFor(t, srv.URL, "GET"), false); err != nil {
			t.Fatal(err)
		}
	}
	if len(conns) != 1 {
		t.Errorf("%d connections for 50 requests, want 1", len(conns))
	}
}

// TestFastClientStaleRetry: a server that closes idle keep-alive
// connections does not cause failures: the request is retried once.
func TestFastClientStaleRetry(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				testenv.ReadRequest(c)
				c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
				time.Sleep(50 * time.Millisecond)
				c.Close() // closes the keep-alive connection without saying so
			}(c)
		}
	}()
	fc := NewFastClient(2*time.Second, false)
	defer fc.CloseIdle()
	u := fc.ForUser()
	for i := 0; i < 5; i++ {
		resp, err := u.Do(context.Background(), reqFor(t, "http://"+l.Addr().String()+"/", "GET"), true)
		if err != nil || string(resp.Body) != "ok" {
			t.Fatalf("request %d: %v", i, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestFastClientHTTP10AndNoLength(t *testing.T) {
	for _, resp := range []string{
		"HTTP/1.0 200 OK\r\n\r\nuntil close",
		"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil close",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nuntil close",
	} {
		url := testenv.FaultListener(t, func(c net.Conn) { testenv.ReadRequest(c); c.Write([]byte(resp)); c.Close() })
		fc := NewFastClient(2*time.Second, true)
		r, err := fc.Do(context.Background(), reqFor(t, url, "GET"), true)
		if err != nil || r.Status != 200 || string(r.Body) != "until close" {
			t.Errorf("%q: %v %+v", resp, err, r)
		}
		fc.CloseIdle()
	}
}

// TestFastClientInterrupt: closing the client ends an in-flight request at
// once instead of at its timeout.
func TestFastClientInterrupt(t *testing.T) {
	url := testenv.FaultListener(t, func(c net.Conn) { testenv.ReadRequest(c); time.Sleep(5 * time.Second); c.Close() })
	fc := NewFastClient(10*time.Second, false)
	u := fc.ForUser()
	time.AfterFunc(200*time.Millisecond, fc.CloseIdle)
	start := time.Now()
	_, err := u.Do(context.Background(), reqFor(t, url, "GET"), false)
	if err == nil || time.Since(start) > 2*time.Second {
		t.Errorf("err %v after %s", err, time.Since(start))
	}
}

// BenchmarkFastClient measures a whole request on loopback: allocations
// per request are reported.
func BenchmarkFastClient(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hello")) }))
	defer srv.Close()
	fc := NewFastClient(5*time.Second, false)
	defer fc.CloseIdle()
	u := fc.ForUser()
	tg, _ := ParseTarget(srv.URL)
	r := &Request{Method: "GET", Scheme: tg.Scheme, Host: tg.Host, Addr: tg.Addr, Path: "/"}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := u.Do(context.Background(), r, false); err != nil {
			b.Fatal(err)
		}
	}
}

func TestFastClientTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("secure")) }))
	defer srv.Close()
	fc := NewFastClient(5*time.Second, false)
	defer fc.CloseIdle()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	fc.tlsConf.RootCAs = pool
	resp, err := fc.ForUser().Do(context.Background(), reqFor(t, srv.URL, "GET"), true)
	if err != nil || string(resp.Body) != "secure" {
		t.Fatalf("%v %+v", err, resp)
	}
}
