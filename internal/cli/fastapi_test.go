package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/load/result"
)

// needUvicorn skips when the FastAPI app cannot run here, except in CI,
// where .ci/run installs python3-fastapi and uvicorn and a missing one is a
// failure, not a reason to skip.
func needUvicorn(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("uvicorn"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("uvicorn is not installed but CI is set: .ci/run must install python3-fastapi and uvicorn")
		}
		t.Skip("uvicorn not installed (Debian: apt-get install python3-fastapi uvicorn); skipping the FastAPI end-to-end test")
	}
}

// runExample runs an examples/fastapi config against a fresh app on a free
// port and returns the exit code, the decoded result and the stdout.
func runExample(t *testing.T, config string, env ...string) (int, *result.Result, string) {
	t.Helper()
	needUvicorn(t)
	out := filepath.Join(t.TempDir(), "result.json")
	env = append(env, fmt.Sprintf("PORT=%d", freePort(t)))
	code, stdout, stderr := runBin(t, ".", env, "-c", config, "-q", "--out", out)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("exit %d, no result: %v\n%s\n%s", code, err, stdout, stderr)
	}
	var r result.Result
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return code, &r, stdout + stderr
}

func TestFastAPIAuthenticatedUser(t *testing.T) {
	code, r, out := runExample(t, "examples/fastapi/authenticated.yml", "DURATION=4s", "USERS=10", "WAIT_TIME=between 50ms 100ms")
	p := r.Endpoint("/protected_data")
	if code != 0 || p == nil || p.Requests <= 50 || r.Total.Failures != 0 {
		t.Fatalf("exit %d, protected %+v, failures %v\n%s", code, p, r.Total.FailureReasons, out)
	}
	if strings.Contains(out, "password") && strings.Contains(out, "\"password\"") {
		t.Errorf("the password reached the output:\n%s", out)
	}
}

func TestFastAPIWithoutLoginFails401(t *testing.T) {
	needUvicorn(t)
	// The same journey minus the login step.
	src, _ := os.ReadFile("examples/fastapi/authenticated.yml")
	s := string(src)
	i, j := strings.Index(s, "    on_start:"), strings.Index(s, "    tasks:")
	s = s[:i] + s[j:]
	s = strings.ReplaceAll(s, "../../testdata/fastapi", filepath.Join(mustAbs(t, "testdata/fastapi")))
	cfg := filepath.Join(t.TempDir(), "nologin.yml")
	os.WriteFile(cfg, []byte(s), 0o644)
	code, r, out := runExample(t, cfg, "DURATION=2s", "USERS=4", "WAIT_TIME=constant 50ms")
	p := r.Endpoint("/protected_data")
	if code != 1 || p == nil || p.Requests == 0 || p.Failures != p.Requests {
		t.Fatalf("exit %d, protected %+v\n%s", code, p, out)
	}
	if p.FailureReasons["expect status: got 401, want 200"] != p.Failures && p.FailureReasons["status 401"] != p.Failures {
		t.Errorf("reasons %v", p.FailureReasons)
	}
}

func TestFastAPIChainedReadAfterCreate(t *testing.T) {
	code, r, out := runExample(t, "examples/fastapi/chained.yml", "DURATION=3s", "USERS=5", "WAIT_TIME=constant 50ms")
	read := r.Endpoint("/items/[created_item_id]_chained")
	if code != 0 || read == nil || read.Requests == 0 || read.Failures != 0 || r.Total.Failures != 0 {
		t.Fatalf("exit %d, read %+v, reasons %v\n%s", code, read, r.Total.FailureReasons, out)
	}
}

func TestFastAPIProfilesWithFakeData(t *testing.T) {
	code, r, out := runExample(t, "examples/fastapi/profiles.yml", "DURATION=2s", "USERS=4", "WAIT_TIME=between 20ms 50ms")
	if code != 0 || r.Total.Requests == 0 || r.Total.Failures != 0 {
		t.Fatalf("exit %d, %d requests, reasons %v\n%s", code, r.Total.Requests, r.Total.FailureReasons, out)
	}
}

// TestFastAPIBlockingSleepExposed runs WebsiteUser without think time: the
// guide's time.sleep inside async def stalls the event loop, so /hello's p95
// rises to the sleep's 50 ms when even item ids are requested beside it;
// with await asyncio.sleep it stays low.
func TestFastAPIBlockingSleepExposed(t *testing.T) {
	needUvicorn(t)
	src, _ := os.ReadFile("examples/fastapi/website.yml")
	s := strings.ReplaceAll(string(src), "../../testdata/fastapi", mustAbs(t, "testdata/fastapi"))
	// Even ids only, so every item request sleeps.
	s = strings.ReplaceAll(s, "get: /items/{{ randInt 1 100 }}", "get: /items/{{ randInt 1 49 }}2")
	cfg := filepath.Join(t.TempDir(), "website.yml")
	os.WriteFile(cfg, []byte(s), 0o644)
	hello := func(mode string) float64 {
		_, r, out := runExample(t, cfg, "DURATION=3s", "WARMUP=1s", "USERS=6", "WAIT_TIME=none", "ITEMS_SLEEP="+mode)
		h := r.Endpoint("/hello_world")
		if h == nil || h.Requests == 0 {
			t.Fatalf("%s: no /hello requests\n%s", mode, out)
		}
		return h.LatencyMS.P95
	}
	blocking, async := hello("blocking"), hello("async")
	t.Logf("/hello p95: %.1f ms with time.sleep, %.1f ms with asyncio.sleep", blocking, async)
	if blocking < 40 {
		t.Errorf("with the blocking sleep /hello p95 is %.1f ms, want >= 40 ms", blocking)
	}
	if async > blocking/2 {
		t.Errorf("with asyncio.sleep /hello p95 is %.1f ms, not far below %.1f ms", async, blocking)
	}
}

func mustAbs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestFastAPISession: the Django-style session of examples/fastapi/session.yml
// (form login answered by a 303 with session and CSRF cookies, pages that
// need the session, notes that need the CSRF header, logout) runs with 0
// failures; a wrong password stops the run at once with exit 1.
func TestFastAPISession(t *testing.T) {
	code, r, out := runExample(t, "examples/fastapi/session.yml", "DURATION=4s")
	home, note := r.Endpoint("home"), r.Endpoint("note")
	if code != 0 || home == nil || note == nil || home.Requests < 20 || note.Requests < 5 || r.Total.Failures != 0 ||
		r.Endpoint("logout").Requests != 10 {
		t.Fatalf("exit %d, home %+v, note %+v, failures %v\n%s", code, home, note, r.Total.FailureReasons, out)
	}
	code, r, out = runExample(t, "examples/fastapi/session.yml", "DURATION=30s", "LOGIN_PASSWORD=wrong")
	if code != 1 || !strings.Contains(r.Aborted, "step login failed (login failed)") || r.DurationS > 5 {
		t.Fatalf("wrong password: exit %d, aborted %q after %gs\n%s", code, r.Aborted, r.DurationS, out)
	}
}
