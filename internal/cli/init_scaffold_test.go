package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/loadgate/loadgate/load/result"
)

// TestInitFlags: --openapi and --har exclude each other, --har-assets
// needs --har, and what cannot be read is a usage error naming it.
func TestInitFlags(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "lg.yml")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--openapi", "a.json", "--har", "b.har"}, "not both"},
		{[]string{"--har-assets"}, "--har-assets goes with --har"},
		{[]string{"--openapi", ""}, "need a file"},
		{[]string{"--openapi", filepath.Join(dir, "missing.json")}, "missing.json"},
		{[]string{"--har", filepath.Join(dir, "missing.har")}, "missing.har"},
		{[]string{"positional"}, "init takes no arguments"},
	} {
		code, _, errs := runLG(t, append([]string{"init", "-c", cfg}, c.args...)...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("init %q: exit %d, %q; want exit 2 naming %q", c.args, code, errs, c.want)
		}
		if _, err := os.Stat(cfg); err == nil {
			t.Fatalf("init %q wrote %s", c.args, cfg)
		}
	}
}

// TestInitOpenAPIFastAPI is the whole path a user takes, from an empty
// folder: the FastAPI test app runs, init reads its /openapi.json, and the
// config it writes runs against the app: every operation is requested,
// and the only failures are the app's answers by design.
func TestInitOpenAPIFastAPI(t *testing.T) {
	needUvicorn(t)
	began := time.Now()
	dir := t.TempDir()
	port := freePort(t)
	app := exec.Command("uvicorn", "main:app", "--host", "127.0.0.1", "--port", fmt.Sprint(port), "--log-level", "warning")
	app.Dir = "testdata/fastapi"
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Process.Kill(); app.Wait() })
	waitTCP(t, port)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)

	cfg := filepath.Join(dir, "loadgate.yml")
	code, _, errs := runBin(t, dir, nil, "init", "-c", cfg, "--openapi", base+"/openapi.json")
	if code != 0 {
		t.Fatalf("init --openapi: exit %d\n%s", code, errs)
	}
	t.Logf("init: %s", strings.TrimSpace(errs))
	text := readFile(t, cfg)
	if !strings.Contains(text, "url: "+base+"\n") || !strings.HasPrefix(text, "# yaml-language-server: $schema=") {
		t.Fatalf("the config does not target %s:\n%s", base, text)
	}
	// A short run with little think time, so every task comes up.
	os.WriteFile(cfg, []byte(strings.ReplaceAll(text, "wait_time: between 1s 2s", "wait_time: constant 20ms")), 0o644)
	out := filepath.Join(dir, "result.json")
	code, stdout, stderr := runBin(t, dir, []string{"LOADGATE_USER=testuser", "LOADGATE_PASSWORD=password"},
		"-c", cfg, "-q", "-t", "3s", "-u", "10", "--out", out)
	var r result.Result
	if b, err := os.ReadFile(out); err != nil || json.Unmarshal(b, &r) != nil {
		t.Fatalf("exit %d, no result: %v\n%s\n%s", code, err, stdout, stderr)
	}
	// POST /accounts/notes without the session's CSRF token is refused
	// with 403: the app's answer by design, which the document does not
	// declare. Every other failure is a generator's mistake.
	byDesign := map[string]bool{"/accounts/notes": true}
	ops, requested := 0, 0
	for _, ep := range r.Endpoints {
		ops++
		if ep.Requests > 0 {
			requested++
		} else {
			t.Errorf("%s was never requested", ep.Name)
		}
		if ep.Failures > 0 && !byDesign[ep.Name] {
			t.Errorf("%s: %d failures: %v", ep.Name, ep.Failures, ep.FailureReasons)
		}
		if byDesign[ep.Name] {
			for reason := range ep.FailureReasons {
				if !strings.Contains(reason, "403") {
					t.Errorf("%s failed with %q, not the CSRF refusal", ep.Name, reason)
				}
			}
		}
	}
	t.Logf("%d operations requested of %d endpoints; %d requests, %d failures (%v); from an empty folder in %s",
		requested, ops, r.Total.Requests, r.Total.Failures, r.Total.FailureReasons, time.Since(began).Round(time.Millisecond))
	if ops < 10 {
		t.Errorf("only %d endpoints:\n%s", ops, text)
	}
	if d := time.Since(began); d > time.Minute {
		t.Errorf("from an empty folder to a result took %s, want under a minute", d)
	}
}

