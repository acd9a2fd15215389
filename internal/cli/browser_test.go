package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/loadgate/loadgate/demo"
	"github.com/loadgate/loadgate/load/config"
)

// The browser tests open the HTML report and the live dashboard in a real
// headless Chromium (Debian's package; .ci/run installs it) and check what
// a user would see: charts drawn, no console errors, nothing fetched from
// anywhere else. Screenshots are kept in artifactDir for a human to look at.

// chromiumPath finds the browser, or skips the test outside CI and fails
// it in CI, where its absence means a broken setup rather than a laptop.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("LOADGATE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed, and CI=true: .ci/run installs Debian's chromium package; the browser tests must run in CI")
	}
	t.Skip("chromium is not installed: browser tests skipped (apt-get install chromium, or set LOADGATE_CHROMIUM)")
	return ""
}

// newBrowser starts a fresh headless Chromium with an empty profile and
// returns a tab's context, valid for at most the given time.
func newBrowser(t *testing.T, limit time.Duration) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless, // --headless
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, limit)
	t.Cleanup(func() { cancelTime(); cancelTab(); cancelAlloc() })
	return ctx
}

// pageWatch records what a page reports and requests.
type pageWatch struct {
	mu       sync.Mutex
	errors   []string // console errors, uncaught exceptions, browser log errors (CSP, network)
	requests []string // every URL the page asked for
}

// watch starts recording the tab's events; call it before navigating.
func watch(t *testing.T, ctx context.Context) *pageWatch {
	t.Helper()
	w := &pageWatch{}
	err := chromedp.Listen(ctx, func(ev any) {
		w.mu.Lock()
		defer w.mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				w.errors = append(w.errors, fmt.Sprintf("console.%s", ev.Type))
			}
		case *runtime.EventExceptionThrown:
			w.errors = append(w.errors, "exception: "+ev.ExceptionDetails.Text)
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError {
				w.errors = append(w.errors, fmt.Sprintf("%s: %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
			}
		case *network.EventRequestWillBeSent:
			w.requests = append(w.requests, ev.Request.URL)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// check fails the test for any console error and for any request to a URL
// that does not start with one of the allowed prefixes.
func (w *pageWatch) check(t *testing.T, allowed ...string) (errors int) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, e := range w.errors {
		t.Errorf("console error: %s", e)
	}
outer:
	for _, u := range w.requests {
		for _, a := range allowed {
			if strings.HasPrefix(u, a) {
				continue outer
			}
		}
		t.Errorf("the page requested %s", u)
	}
	return len(w.errors)
}

// chartInfo is what the page says about one drawn chart.
type chartInfo struct {
	ID    string  `json:"id"`
	Marks int     `json:"marks"` // lines, bars and dots drawn
	Width float64 `json:"width"` // on screen, in CSS pixels
}

// chartsJS lists every chart with the marks it draws and its on-screen width.
const chartsJS = `Array.from(document.querySelectorAll("svg.chart")).map(function (s) {
  return {id: s.id, marks: s.querySelectorAll("polyline, rect.bar, circle").length,
          width: s.getBoundingClientRect().width};
})`

// assertCharts checks that every wanted chart is on the page and drawn.
func assertCharts(t *testing.T, ctx context.Context, want ...string) {
	t.Helper()
	charts, err := chromedp.Run(ctx, chromedp.Evaluate[[]chartInfo](chartsJS))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]chartInfo{}
	for _, c := range charts {
		got[c.ID] = c
	}
	for _, id := range want {
		c, ok := got[id]
		switch {
		case !ok:
			t.Errorf("chart %s is not on the page", id)
		case c.Marks == 0 || c.Width < 100:
			t.Errorf("chart %s is not drawn: %d marks, %.0f px wide", id, c.Marks, c.Width)
		}
	}
}

// artifactDir is where the browser tests keep screenshots and pages:
// $LOADGATE_ARTIFACTS, or loadgate-artifacts in the temporary directory.
func artifactDir(t *testing.T) string {
	dir := os.Getenv("LOADGATE_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "loadgate-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func saveArtifact(t *testing.T, name string, data []byte) {
	t.Helper()
	path := filepath.Join(artifactDir(t), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("artifact: %s (%d bytes)", path, len(data))
}

// syncBuffer is a stderr that a test can read while a run writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// demoJob prepares the demo workload against a demo app at url for the
// given measured duration, as `loadgate demo` does, with the given flags.
func demoJob(t *testing.T, url, duration string, f *runFlags, stderr *syncBuffer) *job {
	t.Helper()
	vars := map[string]string{"LOADGATE_DEMO_URL": url, "LOADGATE_DEMO_DURATION": duration}
	lookup := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	cfg, err := config.ParseConfig("demo/loadgate.yml", ".", demo.Workload, config.Overrides{}, lookup)
	if err != nil {
		t.Fatal(err)
	}
	if f.set == nil {
		f.set = map[string]bool{}
	}
	f.Quiet = true
	// No GITHUB_* variables reach the job, also when the tests run in Actions.
	e := &environment{getenv: func(string) string { return "" }, stdout: &bytes.Buffer{}, stderr: stderr}
	j, err := prepareConfig(cfg, f, e)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// startDemoApp serves the demo app on a free loopback port for the test.
func startDemoApp(t *testing.T) *demo.Server {
	t.Helper()
	srv, err := demo.Start("127.0.0.1:0", demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}
