package config

import (
	"slices"
	"testing"
)

func TestSplitCommand(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
		err  bool
	}{
		{in: "uvicorn main:app --host 127.0.0.1 --port 8000", want: []string{"uvicorn", "main:app", "--host", "127.0.0.1", "--port", "8000"}},
		{in: "  a\t b\n c  ", want: []string{"a", "b", "c"}},
		{in: `sh -c 'exec python3 -m http.server 8000'`, want: []string{"sh", "-c", "exec python3 -m http.server 8000"}},
		{in: `echo "a \"quoted\" word" 'it''s'`, want: []string{"echo", `a "quoted" word`, "its"}},
		{in: `echo "keep \n and \\ and \$"`, want: []string{"echo", `keep \n and \ and $`}},
		{in: `a\ b c\\d`, want: []string{"a b", `c\d`}},
		{in: `x"y"'z'`, want: []string{"xyz"}},
		{in: `a "" b`, want: []string{"a", "", "b"}},
		{in: "run # a comment\nnext", want: []string{"run", "next"}},
		{in: "a#b", want: []string{"a#b"}},
		{in: "long \\\n  line", want: []string{"long", "line"}},
		{in: "$HOME ~ *.py", want: []string{"$HOME", "~", "*.py"}},
		{in: "", want: nil},
		{in: `'open`, err: true},
		{in: `"open`, err: true},
		{in: `end\`, err: true},
	} {
		got, err := SplitCommand(c.in)
		if (err != nil) != c.err {
			t.Errorf("%q: error %v, want error %v", c.in, err, c.err)
			continue
		}
		if !c.err && !slices.Equal(got, c.want) {
			t.Errorf("%q: %q, want %q", c.in, got, c.want)
		}
	}
}

func FuzzSplitCommand(f *testing.F) {
	f.Add(`a "b c" 'd' e\ f # g`)
	f.Fuzz(func(t *testing.T, s string) {
		words, err := SplitCommand(s)
		if err == nil && len(words) > len(s) {
			t.Fatalf("%q: %d words from %d bytes", s, len(words), len(s))
		}
	})
}
