package cli

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// echoServer answers /login with a fresh token and every other request with
// a JSON body that echoes everything it received (request line,
// headers, body), as a careless error page does.
func echoServer(t *testing.T, token string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/login" {
			json.NewEncoder(w).Encode(map[string]string{"token": token})
			return
		}
		// What it echoes first survives the shortening of failure
		// reasons: each path echoes one thing.
		var b strings.Builder
		switch r.URL.Path {
		case "/header":
			b.WriteString(r.Header.Get("Authorization") + " " + r.Header.Get("X-Auth-Token") + " " + r.Header.Get("X-Api-Key"))
		case "/query":
			b.WriteString(r.URL.RawQuery)
		default:
			b.Write(body)
		}
		json.NewEncoder(w).Encode(map[string]string{"echo": b.String()})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// forms are the spellings of a secret an output could carry.
func forms(v string) []string {
	j, _ := json.Marshal(v)
	return []string{v, url.QueryEscape(v), url.PathEscape(v), string(j[1 : len(j)-1]),
		base64.StdEncoding.EncodeToString([]byte(v))}
}

// TestSecretsLeakNowhere: secrets from the environment (in a JSON body, a
// form, a query, target.url's userinfo), a token extracted from a response
// and sent in Authorization, X-Auth-Token and a query parameter, all echoed
// back by the server in its error bodies, appear in no output file or
// stream in any encoding, and each is ::add-mask::ed.
func TestSecretsLeakNowhere(t *testing.T) {
	const (
		password = `S3cr3t!P@ss"#2024\x` // URL-encodes and JSON-escapes differently
		apiKey   = "key-7f3a9c2e41b8"
		urlPass  = "url-pw-5f5e1d"
		token    = "tok-91c2d3e4f5a6b7"
	)
	srv := echoServer(t, token)
	u, _ := url.Parse(srv.URL)
	dir := t.TempDir()
	yml := fmt.Sprintf(`
target: {url: "http://deploy:${URLPW}@%s", timeout: 2s}
load: {duration: 1s, users: 1}
wait_time: constant 5ms
tasks:
  - name: journey
    steps:
      - {name: login, post: /login, json: {password: "${APP_PASSWORD}"}, extract: {token: json token}}
      - name: header
        get: /header
        headers: {Authorization: "Bearer {{ .token }}", X-Auth-Token: "{{ .token }}", X-Api-Key: "${API_KEY}"}
        expect: {json: {echo: nothing}}
  - name: query
    steps:
      - {name: login, post: /login, json: {password: "${APP_PASSWORD}"}, extract: {token: json token}}
      - {name: query, get: /query, query: {access_token: "{{ .token }}"}, expect: {json: {echo: nothing}}}
  - {name: form, post: /form, form: {password: "${APP_PASSWORD}"}, expect: {json: {echo: nothing}}}
  - {name: json, post: /json, json: {password: "${APP_PASSWORD}"}, expect: {json: {echo: nothing}}}
  - {name: userinfo, get: /header, expect: {json: {echo: nothing}}}
`, u.Host)
	os.WriteFile(filepath.Join(dir, "loadgate.yml"), []byte(yml), 0o644)
	summary, output := filepath.Join(dir, "gh-summary.md"), filepath.Join(dir, "gh-output")
	env := []string{"APP_PASSWORD=" + password, "API_KEY=" + apiKey, "URLPW=" + urlPass,
		"GITHUB_ACTIONS=true", "GITHUB_STEP_SUMMARY=" + summary, "GITHUB_OUTPUT=" + output}
	code, stdout, stderr := runBin(t, dir, env, "-q", "--out", "r.json", "--summary", "s.md", "--csv", "c",
		"--junit", "j.xml", "--html", "h.html")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (the echoed requests fail)\n%s\n%s", code, stdout, stderr)
	}
	outputs := map[string]string{"stdout": stdout, "stderr": stderr}
	for _, f := range []string{"r.json", "s.md", "c_stats.csv", "c_failures.csv", "c_stats_history.csv", "j.xml", "h.html", "gh-summary.md", "gh-output"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		outputs[f] = string(b)
	}
	// The server did echo them: the test would be void otherwise.
	if !strings.Contains(outputs["r.json"], "expect json echo") {
		t.Fatalf("no echoed failure reached the result:\n%s", outputs["r.json"])
	}
	masked := map[string]bool{}
	var kept []string
	for _, l := range strings.Split(stdout, "\n") {
		if v, ok := strings.CutPrefix(l, "::add-mask::"); ok {
			masked[v] = true
		} else {
			kept = append(kept, l)
		}
	}
	outputs["stdout"] = strings.Join(kept, "\n")
	for _, s := range []string{password, apiKey, urlPass, token} {
		if !masked[s] {
			t.Errorf("%q was not add-masked", s)
		}
		for _, f := range forms(s) {
			for name, text := range outputs {
				if strings.Contains(text, f) {
					i := strings.Index(text, f)
					t.Errorf("%s holds the secret %q as %q: …%s…", name, s, f, text[max(0, i-60):min(len(text), i+len(f)+20)])
				}
			}
		}
	}
}

// TestStartCommandSecretsLeakNowhere: a password in target.start.command
// (from ${DBPW}) that the app also prints before it fails appears neither in
// the command line of the reports, nor in the error, nor in the log tail.
func TestStartCommandSecretsLeakNowhere(t *testing.T) {
	const dbpw = "db-pw-0c4e8a61"
	dir := t.TempDir()
	port := freePort(t)
	yml := fmt.Sprintf(`
target:
  url: http://127.0.0.1:%d
  start:
    command: sh -c "echo connecting with password ${DBPW} >&2; exit 3" --db-password ${DBPW}
    ready: {tcp: 127.0.0.1:%d, timeout: 5s}
load: {duration: 1s, users: 1}
tasks: [{get: /}]
`, port, port)
	os.WriteFile(filepath.Join(dir, "loadgate.yml"), []byte(yml), 0o644)
	code, stdout, stderr := runBin(t, dir, []string{"DBPW=" + dbpw}, "-q", "--out", "r.json", "--summary", "s.md")
	if code != 3 {
		t.Fatalf("exit %d, want 3\n%s\n%s", code, stdout, stderr)
	}
	r, _ := os.ReadFile(filepath.Join(dir, "r.json"))
	md, _ := os.ReadFile(filepath.Join(dir, "s.md"))
	for name, text := range map[string]string{"stdout": stdout, "stderr": stderr, "r.json": string(r), "s.md": string(md)} {
		if strings.Contains(text, dbpw) {
			t.Errorf("%s holds the password:\n%s", name, text)
		}
	}
	if !strings.Contains(string(md), "connecting with password ***") {
		t.Errorf("the log tail is not in the summary, masked:\n%s", md)
	}
}