// The page script of the recording: what a user of the demo app does,
// with pauses that become think times: log in, read the protected data,
// create an item and read it back, sign up. A stylesheet that is not
// there and a script from another host are what a real page also loads.
const recordScript = `(async () => {
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  const json = {'Content-Type': 'application/json'};
  let r = await fetch('/login', {method: 'POST', headers: json, body: JSON.stringify({username: 'testuser', password: 'password'})});
  const token = (await r.json()).access_token;
  await sleep(700);
  await fetch('/protected_data', {headers: {'Authorization': 'Bearer ' + token}});
  await fetch('/static/site.css');
  await fetch(OTHER + '/lib.js', {mode: 'no-cors'});
  await sleep(400);
  r = await fetch('/create_item', {method: 'POST', headers: {...json, 'X-Client-Version': '1.4.2'}, body: JSON.stringify({name: 'Recorded item', price: 12.5})});
  const id = (await r.json()).item_id;
  await sleep(1500);
  await fetch('/items/' + id);
  await fetch('/users', {method: 'POST', headers: json, body: JSON.stringify({username: 'recorded_user', email: 'rec@example.com', password: 'supersecret1'})});
  return 'done';
})()`

// TestInitHARRecordedInChromium records a session against the demo app in
// headless Chromium, as devtools would save it, turns it into a journey
// with init --har, and runs the journey against a fresh demo app: every
// step is requested and none fails. With LOADGATE_SAVE_HAR=FILE the
// recording is also written there (internal/scaffold/testdata/demo.har
// was made so).
func TestInitHARRecordedInChromium(t *testing.T) {
	ctx := newBrowser(t, 60*time.Second)
	recorded := startDemoApp(t)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/javascript")
		w.Write([]byte("console.log('lib');"))
	}))
	defer other.Close()
	rec := recordHAR(t, ctx)
	script := strings.Replace(recordScript, "OTHER", fmt.Sprintf("%q", other.URL), 1)
	if err := chromedp.Do(ctx, chromedp.Navigate(recorded.URL+"/hello")); err != nil {
		t.Fatal(err)
	}
	res, err := chromedp.Run(ctx, chromedp.Evaluate[string](script, chromedp.EvalAwaitPromise))
	if err != nil || res != "done" {
		t.Fatalf("recording: %v %q", err, res)
	}
	time.Sleep(200 * time.Millisecond) // the last loadingFinished events
	rec.bodies(t, ctx)
	har := rec.har(t)
	dir := t.TempDir()
	harFile := filepath.Join(dir, "demo.har")
	os.WriteFile(harFile, har, 0o644)
	if p := os.Getenv("LOADGATE_SAVE_HAR"); p != "" {
		os.WriteFile(p, har, 0o644)
	}

	cfg := filepath.Join(dir, "journey.yml")
	code, _, errs := runLG(t, "init", "-c", cfg, "--har", harFile)
	if code != 0 {
		t.Fatalf("init --har: exit %d: %s", code, errs)
	}
	t.Logf("init: %s", strings.TrimSpace(errs))
	text := readFile(t, cfg)
	token := regexp.MustCompile(`"access_token\\?":\s*\\?"([0-9a-f.]+)`).FindSubmatch(har)
	if token == nil {
		t.Fatalf("no token in the recording:\n%s", har)
	}
	for _, secret := range []string{"supersecret1", "password: password", string(token[1])} {
		if strings.Contains(text, secret) {
			t.Errorf("the config holds %q:\n%s", secret, text)
		}
	}
	for _, want := range []string{"access_token: json access_token", "item_id: json item_id", "Bearer {{ .access_token }}",
		"/items/{{ .item_id }}", `X-Client-Version: "1.4.2"`, "think: 1.5s"} {
		if !strings.Contains(text, want) {
			t.Errorf("the config lacks %q:\n%s", want, text)
		}
	}

	fresh := startDemoApp(t)
	out := filepath.Join(dir, "result.json")
	code, stdout, stderr := runBin(t, dir, []string{"LOADGATE_PASSWORD=password"}, "-c", cfg, "-H", fresh.URL, "-q", "-t", "4s", "-u", "5", "--out", out)
	var r result.Result
	if b, err := os.ReadFile(out); err != nil || json.Unmarshal(b, &r) != nil {
		t.Fatalf("exit %d, no result: %v\n%s\n%s", code, err, stdout, stderr)
	}
	steps := 0
	for _, ep := range r.Endpoints {
		steps++
		if ep.Requests == 0 {
			t.Errorf("step %s was never requested", ep.Name)
		}
	}
	t.Logf("journey: %d steps, %d requests, %d failures", steps, r.Total.Requests, r.Total.Failures)
	if code != 0 || r.Total.Failures != 0 || steps < 6 {
		t.Fatalf("exit %d, %d steps, failures %v\n%s\n%s", code, steps, r.Total.FailureReasons, text, stdout+stderr)
	}
}
