package cli

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/loadgate/loadgate/demo"
)

// The action contract test: action.yml's composite steps run with bash
// under a simulated runner, as GitHub's runs them: ${{ }} evaluated in
// env/if/outputs, a fresh GITHUB_OUTPUT per step, GITHUB_ENV and GITHUB_PATH
// carried between steps. Composite steps get no INPUT_* variables (only
// JavaScript and Docker actions do), so neither do these. An expression the
// simulator does not know fails the test: a context typo cannot pass.

// Field names match action.yml's keys lower-cased, go-yaml's default.
type actionSpec struct {
	Name, Description, Author string
	Branding                  map[string]string
	Inputs                    map[string]struct {
		Description, Default string
		Required             bool
	}
	Outputs map[string]struct{ Description, Value string }
	Runs    struct {
		Using string
		Steps []actionStep
	}
}

type actionStep struct {
	ID, Name, If, Shell, Run, Uses string
	Env, With                      map[string]string
}

func loadAction(t *testing.T) *actionSpec {
	t.Helper()
	b, err := os.ReadFile("action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var a actionSpec
	if err := yaml.UnmarshalWithOptions(b, &a, yaml.DisallowUnknownField()); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	return &a
}

func TestActionMetadata(t *testing.T) {
	a := loadAction(t)
	if a.Runs.Using != "composite" {
		t.Errorf("runs.using = %q: a container action cannot reach the runner's loopback", a.Runs.Using)
	}
	if a.Name == "" || a.Description == "" || a.Branding["icon"] == "" || a.Branding["color"] == "" {
		t.Errorf("name, description and branding are needed for the Marketplace: %+v %v", a.Name, a.Branding)
	}
	for _, in := range []string{"config", "baseline", "save_baseline", "args", "version", "working_directory"} {
		if _, ok := a.Inputs[in]; !ok {
			t.Errorf("input %q missing", in)
		}
	}
	for _, out := range []string{"passed", "verdict", "p95_ms", "p99_ms", "rps", "failure_rate", "result", "summary"} {
		if o, ok := a.Outputs[out]; !ok || o.Value == "" {
			t.Errorf("output %q missing or without value", out)
		}
	}
	for i, s := range a.Runs.Steps {
		if s.Run != "" && strings.Contains(s.Run, "${{") {
			t.Errorf("step %d (%s): ${{ }} inside run: is shell injection; pass it through env:", i, s.ID)
		}
		if s.Run != "" && s.Shell != "bash" {
			t.Errorf("step %d (%s): shell %q, want bash (composite steps need one, and every runner OS has bash)", i, s.ID, s.Shell)
		}
	}
}

// simRunner runs a composite action's steps as GitHub's runner does.
type simRunner struct {
	t        *testing.T
	action   *actionSpec
	temp     string            // RUNNER_TEMP
	work     string            // GITHUB_WORKSPACE, the steps' working directory
	inputs   map[string]string // with: of the calling workflow step
	github   map[string]string
	env      []string                     // base environment
	jobEnv   map[string]string            // GITHUB_ENV of earlier steps
	path     []string                     // GITHUB_PATH of earlier steps
	steps    map[string]map[string]string // outputs by step id
	summary  strings.Builder              // the job summary
	log      strings.Builder              // all steps' output
	exitCode int                          // of the step that failed, 0 if none
}

func newSimRunner(t *testing.T, inputs map[string]string) *simRunner {
	root, _ := os.Getwd()
	r := &simRunner{t: t, action: loadAction(t), temp: t.TempDir(), work: t.TempDir(), inputs: map[string]string{},
		jobEnv: map[string]string{}, steps: map[string]map[string]string{}}
	for k, in := range r.action.Inputs {
		r.inputs[k] = in.Default
	}
	for k, v := range inputs {
		if _, ok := r.inputs[k]; !ok {
			t.Fatalf("the action has no input %q", k)
		}
		r.inputs[k] = v
	}
	r.github = map[string]string{"action_path": root, "action_ref": "", "action_repository": "", "token": "",
		"server_url": "https://github.invalid", "workspace": r.work}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(k, "GITHUB_") && !strings.HasPrefix(k, "RUNNER_") && !strings.HasPrefix(k, "LOADGATE_") && !strings.HasPrefix(k, "INPUT_") {
			r.env = append(r.env, kv)
		}
	}
	arch := map[string]string{"amd64": "X64", "arm64": "ARM64"}[runtime.GOARCH]
	r.env = append(r.env, "CI=true", "GITHUB_ACTIONS=true", "RUNNER_OS=Linux", "RUNNER_ARCH="+arch, "RUNNER_TEMP="+r.temp,
		"GITHUB_WORKSPACE="+r.work, "GITHUB_ACTION_PATH="+root, "NO_PROXY=127.0.0.1,localhost", "no_proxy=127.0.0.1,localhost")
	return r
}

