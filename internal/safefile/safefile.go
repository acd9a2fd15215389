// Package safefile is the one way loadgate writes the files a user names
// (reports, results, baselines): whatever the path is, what it was stays
// what it is.
//   - A regular file (or one about to be created) is replaced atomically:
//     written to a temporary file in its own directory and renamed over it,
//     keeping its mode, so a reader (a parallel CI job, a cache upload) never
//     sees half a file.
//   - A symbolic link is followed: its target is written, the link stays.
//   - A device, pipe or socket (/dev/null, /dev/stdout, a FIFO) is written
//     in place, never replaced by a regular file.
package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Write writes data to path as the package comment describes, creating
// missing parent directories.
func Write(path string, data []byte) error {
	real, st, viaFD, err := resolve(path)
	if err != nil {
		return err
	}
	if st != nil && st.IsDir() {
		return fmt.Errorf("%s is a directory", path)
	}
	if viaFD {
		// /dev/stdout or /proc/self/fd/N: a descriptor's file, which only
		// the descriptor names; written through it, after what is there.
		return writeInPlace(path, data, os.O_APPEND)
	}
	if st != nil && !st.Mode().IsRegular() {
		return writeInPlace(real, data, 0)
	}
	mode := fs.FileMode(0o644)
	if st != nil {
		mode = st.Mode().Perm()
	}
	dir := filepath.Dir(real)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(real)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if st != nil {
		keepOwner(tmp, st)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), real)
}

// Append appends data to path (GitHub's job summary is appended to by
// every step), creating it if needed; a symbolic link is followed.
func Append(path string, data []byte) error {
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	return writeOpen(path, data, os.O_APPEND|os.O_CREATE, 0o644)
}

// Same reports whether two paths name the same file (after links), or
// would once created.
func Same(a, b string) bool {
	ra, _, _, errA := resolve(a)
	rb, _, _, errB := resolve(b)
	return errA == nil && errB == nil && ra == rb
}

// resolve follows symbolic links to the path that is really written and
// returns its FileInfo, nil when it does not exist yet. The result is
// absolute, so two spellings of one file compare equal. viaFD reports a
// chain through /dev/fd or /proc/*/fd, whose files only a descriptor names.
func resolve(path string) (real string, st fs.FileInfo, viaFD bool, err error) {
	p, err := filepath.Abs(path)
	if err != nil {
		return "", nil, false, err
	}
	for range 40 {
		// The directory as the kernel sees it, so ".." in a relative link
		// means what it means to the kernel.
		if dir, err := filepath.EvalSymlinks(filepath.Dir(p)); err == nil {
			p = filepath.Join(dir, filepath.Base(p))
		}
		viaFD = viaFD || isProcFD(p)
		lst, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return p, nil, viaFD, nil
		}
		if err != nil {
			return "", nil, false, err
		}
		if lst.Mode()&fs.ModeSymlink == 0 {
			return p, lst, viaFD, nil
		}
		link, err := os.Readlink(p)
		if err != nil {
			return "", nil, false, err
		}
		if viaFD {
			st, err := os.Stat(p)
			if err != nil {
				return "", nil, false, err
			}
			return p, st, true, nil
		}
		if !filepath.IsAbs(link) {
			link = filepath.Join(filepath.Dir(p), link)
		}
		p = link
	}
	return "", nil, false, fmt.Errorf("%s: too many levels of symbolic links", path)
}

func isProcFD(p string) bool {
	d := filepath.Dir(p)
	return d == "/proc/self/fd" || d == "/dev/fd" || (filepath.Base(d) == "fd" && filepath.Dir(filepath.Dir(d)) == "/proc")
}

// writeInPlace writes a device, pipe or socket without creating or
// truncating anything.
func writeInPlace(path string, data []byte, flag int) error {
	return writeOpen(path, data, flag, 0)
}

// writeOpen opens path for writing with flag and perm, writes data once
// and closes it, reporting the first error.
func writeOpen(path string, data []byte, flag int, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|flag, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func lockName(real string) string {
	return filepath.Join(filepath.Dir(real), "."+filepath.Base(real)+".lock")
}
