//go:build unix

package safefile

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

func TestWriteKeepsWhatThePathIs(t *testing.T) {
	dir := t.TempDir()
	regular := filepath.Join(dir, "r.json")
	if err := os.WriteFile(regular, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	shared := filepath.Join(dir, "shared", "baseline.json")
	os.MkdirAll(filepath.Dir(shared), 0o755)
	os.WriteFile(shared, []byte("old"), 0o640)
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(shared, link); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "dangling.json")
	os.Symlink(filepath.Join(dir, "made-by-link.json"), dangling)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	go func() {
		b, _ := os.ReadFile(fifo) // blocks until the writer opens and closes
		got <- string(b)
	}()

	for _, c := range []struct {
		name, path, check string
		mode              os.FileMode
	}{
		{"new file", filepath.Join(dir, "sub", "new.json"), "", 0o644},
		{"regular keeps its mode", regular, regular, 0o600},
		{"symlink writes its target", link, shared, 0o640},
		{"dangling symlink creates its target", dangling, filepath.Join(dir, "made-by-link.json"), 0o644},
		{"device written in place", "/dev/null", "", 0},
		{"fifo written in place", fifo, "", 0},
	} {
		if err := Write(c.path, []byte("new")); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if c.check != "" {
			b, _ := os.ReadFile(c.check)
			st, _ := os.Stat(c.check)
			if string(b) != "new" || st.Mode().Perm() != c.mode {
				t.Errorf("%s: %q mode %v, want %q mode %v", c.name, b, st.Mode().Perm(), "new", c.mode)
			}
		}
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the symlink was replaced: %v %v", st.Mode(), err)
	}
	if st, _ := os.Stat("/dev/null"); st.Mode()&os.ModeDevice == 0 {
		t.Fatalf("/dev/null is no longer a device: %v", st.Mode())
	}
	if st, _ := os.Lstat(fifo); st.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v", st.Mode())
	}
	if s := <-got; s != "new" {
		t.Errorf("FIFO reader got %q", s)
	}
	if err := Write(dir, []byte("x")); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("a directory: %v", err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

func TestSame(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.json")
	os.WriteFile(a, nil, 0o644)
	os.Symlink(a, filepath.Join(dir, "b.json"))
	if !Same(a, filepath.Join(dir, "b.json")) || !Same(a, filepath.Join(dir, ".", "a.json")) {
		t.Error("a file and its link or another spelling are the same file")
	}
	if Same(a, filepath.Join(dir, "c.json")) {
		t.Error("two files are not the same")
	}
}

// TestLockSerialisesReadModifyWrite: concurrent savers that append under
// the lock lose nothing.
func TestLockSerialisesReadModifyWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "baseline.json")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 5 {
				unlock, err := Lock(path)
				if err != nil {
					t.Error(err)
					return
				}
				b, _ := os.ReadFile(path)
				b = append(b, strconv.Itoa(i*10+k)+"\n"...)
				if err := Write(path, b); err != nil {
					t.Error(err)
				}
				unlock()
			}
		}()
	}
	wg.Wait()
	b, _ := os.ReadFile(path)
	if n := strings.Count(string(b), "\n"); n != 40 {
		t.Errorf("%d of 40 appends kept", n)
	}
}

// TestWriteThroughDescriptorsAndLinkedDirs: /dev/stdout redirected to a
// file is written through the descriptor (appended), and a relative link
// inside a linked directory resolves as the kernel resolves it.
func TestWriteThroughDescriptorsAndLinkedDirs(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "stdout.txt")
	f, _ := os.Create(out)
	f.WriteString("before\n")
	fdPath := fmt.Sprintf("/proc/self/fd/%d", f.Fd())
	if err := Write(fdPath, []byte("report\n")); err != nil {
		t.Fatalf("through %s: %v", fdPath, err)
	}
	f.Close()
	if b, _ := os.ReadFile(out); string(b) != "before\nreport\n" {
		t.Errorf("file behind the descriptor: %q", b)
	}
	// l/b -> real/sub, real/sub/report.json -> ../target.json
	os.MkdirAll(filepath.Join(dir, "real", "sub"), 0o755)
	os.MkdirAll(filepath.Join(dir, "l"), 0o755)
	os.Symlink(filepath.Join(dir, "real", "sub"), filepath.Join(dir, "l", "b"))
	os.Symlink("../target.json", filepath.Join(dir, "real", "sub", "report.json"))
	if err := Write(filepath.Join(dir, "l", "b", "report.json"), []byte("x")); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "real", "target.json")); err != nil || string(b) != "x" {
		t.Errorf("the link's target was not written: %q %v", b, err)
	}
}