var exprRE = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

// expand replaces every ${{ }} in s.
func (r *simRunner) expand(s string) string {
	return exprRE.ReplaceAllStringFunc(s, func(m string) string {
		return str(r.eval(exprRE.FindStringSubmatch(m)[1]))
	})
}

// eval handles what the action uses: context paths, 'literals', ==, !=, && and ||.
func (r *simRunner) eval(e string) any {
	e = strings.TrimSpace(e)
	if a, b, ok := strings.Cut(e, "||"); ok {
		if v := r.eval(a); truthy(v) {
			return v
		}
		return r.eval(b)
	}
	if a, b, ok := strings.Cut(e, "&&"); ok {
		if v := r.eval(a); !truthy(v) {
			return v
		}
		return r.eval(b)
	}
	if a, b, ok := strings.Cut(e, "!="); ok {
		return str(r.eval(a)) != str(r.eval(b))
	}
	if a, b, ok := strings.Cut(e, "=="); ok {
		return str(r.eval(a)) == str(r.eval(b))
	}
	if e == "always()" {
		return true
	}
	if len(e) >= 2 && e[0] == '\'' && e[len(e)-1] == '\'' {
		return strings.ReplaceAll(e[1:len(e)-1], "''", "'")
	}
	p := strings.Split(e, ".")
	switch {
	case len(p) == 2 && p[0] == "inputs":
		if v, ok := r.inputs[p[1]]; ok {
			return v
		}
	case len(p) == 2 && p[0] == "github":
		if v, ok := r.github[p[1]]; ok {
			return v
		}
	case len(p) == 2 && p[0] == "runner":
		return map[string]string{"os": "Linux", "temp": r.temp}[p[1]]
	case len(p) == 4 && p[0] == "steps" && p[2] == "outputs":
		return r.steps[p[1]][p[3]] // a step that did not run has no outputs: ""
	}
	r.t.Fatalf("action.yml: expression %q is not one the simulated runner knows", e)
	return nil
}

func truthy(v any) bool { return v != "" && v != false }

func str(v any) string { return fmt.Sprint(v) } // true/false as GitHub prints them

// run executes the steps until one fails, then evaluates the action's outputs.
func (r *simRunner) run() map[string]string {
	t := r.t
	failed := false
	for i, s := range r.action.Runs.Steps {
		// After a failure only always() steps run, as on GitHub.
		if failed && !strings.Contains(s.If, "always()") {
			continue
		}
		if s.If != "" && !truthy(r.eval(s.If)) {
			continue
		}
		if s.Uses != "" {
			t.Fatalf("step %d would run %s, which the simulated runner cannot (is Go missing?)", i, s.Uses)
		}
		files := map[string]string{}
		for _, f := range []string{"GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY"} {
			files[f] = filepath.Join(r.temp, fmt.Sprintf("_runner_%s_%d", strings.ToLower(f), i))
			os.WriteFile(files[f], nil, 0o644)
		}
		env := append(slices.Clone(r.env), "PATH="+strings.Join(slices.Concat(r.path, []string{os.Getenv("PATH")}), ":"))
		for _, m := range []map[string]string{r.jobEnv, files, s.Env} {
			for k, v := range m {
				env = append(env, k+"="+r.expand(v))
			}
		}
		script := filepath.Join(r.temp, fmt.Sprintf("_runner_step_%d.sh", i))
		os.WriteFile(script, []byte(s.Run), 0o644)
		// GitHub's invocation for `shell: bash`.
		cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", script)
		cmd.Dir, cmd.Env = r.work, env
		out, err := cmd.CombinedOutput()
		fmt.Fprintf(&r.log, "--- step %d (%s)\n%s", i, s.ID, out)
		r.steps[s.ID] = parseCommandFile(t, files["GITHUB_OUTPUT"])
		for k, v := range parseCommandFile(t, files["GITHUB_ENV"]) {
			r.jobEnv[k] = v
		}
		if b, _ := os.ReadFile(files["GITHUB_PATH"]); len(b) > 0 {
			r.path = append(strings.Split(strings.TrimSpace(string(b)), "\n"), r.path...)
		}
		md, _ := os.ReadFile(files["GITHUB_STEP_SUMMARY"])
		r.summary.Write(md)
		if err != nil && !failed {
			r.exitCode = cmd.ProcessState.ExitCode()
			failed = true
		}
	}
	outs := map[string]string{}
	for k, o := range r.action.Outputs {
		outs[k] = r.expand(o.Value)
	}
	return outs
}

