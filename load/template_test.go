package load

import (
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
