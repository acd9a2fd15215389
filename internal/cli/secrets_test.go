package cli

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSecretsNeverReachOutputs: a bearer token in headers, a password from
// the environment and a failing login whose server echoes both back into
// error bodies. No output may contain either secret.
func TestSecretsNeverReachOutputs(t *testing.T) {
	const password, token = "pw-Zq8#local-only", "tok-Vx93-static-bearer"
	t.Setenv("LOADGATE_TEST_PASSWORD", password)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Set-Cookie", "session="+token)
		switch r.URL.Path {
		case "/login": // a verbose server that echoes what it was sent
			w.WriteHeader(401)
			w.Write([]byte(`{"detail":"bad login ` + string(body) + `"}`))
		default:
			w.Write([]byte(`{"ok":"` + r.Header.Get("Authorization") + `","pw":"` + password + `"}`))
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "loadgate.yml")
	os.WriteFile(cfg, []byte(`
target:
  url: `+srv.URL+`
  headers: {Authorization: "Bearer `+token+`"}
load: {duration: 1s, users: 2}
wait_time: constant 50ms
on_start:
  - post: /login
    json: {username: u, password: "{{ env `+"`LOADGATE_TEST_PASSWORD`"+` }}"}
    expect: {status: 200, json: {detail: "{{ env `+"`LOADGATE_TEST_PASSWORD`"+` }}"}}
tasks:
  - name: echo
    get: /echo
    expect: {json: {ok: true}}
  - name: pw
    get: /pw
    expect: {json: {pw: 1}}
thresholds:
  total: [failure_rate < 1%]
`), 0o644)
	files := map[string]string{
		"out": filepath.Join(dir, "result.json"), "summary": filepath.Join(dir, "summary.md"),
		"csv": filepath.Join(dir, "stats"), "junit": filepath.Join(dir, "junit.xml"), "html": filepath.Join(dir, "report.html"),
	}
	ghOut, ghSum := filepath.Join(dir, "gh_output"), filepath.Join(dir, "gh_summary")
	env, stdout, stderr := testEnv(map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": ghOut, "GITHUB_STEP_SUMMARY": ghSum})
	args := []string{"-c", cfg, "-q", "--out", files["out"], "--summary", files["summary"]}
	for _, k := range extraReportFlags {
		args = append(args, "--"+k, files[k])
	}
	code := run(context.Background(), args, env)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (the login fails): %s", code, stderr)
	}
	var r map[string]any
	b, _ := os.ReadFile(files["out"])
	if json.Unmarshal(b, &r) != nil {
		t.Fatalf("no result JSON: %s", stderr)
	}
	outputs := map[string]string{"stdout": stdout.String(), "stderr": stderr.String()}
	matches, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range matches {
		if filepath.Base(f) == "loadgate.yml" {
			continue
		}
		b, _ := os.ReadFile(f)
		outputs[filepath.Base(f)] = string(b)
	}
	for name, text := range outputs {
		for _, line := range strings.Split(text, "\n") {
			if strings.HasPrefix(line, "::add-mask::") {
				continue // the one place a secret must be named: telling GitHub to mask it
			}
			for _, secret := range []string{password, token} {
				if strings.Contains(line, secret) {
					t.Errorf("%s leaks a secret: %q", name, line)
				}
			}
		}
	}
	if !strings.Contains(outputs["stdout"], "::add-mask::") {
		t.Error("secrets were not masked for GitHub")
	}
}

// extraReportFlags are the file reports the secrets test also inspects.
var extraReportFlags = []string{"csv", "junit", "html"}
