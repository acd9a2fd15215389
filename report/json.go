package report

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/load/result"
)

// WriteJSON writes the result artifact (CONTRACT §5), indented, with a
// trailing newline. HTML characters are written as themselves: the file is
// read by programs and people, never embedded in a page unescaped.
func WriteJSON(w io.Writer, r *result.Result) error {
	if r.Schema == "" {
		// A result built in code (tests, merge) still identifies itself.
		c := *r
		c.Schema = result.ResultSchema
		r = &c
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// ReadResult reads a result artifact. name is the file's name, used in
// error messages. A document of another or unknown schema is refused: a
// number read from a format we do not know could gate a build wrongly.
// Unknown fields are accepted, since later v1 versions may add some.
func ReadResult(rd io.Reader, name string) (*result.Result, error) {
	data, err := io.ReadAll(rd)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var head struct {
		Schema *string `json:"schema"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("%s: not a loadgate result: %s", name, jsonErr(data, err))
	}
	switch {
	case head.Schema == nil:
		return nil, fmt.Errorf("%s: not a loadgate result: no \"schema\" field (want %q)", name, result.ResultSchema)
	case *head.Schema == result.BaselineSchema:
		return nil, fmt.Errorf("%s: this is a baseline file (%q), not a single result (%q)", name, *head.Schema, result.ResultSchema)
	case *head.Schema != result.ResultSchema:
		return nil, fmt.Errorf("%s: unknown schema %q: this loadgate reads %q; a newer loadgate may have written it",
			name, *head.Schema, result.ResultSchema)
	}
	var r result.Result
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: %s", name, jsonErr(data, err))
	}
	// A damaged histogram is found now, with the file named, rather than as
	// a wrong percentile later.
	for _, st := range append([]*result.Stats{r.Total}, r.Endpoints...) {
		if st == nil {
			continue
		}
		if _, err := st.Hist(); err != nil {
			return nil, fmt.Errorf("%s: endpoint %q: histogram cannot be decoded: %v", name, st.Name, err)
		}
	}
	return &r, nil
}

// jsonErr adds a line and column to JSON syntax and type errors, which
// encoding/json reports only as a byte offset (gate.JSONPosError finds them).
func jsonErr(data []byte, err error) string {
	pe := gate.JSONPosError("", data, "", err)
	if pe.Line == 0 {
		return err.Error()
	}
	return fmt.Sprintf("line %d, column %d: %v", pe.Line, pe.Col, err)
}
