package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// binPath is the loadgate binary built once for the end-to-end tests.
var binPath string

func TestMain(m *testing.M) {
	// The tests name the repository's testdata/, examples/ and docs/ by
	// paths relative to its root, and build the binary from there.
	if err := os.Chdir("../.."); err != nil {
		panic(err)
	}
	dir, err := os.MkdirTemp("", "loadgate-e2e")
	if err != nil {
		panic(err)
	}
	binPath = filepath.Join(dir, "loadgate")
	if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// runBin runs the binary and returns its exit code, stdout and stderr.
func runBin(t *testing.T, dir string, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(binPath, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

// demoConfig is the demo's WebsiteUser workload with loadgate starting
// `loadgate demo --serve` itself, and the given thresholds.
func demoConfig(t *testing.T, thresholds string) (dir string) {
	dir = t.TempDir()
	port := freePort(t)
	yml := fmt.Sprintf(`
target:
  url: http://127.0.0.1:%[1]d
  start:
    command: %[2]s demo --serve 127.0.0.1:%[1]d
    ready: {url: http://127.0.0.1:%[1]d/hello, timeout: 10s}
    stop_timeout: 2s
load: {duration: 2s, users: 10}
wait_time: between 10ms 50ms
tasks:
  - {name: /hello_world, weight: 3, get: /hello}
  - {name: "/items/[item_id]", weight: 2, get: "/items/{{ randInt 1 100 }}"}
  - name: /create_item
    post: /create_item
    json: {name: "Item {{ randInt 1 1000 }}", price: "{{ randFloat 10 100 2 }}"}
thresholds:
%[3]s`, port, binPath, thresholds)
	if err := os.WriteFile(filepath.Join(dir, "loadgate.yml"), []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestExitPass(t *testing.T) {
	dir := demoConfig(t, "  total: [p95 < 2s, failure_rate < 1%]\n")
	code, out, errs := runBin(t, dir, nil, "-q", "--out", "result.json", "--summary", "summary.md")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	var r map[string]any
	b, err := os.ReadFile(filepath.Join(dir, "result.json"))
	if err != nil || json.Unmarshal(b, &r) != nil {
		t.Fatalf("result.json: %v", err)
	}
	if r["schema"] != "loadgate/result/v1" {
		t.Errorf("schema %v", r["schema"])
	}
	if !strings.Contains(out, "/items/[item_id]") || !strings.Contains(out, "PASS") {
		t.Errorf("terminal output lacks the table or verdict:\n%s", out)
	}
}

func TestExitFailNamesCheck(t *testing.T) {
	dir := demoConfig(t, "  total: [p95 < 1ms]\n")
	code, out, errs := runBin(t, dir, nil, "-q", "--summary", "summary.md")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errs)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "summary.md"))
	s := string(md)
	if !strings.Contains(s, "FAIL") || !strings.Contains(s, "p95") || !strings.Contains(s, "1 ms") {
		t.Errorf("summary does not name the failed check with its limit:\n%s", s)
	}
}

func TestExitConfigError(t *testing.T) {
	code, _, errs := runBin(t, ".", nil, "-c", "testdata/bad/unknown_key.yml")
	if code != 2 || !strings.Contains(errs, "testdata/bad/unknown_key.yml:5:3") {
		t.Fatalf("exit %d, stderr %s", code, errs)
	}
	code, _, errs = runBin(t, ".", nil, "-c", "no-such-file.yml")
	if code != 2 || !strings.Contains(errs, "not found") {
		t.Fatalf("missing file: exit %d, stderr %s", code, errs)
	}
	code, _, _ = runBin(t, ".", nil, "--users", "x")
	if code != 2 {
		t.Fatalf("bad flag: exit %d", code)
	}
}

func TestExitTargetNeverReady(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	yml := fmt.Sprintf(`
target:
  url: http://127.0.0.1:%[1]d
  start:
    command: sleep 30
    ready: {tcp: 127.0.0.1:%[1]d, timeout: 1s}
    stop_timeout: 1s
tasks:
  - get: /
`, port)
	os.WriteFile(filepath.Join(dir, "loadgate.yml"), []byte(yml), 0o644)
	code, _, errs := runBin(t, dir, nil, "-q")
	if code != 3 {
		t.Fatalf("exit %d, want 3; %s", code, errs)
	}
	if !strings.Contains(errs, "ready") {
		t.Errorf("stderr does not say why: %s", errs)
	}
}

func TestURLQuickCheck(t *testing.T) {
	port := freePort(t)
	srv := exec.Command(binPath, "demo", "--serve", fmt.Sprintf("127.0.0.1:%d", port))
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	waitTCP(t, port)
	code, out, errs := runBin(t, ".", nil, "--url", fmt.Sprintf("http://127.0.0.1:%d/hello", port), "-t", "1s", "-u", "2", "-q")
	if code != 0 || !strings.Contains(out, "GET /hello") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
}
