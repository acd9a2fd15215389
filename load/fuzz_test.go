package load

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/load/config"
)

// FuzzParseConfig: no input makes the parser or the compiler panic; every
// rejection is a located ConfigError. Seeds are the repository's configs.
//
//	go test ./load -run XXX -fuzz FuzzParseConfig -fuzztime 60s
func FuzzParseConfig(f *testing.F) {
	for _, glob := range []string{"../testdata/bad/*.yml", "../examples/*/*.yml", "../demo/*.yml"} {
		files, _ := filepath.Glob(glob)
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("target: {url: http://127.0.0.1:1}\ntasks: [{get: /}]\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		cfg, err := config.ParseConfig("fuzz.yml", t.TempDir(), src, config.Overrides{}, func(string) (string, bool) { return "x", true })
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if p, err := Compile(cfg); err == nil {
			_ = p.WorkloadHash()
		}
	})
}

// FuzzTemplate: compiling and rendering any template string, typed or not,
// returns an error or a value, never a panic.
//
//	go test ./load -run XXX -fuzz FuzzTemplate -fuzztime 60s
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{"/items/{{ randInt 1 100 }}", "{{ randFloat 10 100 2 }}", "{{ .item_id }}", "{{ seq }}-{{ uuid }}",
		"{{ fake `email` }}", "{{ .accounts.username }}", "{{ if .x }}a{{ end }}", "{{", "}}{{", "{{ randInt 5 1 }}"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, typed bool) {
		if strings.Contains(s, "range") || strings.Contains(s, "template") || strings.Contains(s, "block") {
			t.Skip("loops and nested templates can run arbitrarily long by design")
		}
		tm, err := compileTmpl(s, typed)
		if err != nil {
			return
		}
		u := &vuser{data: map[string]any{"item_id": "3", "accounts": map[string]any{"username": "a"}}}
		var buf bytes.Buffer
		_, _ = u.render(tm, &buf)
	})
}
