package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/loadgate/loadgate/load/result"
)

// fakeGitHub is the part of GitHub's REST API the comment uses: list,
// create and update the comments of pull request 7 of o/r.
type fakeGitHub struct {
	mu       sync.Mutex
	comments map[int64]string
	nextID   int64
	readOnly bool
	calls    []string
}

func (g *fakeGitHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls = append(g.calls, r.Method+" "+r.URL.Path)
	if r.Header.Get("Authorization") != "Bearer tok" {
		w.WriteHeader(401)
		return
	}
	var in struct{ Body string }
	b, _ := io.ReadAll(r.Body)
	json.Unmarshal(b, &in)
	switch {
	case r.Method == "GET" && r.URL.Path == "/repos/o/r/issues/7/comments":
		var out []map[string]any
		if r.URL.Query().Get("page") == "1" {
			for id, body := range g.comments {
				out = append(out, map[string]any{"id": id, "body": body})
			}
		}
		json.NewEncoder(w).Encode(out)
	case g.readOnly:
		w.WriteHeader(403)
	case r.Method == "POST" && r.URL.Path == "/repos/o/r/issues/7/comments":
		g.nextID++
		g.comments[g.nextID] = in.Body
		w.WriteHeader(201)
		w.Write([]byte(`{}`))
	case r.Method == "PATCH" && strings.HasPrefix(r.URL.Path, "/repos/o/r/issues/comments/"):
		var id int64
		fmt.Sscan(strings.TrimPrefix(r.URL.Path, "/repos/o/r/issues/comments/"), &id)
		g.comments[id] = in.Body
		w.Write([]byte(`{}`))
	default:
		w.WriteHeader(404)
	}
}

// TestCommentCreatesThenUpdates: the first run posts the comment, the
// second updates the same one; another workload keeps its own; a
// read-only token (a fork's) is a notice and exit 0.
func TestCommentCreatesThenUpdates(t *testing.T) {
	gh := &fakeGitHub{comments: map[int64]string{99: "a human's comment"}}
	srv := httptest.NewServer(gh)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	event := filepath.Join(dir, "event.json")
	os.WriteFile(event, []byte(`{"pull_request": {"number": 7}}`), 0o644)
	write := func(name, hash string, requests int64) string {
		r := &result.Result{Schema: result.ResultSchema, Provenance: result.Provenance{WorkloadHash: hash},
			Total: &result.Stats{Name: "total", Requests: requests}, Verdict: &result.Verdict{Status: "pass"}}
		p := filepath.Join(dir, name)
		f, _ := os.Create(p)
		result.Write(f, r)
		f.Close()
		return p
	}
	env := map[string]string{"GITHUB_API_URL": srv.URL, "GITHUB_REPOSITORY": "o/r", "GITHUB_EVENT_PATH": event,
		"GITHUB_TOKEN": "tok", "GITHUB_SERVER_URL": "https://github.example", "GITHUB_RUN_ID": "42"}
	for i, want := range []string{"posted", "updated"} {
		e, _, stderr := testEnv(env)
		if code := run(context.Background(), []string{"comment", write("r.json", "sha256:aaa", int64(100+i))}, e); code != 0 ||
			!strings.Contains(stderr.String(), want+" the comment on pull request #7") {
			t.Fatalf("run %d: exit %d, %s", i, code, stderr)
		}
	}
	e, _, _ := testEnv(env)
	run(context.Background(), []string{"comment", write("other.json", "sha256:bbb", 5)}, e)
	gh.mu.Lock()
	n := len(gh.comments)
	var ours []string
	for id, body := range gh.comments {
		if id != 99 {
			ours = append(ours, body)
		}
	}
	gh.mu.Unlock()
	if n != 3 || !strings.Contains(strings.Join(ours, "\n"), "101 requests") ||
		!strings.Contains(strings.Join(ours, "\n"), "https://github.example/o/r/actions/runs/42") {
		t.Errorf("%d comments: %q", n, ours)
	}
	// A workflow_run job's event names no pull request: --pr does.
	os.WriteFile(event, []byte(`{"workflow_run": {"id": 1}}`), 0o644)
	e, _, stderr := testEnv(env)
	if code := run(context.Background(), []string{"comment", "--pr", "7", write("r.json", "sha256:aaa", 102)}, e); code != 0 ||
		!strings.Contains(stderr.String(), "updated the comment on pull request #7") {
		t.Errorf("--pr: exit %d, %s", code, stderr)
	}
	gh.mu.Lock()
	gh.readOnly = true
	gh.mu.Unlock()
	e, stdout, stderr := testEnv(env)
	if code := run(context.Background(), []string{"comment", "--pr", "7", write("third.json", "sha256:ccc", 1)}, e); code != 0 ||
		!strings.Contains(stderr.String(), "read-only token") {
		t.Errorf("read-only: exit %d, %s", code, stderr)
	}
	env["GITHUB_TOKEN"] = ""
	env["GITHUB_ACTIONS"] = "true"
	e, stdout, stderr = testEnv(env)
	if code := run(context.Background(), []string{"comment", write("r.json", "sha256:aaa", 1)}, e); code != 0 ||
		!strings.Contains(stdout.String(), "::notice title=loadgate::no pull-request comment: GITHUB_TOKEN is not set") {
		t.Errorf("no token: exit %d, %s %s", code, stdout, stderr)
	}
}
