//go:build !linux || race || 386

package load

import "time"

// canLazy: lazy reads (see lazyread_linux.go) need Linux's SO_RCVLOWAT
// wake-up rule and SO_TIMESTAMPNS; elsewhere every response wakes its
// reader. Race-detector builds read with syscall.Read for its hooks (see
// rawio_unix.go), which recvmsg would bypass; 386 has no recvmsg system
// call of its own.
const canLazy = false

type lazyState struct {
	lazy, stamped, tsSeen bool
	arrived               int64
}

func (c *fconn) lazyPrep(int) bool { return false }

func (c *fconn) wakeOnData(int) {}

func arrivedAt(int64) time.Time { return time.Now() }

func (c *fconn) recvStamped(int, []byte) (int, error) { panic("no lazy reads here") }