// parseCommandFile reads GITHUB_OUTPUT/GITHUB_ENV: NAME=VALUE lines and
// NAME<<DELIM heredocs.
func parseCommandFile(t *testing.T, path string) map[string]string {
	b, _ := os.ReadFile(path)
	m := map[string]string{}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(b) == 0 {
		return m
	}
	for i := 0; i < len(lines); i++ {
		if k, v, ok := strings.Cut(lines[i], "="); ok && !strings.Contains(k, "<<") {
			m[k] = v
			continue
		}
		k, delim, ok := strings.Cut(lines[i], "<<")
		if !ok {
			t.Fatalf("%s: malformed line %q", filepath.Base(path), lines[i])
		}
		var val []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			val = append(val, lines[i])
		}
		if i == len(lines) {
			t.Fatalf("%s: heredoc %q never closed", filepath.Base(path), delim)
		}
		m[k] = strings.Join(val, "\n")
	}
	return m
}

// actionApp starts the demo app and writes a config for it under the
// runner's workspace, in the subfolder app/.
func actionApp(t *testing.T, r *simRunner, threshold string) {
	srv, err := demo.Start("127.0.0.1:0", demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	yml := fmt.Sprintf("target: {url: %s}\nload: {duration: 3s, users: 10}\nwait_time: constant 20ms\ntasks:\n  - {name: hello, get: /hello}\nthresholds:\n  total: [%s]\n", srv.URL, threshold)
	os.MkdirAll(filepath.Join(r.work, "app"), 0o755)
	if err := os.WriteFile(filepath.Join(r.work, "app", "gate.yml"), []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestActionBuildsFromSource(t *testing.T) {
	r := newSimRunner(t, map[string]string{"version": "source", "config": "gate.yml", "working_directory": "app",
		"args": "-t 1s\n-u 3   -q", "comment": "true"})
	actionApp(t, r, "p95 < 2s, failure_rate < 1%")
	outs := r.run()
	if r.exitCode != 0 || !strings.Contains(r.log.String(), "built from source") {
		t.Fatalf("exit %d; want 0 from a binary built from source\n%s", r.exitCode, r.log.String())
	}
	if outs["passed"] != "true" || outs["verdict"] != "pass" || outs["failure_rate"] != "0" {
		t.Errorf("outputs %v", outs)
	}
	for _, k := range []string{"p95_ms", "p99_ms", "rps"} {
		if v, err := strconv.ParseFloat(outs[k], 64); err != nil || v <= 0 {
			t.Errorf("output %s = %q, want a positive number", k, outs[k])
		}
	}
	for _, k := range []string{"result", "summary"} {
		if !strings.HasPrefix(outs[k], r.temp+string(filepath.Separator)) {
			t.Errorf("output %s = %q, want a file under RUNNER_TEMP", k, outs[k])
		}
	}
	res := readResult(t, outs["result"])
	if res.Total.Requests == 0 || res.Load.Users != 3 || res.DurationS != 1 {
		t.Errorf("result: %d requests, %d users, %gs: args were not applied", res.Total.Requests, res.Load.Users, res.DurationS)
	}
	md, _ := os.ReadFile(outs["summary"])
	if !strings.Contains(string(md), "p95") || !strings.Contains(r.summary.String(), string(md)) {
		t.Errorf("summary file:\n%s\njob summary:\n%s", md, r.summary.String())
	}
	// comment: true ran the comment step, which without a token (or a pull
	// request) says so and leaves the exit code alone.
	if !strings.Contains(r.log.String(), "no pull-request comment") {
		t.Errorf("the comment step did not run:\n%s", r.log.String())
	}
}

// releaseServer serves the loadgate binary as the release asset of tag
// for this machine, with a checksums.txt that is right unless badSum.
func releaseServer(t *testing.T, tag string, badSum bool) string {
	bin, err := os.ReadFile(binPath)
	if err != nil {
		t.Fatal(err)
	}
	asset := fmt.Sprintf("loadgate_linux_%s", runtime.GOARCH)
	sum := fmt.Sprintf("%x", sha256.Sum256(bin))
	if badSum {
		sum = strings.Repeat("0", 64)
	}
	prefix := "/loadgate/loadgate/releases/download/" + tag + "/"
	mux := http.NewServeMux()
	mux.HandleFunc(prefix+asset, func(w http.ResponseWriter, _ *http.Request) { w.Write(bin) })
	mux.HandleFunc(prefix+"checksums.txt", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "%s  loadgate_darwin_arm64\n%s  %s\n", strings.Repeat("1", 64), sum, asset)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

func releaseRunner(t *testing.T, inputs map[string]string, server string) *simRunner {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed; every GitHub runner has it")
	}
	r := newSimRunner(t, inputs)
	r.github["server_url"] = server
	r.github["action_ref"] = "v9.9.9"
	r.github["action_repository"] = "loadgate/loadgate"
	return r
}

func TestActionDownloadsVerifiedRelease(t *testing.T) {
	srv := releaseServer(t, "v9.9.9", false)
	// version: 9.9.9 is the tag v9.9.9. A gate that fails: exit 1, outputs set, annotated.
	r := releaseRunner(t, map[string]string{"config": "gate.yml", "working_directory": "app", "args": "-t 1s -q", "version": "9.9.9"}, srv)
	actionApp(t, r, "rps >= 1000000")
	outs := r.run()
	log := r.log.String()
	if !strings.Contains(log, "verified") || strings.Contains(log, "built from source") {
		t.Errorf("want the verified release binary, not a build:\n%s", log)
	}
	if r.exitCode != 1 || outs["passed"] != "false" || outs["verdict"] != "fail" || outs["result"] == "" {
		t.Errorf("exit %d, outputs %v\n%s", r.exitCode, outs, log)
	}
	if !strings.Contains(log, "::error") || !strings.Contains(r.summary.String(), "FAIL") {
		t.Errorf("no annotation or no FAIL in the summary:\n%s\n%s", log, r.summary.String())
	}

	// Inputs are data, never shell: nothing here may run.
	r = releaseRunner(t, map[string]string{"config": "gate.yml; touch pwned1", "working_directory": "app",
		"args": "-q $(touch pwned2) `touch pwned3` ;touch pwned4 *"}, srv)
	actionApp(t, r, "p95 < 2s")
	r.run()
	if r.exitCode != 2 {
		t.Errorf("exit %d, want 2 (a usage error)\n%s", r.exitCode, r.log.String())
	}
	for _, dir := range []string{r.work, filepath.Join(r.work, "app")} {
		if m, _ := filepath.Glob(filepath.Join(dir, "pwned*")); len(m) > 0 {
			t.Errorf("an input ran as shell code: %v", m)
		}
	}
}

func TestActionReleaseProblems(t *testing.T) {
	// A checksum mismatch stops the action: the binary never runs.
	r := releaseRunner(t, map[string]string{"config": "gate.yml", "working_directory": "app"}, releaseServer(t, "v9.9.9", true))
	actionApp(t, r, "p95 < 2s")
	outs := r.run()
	if log := r.log.String(); r.exitCode != 1 || !strings.Contains(log, "does not match") || strings.Contains(log, "(run)") || outs["passed"] != "" {
		t.Errorf("exit %d, outputs %v: a binary failing its checksum must not run\n%s", r.exitCode, outs, log)
	}
	if m, _ := filepath.Glob(filepath.Join(r.temp, "loadgate-action", "*", "loadgate*")); len(m) > 0 {
		t.Errorf("the unverified binary was left behind: %v", m)
	}
	// No release for the tag (v9.9.9 is not on this server): build from source.
	r = releaseRunner(t, map[string]string{"config": "gate.yml", "working_directory": "app", "args": "-t 1s -q"}, releaseServer(t, "v1.0.0", false))
	actionApp(t, r, "p95 < 2s")
	outs = r.run()
	if log := r.log.String(); r.exitCode != 0 || !strings.Contains(log, "building from the action's source") ||
		!strings.Contains(log, "built from source") || outs["passed"] != "true" {
		t.Errorf("exit %d, outputs %v\n%s", r.exitCode, outs, log)
	}
}
