//go:build unix

package load

import (
	"io"
	"net"
	"os"
	"syscall"
)

// rawConnOf returns the socket's raw handle for plain TCP connections, or
// nil (TLS, or a connection the runtime does not expose).
func rawConnOf(nc net.Conn) syscall.RawConn {
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return nil
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// rawStep is the callback a connection hands to RawConn.Read (created once
// per connection, so a request allocates nothing for it). Its first call
// writes the request; every later call reads. This saves one system call
// per request: a net.Conn Read right after the write finds nothing yet
// (EAGAIN), parks, and reads again when woken; here the write happens after
// the poller's read state was reset, so the goroutine parks straight after
// writing, and its first read finds the response. On a loopback target
// that is 1 of 4 system calls a request costs.
func (c *fconn) rawStep(fd uintptr) bool {
	if c.wn < len(c.wbuf) {
		for {
			n, err := sysWrite(int(fd), c.wbuf[c.wn:])
			if n > 0 {
				c.wn += n
			}
			switch err {
			case nil:
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
				return true // socket buffer full: the rest goes through net.Conn.Write
			default:
				c.rawErr = c.opError("write", err)
				return true
			}
			// A partial write leaves the rest to net.Conn.Write, which
			// waits for the socket to drain.
			return c.wn < len(c.wbuf)
		}
	}
	for {
		n, err := sysRead(int(fd), c.buf[c.w:])
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return false // wait for the response
		case err != nil:
			c.rawErr = c.opError("read", err)
		case n == 0:
			c.rawErr = io.EOF
		default:
			c.w += n
		}
		return true
	}
}

// opError wraps a system call error as net.Conn would, so failure reasons
// (reset, refused, timeout) read the same on both paths.
func (c *fconn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: "tcp", Source: c.c.LocalAddr(), Addr: c.c.RemoteAddr(), Err: os.NewSyscallError(op, err)}
}
