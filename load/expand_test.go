package load

import (
	"strings"
	"testing"
	"time"
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
