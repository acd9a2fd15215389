package load

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"unicode/utf8"
)

func TestAppendJSONString(t *testing.T) {
	cases := []string{"", "plain", `quote " and \ backslash`, "tab\tnew\nline\rcr", "\x00\x01\x1f\x7f",
		"<b>&amp;</b>", "ünïcödé 日本 🎉", "line\u2028sep\u2029", "bad \xff utf8 \xc3", "\b\f"}
	for i := 0; i < 200; i++ { // random bytes, valid or not
		b := make([]byte, rand.IntN(12))
		for j := range b {
			b[j] = byte(rand.IntN(256))
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		out := appendJSONString(nil, s)
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("%q -> %s: not valid JSON: %v", s, out, err)
		}
		if !json.Valid(out) || (utf8.ValidString(s) && back != s) {
			t.Errorf("%q -> %s -> %q", s, out, back)
		}
		std, _ := json.Marshal(s)
		var stdBack string
		json.Unmarshal(std, &stdBack)
		if back != stdBack {
			t.Errorf("%q: decodes to %q, encoding/json's to %q", s, back, stdBack)
		}
	}
}

func TestAppendJSONFloat(t *testing.T) {
	cases := []float64{0, 1, -1, 0.5, 12.34, 1e-6, 1e-7, 9.99e-7, 1e20, 1e21, 1.5e300, -2.5e-300, math.MaxFloat64, math.SmallestNonzeroFloat64, 100.1}
	for i := 0; i < 1000; i++ {
		cases = append(cases, math.Float64frombits(rand.Uint64()))
	}
	for _, f := range cases {
		std, err := json.Marshal(f)
		got := appendJSONFloat(nil, f)
		if err != nil {
			if string(got) != "null" {
				t.Errorf("%v: %s, want null", f, got)
			}
			continue
		}
		if string(got) != string(std) {
			t.Errorf("%v: %s, encoding/json writes %s", f, got, std)
		}
	}
}
