package load

import (
	"reflect"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/loadgate/loadgate/load/config"
)

// configErr parses and compiles src (after a target line, so line 2 is the
// first of src) and returns the error text, "" when the config is good.
func configErr(t *testing.T, src string, ov config.Overrides) string {
	t.Helper()
	cfg, err := config.ParseConfig("c.yml", t.TempDir(), []byte("target: {url: http://127.0.0.1:1}\n"+src), ov, func(string) (string, bool) { return "", false })
	if err == nil {
		_, err = Compile(cfg)
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestConfigWholeNumbers: integer fields take whole numbers; 2.7 is an
// error naming the field, not a silent 2.
func TestConfigWholeNumbers(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"users", "load: {users: 2.7}\ntasks: [{get: /}]\n", "c.yml:2:15: load.users: must be a whole number, got 2.7"},
		{"users quoted", "load: {users: \"2.7\"}\ntasks: [{get: /}]\n", "c.yml:2:15: load.users: must be a whole number, got 2.7"},
		{"task weight 0.5", "tasks:\n  - {get: /a, weight: 0.5}\n  - get: /b\n", "c.yml:3:23: tasks[0].weight: must be a whole number, got 0.5"},
		{"task weight 2.9", "tasks:\n  - get: /a\n    weight: 2.9\n", "c.yml:4:13: tasks[0].weight: must be a whole number, got 2.9"},
		{"class weight", "users:\n  - name: A\n    weight: 1.5\n    tasks: [{get: /}]\n", "c.yml:4:13: users[0].weight: must be a whole number, got 1.5"},
		{"step task weight in a class", "users:\n  - tasks:\n      - weight: 0.25\n        steps: [{get: /}]\n", "c.yml:4:17: users[0].tasks[0].weight: must be a whole number, got 0.25"},
		{"stage users", "load:\n  stages: [{duration: 1s, users: 2.5}]\ntasks: [{get: /}]\n", "c.yml:3:34: load.stages[0].users: must be a whole number, got 2.5"},
		{"keep", "baseline: {keep: 2.5}\ntasks: [{get: /}]\n", "c.yml:2:18: baseline.keep: must be a whole number, got 2.5"},
		{"version", "version: 1.5\ntasks: [{get: /}]\n", "c.yml:2:10: version: must be a whole number, got 1.5"},
		{"too large", "load: {users: 99999999999999999999}\ntasks: [{get: /}]\n", "c.yml:2:15: load.users: 99999999999999999999 is too large"},
		{"several at once", "tasks:\n  - {get: /a, weight: 0.5}\n  - {get: /b, weight: 2.9}\n",
			"c.yml:3:23: tasks[0].weight: must be a whole number, got 0.5\nc.yml:4:23: tasks[1].weight: must be a whole number, got 2.9"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := configErr(t, c.src, config.Overrides{}); got != c.want {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
	// Whole numbers however written still pass, with their value.
	for src, want := range map[string]int{"2.0": 2, "1e3": 1000, `"5"`: 5, "0x10": 16} {
		cfg, err := config.ParseConfig("c.yml", "/tmp", []byte("target: {url: http://127.0.0.1:1}\nload: {users: "+src+"}\ntasks: [{get: /}]\n"), config.Overrides{}, nil)
		if err != nil || cfg.Load.Users != want {
			t.Errorf("users: %s: %v, users %v, want %d", src, err, cfg, want)
		}
	}
}

// TestConfigWrongTypes: a value of the wrong kind is told by the field as
// the user wrote it and what was found, without Go's type names.
func TestConfigWrongTypes(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"users word", "load: {users: many}\ntasks: [{get: /}]\n", `c.yml:2:15: load.users: wrong type: want a whole number, got "many"`},
		{"users bool", "load: {users: true}\ntasks: [{get: /}]\n", `c.yml:2:15: load.users: wrong type: want a whole number, got true`},
		{"spawn_rate word", "load: {spawn_rate: fast}\ntasks: [{get: /}]\n", `c.yml:2:20: load.spawn_rate: wrong type: want a number, got "fast"`},
		{"load list", "load: [1]\ntasks: [{get: /}]\n", `c.yml:2:7: load: wrong type: want a mapping (key: value), got a list`},
		{"timeout list", "target: {url: http://127.0.0.1:1, timeout: [1]}\ntasks: [{get: /}]\n", `c.yml:2:44: target.timeout: wrong type: want a duration such as 10s, got a list`},
		{"headers list", "target:\n  url: http://127.0.0.1:1\n  headers: [a, b]\ntasks: [{get: /}]\n", `c.yml:4:12: target.headers: wrong type: want a mapping (key: value), got a list`},
		{"start string", "target: {url: http://127.0.0.1:1, start: x}\ntasks: [{get: /}]\n", `c.yml:2:42: target.start: wrong type: want a mapping (key: value), got "x"`},
		{"tasks mapping", "tasks: {get: /}\n", `c.yml:2:8: tasks: wrong type: want a list, got a mapping`},
		{"step headers string", "tasks:\n  - get: /\n    headers: x\n", `c.yml:4:14: tasks[0].headers: wrong type: want a mapping (key: value), got "x"`},
		{"stage users word", "load:\n  stages: [{duration: 1s, users: many}]\ntasks: [{get: /}]\n", `c.yml:3:34: load.stages[0].users: wrong type: want a whole number, got "many"`},
		{"wait_time list", "wait_time: [1s, 2s]\ntasks: [{get: /}]\n", `c.yml:2:12: wait_time: wrong type: want a wait time such as between 1s 2s, got a list`},
		{"unknown key after it", "load: {users: many, duraton: 1s}\ntasks: [{get: /}]\n", `c.yml:2:15: load.users: wrong type: want a whole number, got "many"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := c.src
			if strings.HasPrefix(src, "target:") {
				// replaces the default target line: shift the lines back by one
				cfg, err := config.ParseConfig("c.yml", t.TempDir(), []byte("\n"+src), config.Overrides{}, nil)
				got := ""
				if err != nil {
					got = err.Error()
				} else if _, err := Compile(cfg); err != nil {
					got = err.Error()
				}
				if got != c.want {
					t.Errorf("got  %q\nwant %q", got, c.want)
				}
				return
			}
			if got := configErr(t, src, config.Overrides{}); got != c.want {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}

// TestYAMLErrorNamesField: a decoder error that reaches yamlError (checkShape
// normally reports it first) still names the field and no Go type.
func TestYAMLErrorNamesField(t *testing.T) {
	for src, want := range map[string]string{
		"load: {users: many}":       `c.yml:1:15: load.users: wrong type: want a whole number, got "many"`,
		"target: {headers: [a, b]}": `c.yml:1:19: target.headers: wrong type: want a mapping (key: value), got a list`,
		"load: {users: 1e400}":      `c.yml:1:15: load.users: wrong type: want a whole number, got "1e400"`,
		"load: {duraton: 1s}":       `c.yml:1:8: unknown key "duraton" (did you mean duration?)`,
	} {
		var raw config.RawConfig
		err := yaml.UnmarshalWithOptions([]byte(src), &raw, yaml.Strict())
		if err == nil {
			t.Fatalf("%s: decoded", src)
		}
		if got := config.YamlError("c.yml", err, config.NewLocator("c.yml", []byte(src))).Error(); got != want {
			t.Errorf("%s:\ngot  %q\nwant %q", src, got, want)
		}
	}
}

// TestConfigZeroArrivalRate: arrival_rate 0 is not a way to ask for the
// closed model; in a stage (a ramp down) it is fine.
func TestConfigZeroArrivalRate(t *testing.T) {
	const zero = "must be more than 0/s (leave it out for the closed model)"
	for _, r := range []string{"0/s", "0", "0.0/m"} {
		if got, want := configErr(t, "load: {arrival_rate: "+r+"}\ntasks: [{get: /}]\n", config.Overrides{}), "c.yml:2:22: load.arrival_rate: "+zero; got != want {
			t.Errorf("%s:\ngot  %q\nwant %q", r, got, want)
		}
	}
	if got, want := configErr(t, "tasks: [{get: /}]\n", config.Overrides{ArrivalRate: "0/s"}), "--arrival-rate: "+zero; got != want {
		t.Errorf("override:\ngot  %q\nwant %q", got, want)
	}
	ramp := "load:\n  stages:\n    - {duration: 1s, arrival_rate: 10/s}\n    - {duration: 1s, arrival_rate: 0/s}\ntasks: [{get: /}]\n"
	if got := configErr(t, ramp, config.Overrides{}); got != "" {
		t.Errorf("a stage ramping down to 0/s: %s", got)
	}
}

// TestTemplateCallChecks: calls to built-ins with the wrong number of
// arguments, or a literal of the wrong kind, fail when the config is
// loaded, located at the field, instead of failing every request.
func TestTemplateCallChecks(t *testing.T) {
	bad := []struct{ tmpl, want string }{
		{"{{ randInt 1 }}", "randInt takes 2 arguments (randInt A B), got 1"},
		{"{{ randInt 1 2 3 }}", "randInt takes 2 arguments (randInt A B), got 3"},
		{"{{ 5 | randInt 1 2 }}", "randInt takes 2 arguments (randInt A B), got 3"},
		{"{{ randInt (randInt 1) 10 }}", "randInt takes 2 arguments (randInt A B), got 1"},
		{"{{ if randInt 1 }}x{{ end }}", "randInt takes 2 arguments (randInt A B), got 1"},
		{"{{ randFloat 1 }}", "randFloat takes 2 or 3 arguments (randFloat A B [DECIMALS]), got 1"},
		{"{{ randFloat 1 2 3 4 }}", "randFloat takes 2 or 3 arguments (randFloat A B [DECIMALS]), got 4"},
		{"{{ uuid 1 }}", "uuid takes no arguments (uuid), got 1"},
		{"{{ seq 3 }}", "seq takes no arguments (seq), got 1"},
		{"{{ env }}", "env takes 1 or 2 arguments (env NAME [DEFAULT]), got 0"},
		{"{{ env `A` `b` `c` }}", "env takes 1 or 2 arguments (env NAME [DEFAULT]), got 3"},
		{"{{ fake }}", "fake takes 1 to 3 arguments (fake KIND [ARGS]), got 0"},
		{"{{ env fake }}", "fake takes 1 to 3 arguments (fake KIND [ARGS]), got 0"},
		{"{{ define `x` }}{{ randInt 1 }}{{ end }}{{ template `x` }}", "randInt takes 2 arguments (randInt A B), got 1"},
		{"{{ randInt 1 2.5 }}", "randInt: argument 2 must be a whole number, got 2.5"},
		{"{{ randInt `a` 2 }}", "randInt: argument 1 must be a whole number, got the string `a`"},
		{"{{ randFloat 1 2 2.5 }}", "randFloat: argument 3 must be a whole number, got 2.5"},
		{"{{ randFloat true 2 }}", "randFloat: argument 1 must be a number, got true"},
		{"{{ env 5 }}", "env: argument 1 must be a string, got the number 5"},
		{"{{ fake 1 }}", "fake: argument 1 must be a string, got the number 1"},
		{"{{ randInt 5 1 }}", "randInt 5 1: the second must not be less than the first"},
	}
	for _, c := range bad {
		for _, typed := range []bool{false, true} {
			_, err := compileTmpl(c.tmpl, typed)
			if err == nil || err.Error() != "template: "+c.want {
				t.Errorf("%s (typed %v): %v, want %q", c.tmpl, typed, err, c.want)
			}
		}
	}
	for _, good := range []string{"{{ randInt 1 2 }}", "{{ randInt 1 1.0 }}", "{{ 5 | randInt 1 }}", "{{ randInt seq 10 }}", "{{ randInt .a .b }}",
		"{{ randFloat 1 2 }}", "{{ randFloat 1.5 2 2 }}", "{{ uuid }}-{{ seq }}", "{{ env `HOME` `x` }}", "{{ fake `email` }}", "{{ printf `%d` (randInt 1 2) }}"} {
		if _, err := compileTmpl(good, false); err != nil {
			t.Errorf("%s: %v", good, err)
		}
	}
	// In a config: file, line, column and field, as validate prints it.
	got := configErr(t, "tasks:\n  - get: \"/items/{{ randInt 1 }}\"\n", config.Overrides{})
	if want := "c.yml:3:10: tasks[0].get: template: randInt takes 2 arguments (randInt A B), got 1"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// TestBuiltinsMatchFuncs: the arities in builtins agree with the Go
// functions text/template calls, so the load-time check and the run agree.
func TestBuiltinsMatchFuncs(t *testing.T) {
	for name, b := range builtins {
		ft := reflect.TypeOf(b.fn)
		fixed := ft.NumIn()
		if ft.IsVariadic() {
			fixed--
		}
		if b.min != fixed || (!ft.IsVariadic() && b.max != fixed) || (ft.IsVariadic() && b.max <= fixed) {
			t.Errorf("%s: arity %d..%d, but the function takes %d arguments (variadic %v)", name, b.min, b.max, fixed, ft.IsVariadic())
		}
		if len(b.args) > b.max {
			t.Errorf("%s: %d argument kinds for at most %d arguments", name, len(b.args), b.max)
		}
	}
}

// TestNegativeDurationOnce: a bad duration is reported once, not again by
// the later check that the run has some length.
func TestNegativeDurationOnce(t *testing.T) {
	msg := configErr(t, "load: {users: 1, duration: -5s}\ntasks: [{get: /}]\n", config.Overrides{})
	if n := strings.Count(msg, "load.duration"); n != 1 || !strings.Contains(msg, `"-5s"`) {
		t.Errorf("want one error naming -5s, got:\n%s", msg)
	}
}

// TestClosedStagesSetUsers: beside closed-model stages, users (from the
// file or -u) would only be recorded, not run; the result records the
// stages' peak.
func TestClosedStagesSetUsers(t *testing.T) {
	ten := 10
	src := "load:\n  users: 50\n  stages: [{duration: 1s, users: 4}, {duration: 1s, users: 1}]\ntasks: [{get: /}]\n"
	for _, ov := range []config.Overrides{{}, {Users: &ten}} {
		cfg, err := config.ParseConfig("c.yml", t.TempDir(), []byte("target: {url: http://127.0.0.1:1}\n"+src), ov, func(string) (string, bool) { return "", false })
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Load.Users != 4 {
			t.Errorf("users %d with override %v, want the stages' peak 4", cfg.Load.Users, ov.Users)
		}
	}
}

// TestLoadModelResolution: what load.users, the rate and the stages come
// to after the config's defaults and the command-line overrides. An open
// model without users gets a pool of rate × timeout (without one it had
// none and sent nothing); -t replaces a ramp with its peak in the same
// model; a mix of models is an error naming where.
func TestLoadModelResolution(t *testing.T) {
	one, five := 1.0, 5
	cases := []struct {
		name, load string
		ov         config.Overrides
		users      int
		rate       float64
		stages     int
		err        string
	}{
		{"closed default", "{duration: 1s}", config.Overrides{}, 1, 0, 0, ""},
		{"open without users", "{duration: 1s, arrival_rate: 40/s}", config.Overrides{}, 400, 40, 0, ""},
		{"open pool follows timeout", "{duration: 1s, arrival_rate: 40/s}\ntarget_timeout: 2s", config.Overrides{}, 80, 40, 0, ""},
		{"open with users", "{duration: 1s, arrival_rate: 40/s, users: 7}", config.Overrides{}, 7, 40, 0, ""},
		{"--arrival-rate without users", "{duration: 1s}", config.Overrides{ArrivalRate: "20/s"}, 200, 20, 0, ""},
		{"open stages without users", "{stages: [{duration: 1s, arrival_rate: 30/s}, {duration: 1s, arrival_rate: 50/s}]}", config.Overrides{}, 500, 50, 2, ""},
		{"open stages: --arrival-rate recorded as the peak", "{stages: [{duration: 1s, arrival_rate: 50/s}]}", config.Overrides{ArrivalRate: "9/s"}, 500, 50, 1, ""},
		{"-t on open stages keeps the model", "{users: 5, stages: [{duration: 1s, arrival_rate: 20/s}, {duration: 1s, arrival_rate: 60/s}]}", config.Overrides{Duration: &one}, 5, 60, 0, ""},
		{"-t and --arrival-rate on open stages", "{stages: [{duration: 1s, arrival_rate: 60/s}]}", config.Overrides{Duration: &one, ArrivalRate: "10/s"}, 100, 10, 0, ""},
		{"-t on closed stages runs the peak", "{stages: [{duration: 1s, users: 2}, {duration: 1s, users: 6}]}", config.Overrides{Duration: &one}, 6, 0, 0, ""},
		{"-t and -u on closed stages", "{stages: [{duration: 1s, users: 6}]}", config.Overrides{Duration: &one, Users: &five}, 5, 0, 0, ""},
		{"--arrival-rate on closed stages", "{stages: [{duration: 1s, users: 6}]}", config.Overrides{ArrivalRate: "40/s"}, 0, 0, 0,
			"--arrival-rate: load.stages ramp users (the closed model): ramp arrival_rate in the stages for the open model, or leave out --arrival-rate"},
		{"arrival_rate beside closed stages", "{arrival_rate: 40/s, stages: [{duration: 1s, users: 6}]}", config.Overrides{}, 0, 0, 0,
			"c.yml:2:22: load.arrival_rate: load.stages ramp users (the closed model), so arrival_rate (the open model) does not apply: ramp arrival_rate in the stages, or leave it out"},
		{"stages mixing models", "{stages: [{duration: 1s, users: 6}, {duration: 1s, arrival_rate: 9/s}]}", config.Overrides{}, 0, 0, 0,
			"c.yml:2:16: load.stages: the stages ramp users (closed model) in one stage and arrival_rate (open model) in another: use one model"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			load, target := c.load, "target: {url: http://127.0.0.1:1}\n"
			if i := strings.Index(load, "\ntarget_timeout: "); i >= 0 {
				target = "target: {url: http://127.0.0.1:1, timeout: " + load[i+len("\ntarget_timeout: "):] + "}\n"
				load = load[:i]
			}
			cfg, err := config.ParseConfig("c.yml", t.TempDir(), []byte(target+"load: "+load+"\ntasks: [{get: /}]\n"), c.ov,
				func(string) (string, bool) { return "", false })
			if c.err != "" {
				if err == nil || err.Error() != c.err {
					t.Fatalf("error %v\nwant  %s", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			l := cfg.Load
			if l.Users != c.users || l.ArrivalRate != c.rate || len(l.Stages) != c.stages {
				t.Errorf("users %d, rate %g, %d stages; want %d, %g, %d", l.Users, l.ArrivalRate, len(l.Stages), c.users, c.rate, c.stages)
			}
		})
	}
}

// TestDefaultPoolNotInWorkloadHash: the open model's default pool follows
// target.timeout, which is not part of the workload, so a baseline saved
// before a timeout change still compares; a pool set in the config is.
func TestDefaultPoolNotInWorkloadHash(t *testing.T) {
	hash := func(target, load string) string {
		t.Helper()
		cfg, err := config.ParseConfig("c.yml", t.TempDir(), []byte("target: "+target+"\nload: "+load+"\ntasks: [{get: /}]\n"), config.Overrides{},
			func(string) (string, bool) { return "", false })
		if err != nil {
			t.Fatal(err)
		}
		p, err := Compile(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return p.WorkloadHash()
	}
	open := "{duration: 1s, arrival_rate: 20/s}"
	if a, b := hash("{url: http://127.0.0.1:1, timeout: 10s}", open), hash("{url: http://127.0.0.1:1, timeout: 5s}", open); a != b {
		t.Errorf("the default pool changed the workload hash with the timeout: %s, %s", a, b)
	}
	if a, b := hash("{url: http://127.0.0.1:1}", "{duration: 1s, arrival_rate: 20/s, users: 50}"),
		hash("{url: http://127.0.0.1:1}", "{duration: 1s, arrival_rate: 20/s, users: 60}"); a == b {
		t.Error("a pool set in the config is left out of the workload hash")
	}
}
