package cli

import (
	"context"
	"os/exec"
	"strings"
	"time"
)

// gitHead is the commit and branch (refs/heads/…, as GITHUB_REF names it)
// of the repository around the working directory. Outside GitHub Actions
// it is what a local or nightly result was measured on, which the trend
// report shows; both are empty without git or a repository.
func gitHead() (commit, ref string) {
	commit = gitOut("rev-parse", "--verify", "-q", "HEAD")
	if commit != "" {
		ref = gitOut("symbolic-ref", "-q", "HEAD") // empty on a detached HEAD
	}
	return commit, ref
}

// gitOut runs git briefly and returns its trimmed output, or "".
func gitOut(args ...string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	b, err := exec.CommandContext(ctx, "git", args...).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
