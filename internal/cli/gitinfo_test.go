package cli

import (
	"os/exec"
	"testing"
)

func TestGitHead(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	dir := t.TempDir()
	t.Chdir(dir)
	if c, r := gitHead(); c != "" || r != "" {
		t.Fatalf("outside a repository: %q %q", c, r)
	}
	for _, args := range [][]string{
		{"init", "-q", "-b", "trunk"},
		{"-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "x"},
	} {
		if out, err := exec.Command("git", args...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
	}
	want := gitOut("rev-parse", "HEAD")
	if c, r := gitHead(); c != want || len(c) != 40 || r != "refs/heads/trunk" {
		t.Errorf("gitHead() = %q, %q; want %q, refs/heads/trunk", c, r, want)
	}
}
