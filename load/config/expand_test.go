package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
)

func TestExpandEnv(t *testing.T) {
	env := map[string]string{"A": "1", "EMPTY": ""}
	get := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	cases := []struct{ in, want, err string }{
		{"x: ${A}", "x: 1", ""},
		{"x: ${B:-two}", "x: two", ""},
		{"x: ${EMPTY:-def}", "x: def", ""},
		{"x: ${EMPTY}", "x: ", ""},
		{"x: $$A and $${A}", "x: $A and ${A}", ""},
		{"x: ^\\d+$", "x: ^\\d+$", ""},
		{"a: 1\nb: ${NOPE}", "", "2:4"},
		{"x: ${A", "", "unterminated"},
		{"x: ${1A}", "", "invalid variable name"},
		{"a: 1\nb: \"x ${NOPE}\"", "", "f.yml:2:7: environment variable NOPE is not set"},
		{"a: |\n  x\n  ${NOPE}\n", "", "f.yml:3:3: environment variable NOPE"},
		{"x: [$${A}, '$$']", "x: [\"${A}\", '$']", ""},
	}
	for _, c := range cases {
		got, err := ExpandEnv("f.yml", []byte(c.in), get)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || string(got) != c.want {
			t.Errorf("%q: got %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

// TestExpandEnvLiteral: a variable's value is taken literally, as docker
// compose takes it (it interpolates after parsing), whatever the quoting
// around the reference; lines after it do not move. Each case failed when
// the raw text was substituted before parsing.
func TestExpandEnvLiteral(t *testing.T) {
	cases := []struct {
		name, src, v string
		want         any
	}{
		{"double-quoted backslash", `x: "${V}"`, `pa\ss`, `pa\ss`},
		{"double-quoted quote", `x: "${V}"`, `pa"ss`, `pa"ss`},
		{"double-quoted escape-like", `x: "${V}"`, `pa\tss`, `pa\tss`},
		{"double-quoted newline", `x: "${V}"`, "l1\nl2", "l1\nl2"},
		{"double-quoted continued line", "x: \"a\n  ${V}\"", " b", "a  b"},
		{"single-quoted quote", `x: '${V}'`, "it's", "it's"},
		{"single-quoted newline", `x: '${V}'`, "a\\\nb", "a\\\nb"},
		{"plain colon and hash", `x: ${V}`, "a: b #c", "a: b #c"},
		{"plain edge spaces", `x: ${V}`, "  pad  ", "  pad  "},
		{"plain template", `x: ${V}`, "{{ .token }}", "{{ .token }}"},
		{"plain inside text", `x: Bearer ${V}`, "x #y", "Bearer x #y"},
		{"plain continued line", "x: a\n  ${V}", "b #c", "a b #c"},
		{"literal block", "x: |\n  a\n  ${V}", "  b\nc", "a\n  b\nc\n"},
		{"folded block", "x: >-\n  a\n  ${V}", "b\n c", "a b\n c"},
		{"flow mapping", `x: {k: ${V}}`, "a, b: c", map[string]any{"k": "a, b: c"}},
		{"flow sequence", `x: [${V}, "${V}"]`, "x]", []any{"x]", "x]"}},
		{"key", `x: {${V}: 1}`, "a: b", map[string]any{"a: b": uint64(1)}},
		{"comment", "x: 1 # ${UNSET} ${ $${\n# ${1x}", "", uint64(1)},
		{"escaped reference in flow", `x: [$${V}]`, "", []any{"${V}"}},
		{"control characters", `x: ${V}`, "\x00\x1b\u2028\t\r", "\x00\x1b\u2028\t\r"},
	}
	for _, c := range cases {
		src := c.src + "\nend: 1\n"
		get := func(k string) (string, bool) { return c.v, k == "V" }
		out, err := ExpandEnv("f.yml", []byte(src), get)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		var m map[string]any
		if err := yaml.Unmarshal(out, &m); err != nil || !reflect.DeepEqual(m["x"], c.want) || m["end"] != uint64(1) {
			t.Errorf("%s: got %#v, %v; want %#v\n%s", c.name, m["x"], err, c.want, out)
		}
		if strings.Count(string(out), "\n") != strings.Count(src, "\n") {
			t.Errorf("%s: lines moved:\n%s", c.name, out)
		}
	}
}

// TestExpandEnvAnyValue sweeps awkward values through every scalar style.
func TestExpandEnvAnyValue(t *testing.T) {
	values := []string{`pa\ss`, `pa"ss`, `pa\tss`, "a: b", "#x", "a #b", " lead", "trail ", "l1\nl2", "{{ env `X` }}",
		"'q'", "-", "- x", "[1]", "*a", "&a", "!t", "|", ">", "%x", "@x", "`x`", "\t", "\r\n", "\x00", "\x7f", "é", "\u2028",
		"\ufeff", "k: [1, {a: b}]", "${X}", "$$", "...", "---", "a,b", "}", `x\`, `\`, `"`, "'", "''", "\n", " ", "  two\n   lines  \n"}
	styles := []struct{ src, pre, post string }{
		{"x: ${V}", "", ""},
		{"x: a ${V} b", "a ", " b"},
		{`x: "${V}"`, "", ""},
		{`x: "\t${V}\x41\u00e9"`, "\t", "Aé"},
		{"x: '${V}'", "", ""},
		{"x: 'it''s ${V}'", "it's ", ""},
		{"x: |\n  ${V}\n  tail", "", "\ntail\n"},
		{"x: |2-\n    in\n  ${V}", "  in\n", ""},
		{"x: >-\n  a\n  ${V}", "a ", ""},
		{"x: a\n  ${V}", "a ", ""},
		{"x: \"a\n  ${V}\"", "a ", ""},
		{"x: 'a\n  ${V}'", "a ", ""},
		{"x: # ${NOPE}\n  ${V} # ${NOPE:-x}", "", ""},
		{"x: [a, \"${V}\", ${V}]", "", ""},
		{"x: {k: ${V}, j: '${V}'}", "", ""},
		{"x:\n  - &an !!str ${V}\n  - *an", "", ""},
	}
	for _, s := range styles {
		for _, v := range values {
			src := s.src + "\nend: 1\n"
			out, err := ExpandEnv("f.yml", []byte(src), func(k string) (string, bool) { return v, k == "V" })
			var m map[string]any
			if err == nil {
				err = yaml.Unmarshal(out, &m)
			}
			got, want := m["x"], s.pre+v+s.post
			switch g := got.(type) {
			case []any:
				if len(g) == 3 && g[1] != g[2] || len(g) == 2 && g[0] != g[1] {
					t.Errorf("%q in %q: items differ: %#v", v, s.src, g)
				}
				got = g[len(g)-1]
			case map[string]any:
				if g["k"] != g["j"] {
					t.Errorf("%q in %q: items differ: %#v", v, s.src, g)
				}
				got = g["k"]
			}
			if err != nil || got != want || m["end"] != uint64(1) || strings.Count(string(out), "\n") != strings.Count(src, "\n") {
				t.Errorf("%q in %q: got %#v, %v; want %q\n%s", v, s.src, got, err, want, out)
			}
		}
	}
}

// TestExpandEnvConfig: plain references keep YAML's typing, values reach the
// config literally, and errors after a substituted line keep their line.
func TestExpandEnvConfig(t *testing.T) {
	env := map[string]string{"USERS": "50", "RATE": "2.5", "P": `pa\"ss` + "\n", "BODY": "a\nb\nc"}
	get := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	src := `target:
  url: http://127.0.0.1:1
  start: {command: ./app, env: {APP_PASSWORD: "${P}"}}
load:
  users: ${USERS}
  spawn_rate: ${RATE}
tasks: [{get: /}]
`
	cfg, err := ParseConfig("c.yml", "/tmp", []byte(src), Overrides{}, get)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Load.Users != 50 || cfg.Load.SpawnRate != 2.5 || cfg.Target.Start.Env["APP_PASSWORD"] != env["P"] {
		t.Errorf("got users %d, spawn rate %v, password %q", cfg.Load.Users, cfg.Load.SpawnRate, cfg.Target.Start.Env["APP_PASSWORD"])
	}
	_, err = ParseConfig("c.yml", "/tmp", []byte("target: {url: http://127.0.0.1:1}\ntasks:\n  - post: /\n    body: \"${BODY}\"\n    bogus: 1\n"), Overrides{}, get)
	if err == nil || !strings.Contains(err.Error(), "c.yml:5:") {
		t.Errorf("unknown key after a substituted line: %v, want it at line 5", err)
	}
}

// FuzzExpandEnv: substituting after parsing is the same as parsing with the
// references as opaque words and replacing those in the parsed strings.
//
//	go test ./load -run XXX -fuzz FuzzExpandEnv -fuzztime 60s
func FuzzExpandEnv(f *testing.F) {
	files, _ := filepath.Glob("../examples/*/*.yml")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(string(b), "a\"b\\'c: #d\n e ")
		}
	}
	f.Add("x: |\n  ${V}\n# ${NOPE}\ny: [a, \"${V}\\x41\", '${V}', {${V}: ${V}}]\nz: a\n  ${V}\n", " a\tb\n")
	f.Fuzz(func(t *testing.T, src, v string) {
		if !utf8.ValidString(src + v) {
			return // the YAML reader makes each bad byte a U+FFFD
		}
		v = "z" + v // a value YAML would type as a number changes the decoded type, rightly
		out, err := ExpandEnv("f.yml", []byte(src), func(string) (string, bool) { return v, true })
		x := &expander{src: src}
		x.mask()
		var want, got any
		if yaml.Unmarshal([]byte(x.masked), &want) != nil {
			return
		}
		for _, r := range x.refs {
			if r.err != "" {
				return
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(out, &got); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if w := fmt.Sprintf("%#v", substituted(x, want, v)); w != fmt.Sprintf("%#v", got) {
			t.Fatalf("got %#v\nwant %s\n%s", got, w, out)
		}
	})
}

// substituted replaces the markers in the strings of a parsed document.
func substituted(x *expander, doc any, v string) any {
	switch d := doc.(type) {
	case string:
		s, _ := x.replace(d, func(r *envRef) (string, error) {
			if r.literal {
				return r.text[1:], nil
			}
			return v, nil
		})
		return s
	case []any:
		for i := range d {
			d[i] = substituted(x, d[i], v)
		}
	case map[string]any:
		out := map[string]any{}
		for k, e := range d {
			out[substituted(x, k, v).(string)] = substituted(x, e, v)
		}
		return out
	}
	return doc
}

func TestParseWaitTime(t *testing.T) {
	cases := map[string]WaitTime{
		"none":             {Kind: WaitNone},
		"between 1s 2s":    {Kind: WaitBetween, A: time.Second, B: 2 * time.Second},
		"constant 500ms":   {Kind: WaitConstant, A: 500 * time.Millisecond},
		"pacing 2s":        {Kind: WaitPacing, A: 2 * time.Second},
		"throughput 0.5":   {Kind: WaitPacing, A: 2 * time.Second},
		"  between 0s 0s ": {Kind: WaitBetween},
	}
	for in, want := range cases {
		got, err := ParseWaitTime(in)
		if err != nil || got != want {
			t.Errorf("%q: %+v %v, want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "between 1s", "between 2s 1s", "constant", "throughput 0", "throughput -1", "pacing x", "sometimes"} {
		if _, err := ParseWaitTime(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestParseRate(t *testing.T) {
	cases := map[string]float64{"200/s": 200, "200": 200, "120/m": 2, "3600/h": 1, " 5 / s ": 5, "0.5/s": 0.5}
	for in, want := range cases {
		if got, err := ParseRate(in); err != nil || got != want {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"fast", "-1/s", "1/d", "NaN"} {
		if _, err := ParseRate(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestConfigShorthandAndDefaults(t *testing.T) {
	cfg, err := ParseConfig("c.yml", "/tmp", []byte(`
target: {url: "http://127.0.0.1:1/"}
tasks:
  - get: /a
  - {name: b, weight: 2, post: /b, form: {x: "1"}}
`), Overrides{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Target.URL != "http://127.0.0.1:1" || cfg.Load.Users != 1 || cfg.Load.Duration != DefaultDuration || cfg.Target.Timeout != DefaultTimeout {
		t.Errorf("defaults: %+v %+v", cfg.Target, cfg.Load)
	}
	if len(cfg.Users) != 1 || len(cfg.Users[0].Tasks) != 2 || cfg.Users[0].Tasks[0].Name != "GET /a" || cfg.Users[0].Tasks[1].Weight != 2 {
		t.Errorf("users: %+v", cfg.Users)
	}
	users, dur := 7, 3.0
	cfg, err = ParseConfig("c.yml", "/tmp", []byte("target: {url: http://x:1}\nload: {users: 2, duration: 1m}\ntasks: [{get: /}]\n"),
		Overrides{Users: &users, Duration: &dur, Host: "http://127.0.0.1:9"}, nil)
	if err != nil || cfg.Load.Users != 7 || cfg.Load.Duration != 3*time.Second || cfg.Target.URL != "http://127.0.0.1:9" {
		t.Errorf("overrides: %+v %+v %v", cfg.Load, cfg.Target, err)
	}
}
