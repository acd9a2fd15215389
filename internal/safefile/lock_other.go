//go:build !unix

package safefile

import (
	"fmt"
	"os"
	"time"
)

// Lock takes an exclusive lock for a read-modify-write of path: where
// flock(2) is missing, by creating ".NAME.lock" exclusively, waiting up to
// a minute for another holder to remove it.
func Lock(path string) (unlock func(), err error) {
	real, _, _, err := resolve(path)
	if err != nil {
		return nil, err
	}
	name := lockName(real)
	deadline := time.Now().Add(time.Minute)
	for {
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			f.Close()
			return func() { os.Remove(name) }, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%s: locked by another loadgate for over a minute (remove %s if none runs)", path, name)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func keepOwner(*os.File, os.FileInfo) {}
