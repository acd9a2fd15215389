//go:build unix

package httpc

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
// writing, and its first read finds the response: on a loopback target,
// one of the three reads and writes a request made. A connection that sat idle
// for probeIdle or longer is first checked with a read that must find
// nothing (idleOK), because the runtime's reset dropped any readiness
// event from the idle time.
func (c *fconn) rawStep(fd uintptr) bool {
	if c.probe {
		c.probe = false
		if !c.idleOK(int(fd)) {
			return true // nothing written: the request goes to a fresh connection
		}
	}
	if c.wn < len(c.wbuf) {
		for {
			// At most rawWriteMax per call: RawSyscall holds the thread
			// without the scheduler knowing, and a large body's copy into
			// the socket takes milliseconds; net.Conn.Write sends the rest.
			n, err := sysWrite(int(fd), c.wbuf[c.wn:min(len(c.wbuf), c.wn+rawWriteMax)])
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
			c.got += n
		}
		return true
	}
}

// rawWriteMax bounds one raw write (see rawStep).
const rawWriteMax = 64 << 10

// idleOK reads from an idle keep-alive connection without waiting: it
// must have nothing to say. A FIN, a reset or stray bytes (a 408) mean the
// server is done with it, and the request must not be sent on it.
func (c *fconn) idleOK(fd int) bool {
	for {
		_, err := sysRead(fd, c.buf)
		switch err {
		case syscall.EAGAIN:
			return true
		case syscall.EINTR:
			continue
		case nil:
			c.rawErr = io.EOF // closed, or spoke out of turn
		default:
			c.rawErr = c.opError("read", err)
		}
		return false
	}
}

// opError wraps a system call error as net.Conn would, so failure reasons
// (reset, refused, timeout) read the same on both paths.
func (c *fconn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: "tcp", Source: c.c.LocalAddr(), Addr: c.c.RemoteAddr(), Err: os.NewSyscallError(op, err)}
}

// peekIdle is the idle check of the net.Conn path (TLS, whose reads and
// writes crypto/tls owns): a look at the socket under it, without reading,
// that must find nothing waiting. A FIN, a reset, or bytes the server sent
// unasked (a stray 408, a TLS close_notify) mean the server is done with
// the connection. Without the check, the stray bytes would be read as the
// next request's response.
func (c *fconn) peekIdle() bool {
	if c.sock == nil {
		return true
	}
	if c.peek == nil {
		c.peek = c.peekStep // bound once: a probed request allocates nothing for it
	}
	c.peekOK = false
	return c.sock.Read(c.peek) == nil && c.peekOK
}

// peekStep looks at the socket once (it is non-blocking, as every socket
// the runtime polls).
func (c *fconn) peekStep(fd uintptr) bool {
	var b [1]byte
	for {
		_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK)
		if err == syscall.EINTR {
			continue
		}
		c.peekOK = err == syscall.EAGAIN
		return true
	}
}
