package load

import (
	"bytes"
	"strings"
	"testing"
)

func TestFakeUsernameIsAUsername(t *testing.T) {
	for i := 0; i < 50000; i++ {
		if u := fakeUsername(); len(u) < 3 || len(u) > 30 || strings.ContainsRune(u, ' ') {
			t.Fatalf("fake username %q", u)
		}
	}
}

// TestFakeArgumentsAndPick: fake takes gofakeit's arguments where they
// exist, and pick chooses among its arguments, keeping their JSON type.
func TestFakeArgumentsAndPick(t *testing.T) {
	u := &vuser{data: map[string]any{}}
	for src, ok := range map[string]func(string) bool{
		"{{ fake `password` 20 }}": func(s string) bool { return len(s) == 20 },
		"{{ fake `int` 5 7 }}":     func(s string) bool { return s == "5" || s == "6" || s == "7" },
		"{{ pick `a` `b` }}":       func(s string) bool { return s == "a" || s == "b" },
	} {
		tm, err := compileTmpl(src, false)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		for range 20 {
			var b bytes.Buffer
			got, err := u.render(tm, &b)
			if err != nil || !ok(got) {
				t.Errorf("%s rendered %q, %v", src, got, err)
			}
		}
	}
	if _, err := compileTmpl("{{ fake `email` 3 }}", false); err == nil || !strings.Contains(err.Error(), "fake password LENGTH") {
		t.Errorf("fake email 3: %v", err)
	}
	j, err := compileTmpl("{{ pick 1 2 }}", true)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if got, _ := u.render(j, &b); got != "1" && got != "2" {
		t.Errorf("typed pick rendered %q", got)
	}
}
