package testenv

import (
	"bufio"
	"net"
	"testing"
)

// RefusedAddr is a loopback address where nothing listens: port 1, which
// only a privileged process could listen on and which is never handed out
// as an ephemeral port. The port of a closed test server is not safe to
// use for this: with packages tested in parallel, another package's
// server was once given it and answered 12 of TestFailuresAreMeasured's
// 40 requests with a 404.
const RefusedAddr = "127.0.0.1:1"

// FaultListener listens on a loopback port, handles each connection with f
// (a server that misbehaves on purpose), and returns its base URL. It stops
// when the test ends.
func FaultListener(t testing.TB, f func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go f(c)
		}
	}()
	return "http://" + l.Addr().String()
}

// ReadRequest reads a request's head from c and ignores it.
func ReadRequest(c net.Conn) {
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil || line == "\r\n" {
			return
		}
	}
}
