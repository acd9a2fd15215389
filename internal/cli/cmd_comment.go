package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/loadgate/loadgate/load/result"
	"github.com/loadgate/loadgate/report"
)

// cmdComment is `loadgate comment RESULT.json...`: it posts, or updates, one
// comment per workload on the pull request the workflow runs for, through
// GitHub's REST API with the job's token (GITHUB_TOKEN). The gate's exit
// code never depends on it: without a token, outside a pull request, or
// with a read-only token (a fork's), it says so and exits 0.
func cmdComment(ctx context.Context, args []string, e *environment) error {
	fs := flag.NewFlagSet("comment", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	prFlag := fs.Int("pr", 0, "the pull request to comment on (default: the one the workflow runs for; a workflow_run job must say)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("comment needs at least one result file: loadgate comment RESULT.json...")
	}
	var runs []*result.Result
	for _, p := range pos {
		r, err := result.ReadResultFile(p)
		if err != nil {
			return err
		}
		runs = append(runs, r)
	}
	gh, why := githubFromEnv(e, *prFlag)
	if gh == nil {
		notice(e, "no pull-request comment: "+why)
		return nil
	}
	for _, r := range runs {
		var body bytes.Buffer
		if err := report.Comment(&body, r, gh.runURL); err != nil {
			return err
		}
		action, err := gh.upsert(ctx, report.CommentMarker(r), body.String())
		if err != nil {
			notice(e, "no pull-request comment: "+err.Error())
			return nil
		}
		fmt.Fprintf(e.stderr, "loadgate: %s the comment on pull request #%d\n", action, gh.pr)
	}
	return nil
}

// notice tells the user on stderr, and in GitHub's log as a notice.
func notice(e *environment, msg string) {
	fmt.Fprintf(e.stderr, "loadgate: %s\n", msg)
	if e.get("GITHUB_ACTIONS") == "true" {
		fmt.Fprintf(e.stdout, "::notice title=loadgate::%s\n", escapeCommand(msg))
	}
}

// github is the REST API of the repository and pull request a workflow
// runs for, from GitHub's documented environment.
type github struct {
	api, repo, token, runURL string
	pr                       int
	client                   *http.Client
}

func githubFromEnv(e *environment, pr int) (*github, string) {
	token := e.get("GITHUB_TOKEN")
	if token == "" {
		return nil, "GITHUB_TOKEN is not set (the action passes the job's token; give the job permissions: pull-requests: write)"
	}
	repo := e.get("GITHUB_REPOSITORY")
	if repo == "" {
		return nil, "GITHUB_REPOSITORY is not set: not running in GitHub Actions"
	}
	var event struct {
		PullRequest struct{ Number int } `json:"pull_request"`
		Issue       struct {
			Number      int
			PullRequest *struct{} `json:"pull_request"`
		} `json:"issue"`
	}
	if b, err := os.ReadFile(e.get("GITHUB_EVENT_PATH")); err == nil {
		_ = json.Unmarshal(b, &event)
	}
	if pr == 0 {
		pr = event.PullRequest.Number
	}
	if pr == 0 && event.Issue.PullRequest != nil {
		pr = event.Issue.Number
	}
	if pr == 0 {
		return nil, "this workflow run is not for a pull request"
	}
	api := strings.TrimRight(e.get("GITHUB_API_URL"), "/")
	if api == "" {
		api = "https://api.github.com"
	}
	server := strings.TrimRight(e.get("GITHUB_SERVER_URL"), "/")
	if server == "" {
		server = "https://github.com"
	}
	run := ""
	if id := e.get("GITHUB_RUN_ID"); id != "" {
		run = server + "/" + repo + "/actions/runs/" + id
	}
	return &github{api: api, repo: repo, token: token, pr: pr, runURL: run, client: &http.Client{Timeout: 20 * time.Second}}, ""
}

// upsert updates the pull request's comment that starts with marker, or
// creates one.
func (g *github) upsert(ctx context.Context, marker, body string) (string, error) {
	id, err := g.find(ctx, marker)
	if err != nil {
		return "", err
	}
	payload, _ := json.Marshal(map[string]string{"body": body})
	if id != 0 {
		return "updated", g.call(ctx, "PATCH", fmt.Sprintf("/repos/%s/issues/comments/%d", g.repo, id), payload, nil)
	}
	return "posted", g.call(ctx, "POST", fmt.Sprintf("/repos/%s/issues/%d/comments", g.repo, g.pr), payload, nil)
}

// find pages through the pull request's comments for the marker.
func (g *github) find(ctx context.Context, marker string) (int64, error) {
	for page := 1; page <= 30; page++ {
		var comments []struct {
			ID   int64  `json:"id"`
			Body string `json:"body"`
		}
		path := fmt.Sprintf("/repos/%s/issues/%d/comments?per_page=100&page=%d", g.repo, g.pr, page)
		if err := g.call(ctx, "GET", path, nil, &comments); err != nil {
			return 0, err
		}
		for _, c := range comments {
			if strings.HasPrefix(c.Body, marker) {
				return c.ID, nil
			}
		}
		if len(comments) < 100 {
			return 0, nil
		}
	}
	return 0, nil
}

var errReadOnly = errors.New("the token may not comment (a pull request from a fork gets a read-only token; see docs/ci.md for the workflow_run pattern)")

func (g *github) call(ctx context.Context, method, path string, payload []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, g.api+path, bytes.NewReader(payload))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+g.token)
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := g.client.Do(req)
	if err != nil {
		return fmt.Errorf("GitHub API: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	switch {
	case resp.StatusCode == 401 || resp.StatusCode == 403 || resp.StatusCode == 404:
		return errReadOnly
	case resp.StatusCode >= 300:
		return fmt.Errorf("GitHub API: %s %s answered %d", method, strings.SplitN(path, "?", 2)[0], resp.StatusCode)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}
