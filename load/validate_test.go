package load

import (
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// configErr parses and compiles src (after a target line, so line 2 is the
// first of src) and returns the error text, "" when the config is good.
func configErr(t *testing.T, src string, ov Overrides) string {
	t.Helper()
	cfg, err := ParseConfig("c.yml", t.TempDir(), []byte("target: {url: http://127.0.0.1:1}\n"+src), ov, func(string) (string, bool) { return "", false })
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
			if got := configErr(t, c.src, Overrides{}); got != c.want {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
	// Whole numbers however written still pass, with their value.
	for src, want := range map[string]int{"2.0": 2, "1e3": 1000, `"5"`: 5, "0x10": 16} {
		cfg, err := ParseConfig("c.yml", "/tmp", []byte("target: {url: http://127.0.0.1:1}\nload: {users: "+src+"}\ntasks: [{get: /}]\n"), Overrides{}, nil)
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
				cfg, err := ParseConfig("c.yml", t.TempDir(), []byte("\n"+src), Overrides{}, nil)
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
			if got := configErr(t, src, Overrides{}); got != c.want {
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
		"load: {duraton: 1s}":       `c.yml:1:8: unknown key "duraton"`,
	} {
		var raw rawConfig
		err := yaml.UnmarshalWithOptions([]byte(src), &raw, yaml.Strict())
		if err == nil {
			t.Fatalf("%s: decoded", src)
		}
		if got := yamlError("c.yml", err, newLocator("c.yml", []byte(src))).Error(); got != want {
			t.Errorf("%s:\ngot  %q\nwant %q", src, got, want)
		}
	}
}
