//go:build !unix

package httpc

import (
	"net"
	"syscall"
)

// rawConnOf: the write-then-park path is for Unix sockets only; elsewhere
// every request goes through net.Conn.
func rawConnOf(net.Conn) syscall.RawConn { return nil }

func (c *fconn) rawStep(uintptr) bool { return true }

// peekIdle: no idle check without the socket's raw handle.
func (c *fconn) peekIdle() bool { return true }
