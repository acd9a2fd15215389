package load

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestFastTemplatesMatch: where the fast path applies, it renders exactly
// what text/template renders (deterministic templates only).
func TestFastTemplatesMatch(t *testing.T) {
	data := func() map[string]any {
		return map[string]any{"token": "abc", "id": json.Number("1234567"), "ok": true, "f": 2.5,
			"accounts": map[string]any{"username": "alice"}}
	}
	cases := []struct {
		src   string
		typed bool
		fast  bool
	}{
		{"/items/{{ randInt 5 5 }}", false, true},
		{"{{ randInt 5 5 }}", true, true},
		{"{{ randFloat 2.5 2.5 }}", false, true},
		{"{{ randFloat 2.5 2.5 1 }}", true, true},
		{"{{ randFloat 1e21 1e21 }}", false, true},
		{"Bearer {{ .token }}", false, true},
		{"{{ .id }}", true, true},
		{"{{ .id }}", false, true},
		{"{{ .ok }}", false, true},
		{"{{ .ok }}", true, true},
		{"{{ .f }}", false, true},
		{"{{ .accounts.username }}-{{ seq }}-{{ seq }}", false, true},
		{"{{ .token }}", true, true},
		{"{{ if .ok }}yes{{ end }}", false, false},
		{"{{ .token | printf \"%s!\" }}", false, false},
		{"a {{ .token }} b {{ randInt 1 1 }}", true, true}, // several actions: a string, not typed
	}
	for _, c := range cases {
		tm, err := compileTmpl(c.src, c.typed)
		if err != nil {
			t.Fatalf("%q: %v", c.src, err)
		}
		if (tm.parts != nil) != c.fast {
			t.Errorf("%q typed=%v: fast path %v, want %v", c.src, c.typed, tm.parts != nil, c.fast)
		}
		u1 := &vuser{data: data()}
		var b1 bytes.Buffer
		got, err1 := u1.render(tm, &b1)
		slow := *tm
		slow.parts = nil
		u2 := &vuser{data: data()}
		var b2 bytes.Buffer
		want, err2 := u2.render(&slow, &b2)
		if got != want || (err1 == nil) != (err2 == nil) {
			t.Errorf("%q typed=%v: fast %q (%v), text/template %q (%v)", c.src, c.typed, got, err1, want, err2)
		}
	}
	// A missing variable is an error on both paths.
	tm, _ := compileTmpl("{{ .nope }}", false)
	var b bytes.Buffer
	if _, err := (&vuser{data: map[string]any{}}).render(tm, &b); err == nil {
		t.Error("missing variable rendered without error")
	}
}
