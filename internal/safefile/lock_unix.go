//go:build unix

package safefile

import (
	"os"
	"syscall"
)

// Lock takes an exclusive lock for a read-modify-write of path (a baseline
// that concurrent CI jobs on a shared volume save to), waiting for other
// holders. It locks a sidecar file, ".NAME.lock" beside the real file,
// because the file itself is replaced by a rename and a lock on the old
// inode would not exclude the next saver. unlock releases it.
func Lock(path string) (unlock func(), err error) {
	real, _, _, err := resolve(path)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(lockName(real), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// keepOwner gives the replacement the replaced file's owner and group
// (possible as root, or for a group the user is in; best effort).
func keepOwner(f *os.File, st os.FileInfo) {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		_ = f.Chown(int(s.Uid), int(s.Gid))
	}
}
