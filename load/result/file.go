package result

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Baseline is the baseline file: the last few results of one workload,
// oldest first, each with its histograms and provenance. Several runs, not
// one number: their spread is the run-to-run noise.
type Baseline struct {
	Schema  string    `json:"schema"`
	Results []*Result `json:"results"`
}

// FileError is a result or baseline file that cannot be used: unreadable,
// not JSON, of an unknown schema, or with a damaged histogram. Line and Col
// locate JSON errors (0 when unknown). A number read from a file loadgate
// does not understand must not gate a build, so the command line maps it
// to exit code 2.
type FileError struct {
	File      string
	Line, Col int
	Msg       string
	Err       error // the underlying error, if any (fs.ErrNotExist for a missing file)
}

func (e *FileError) Unwrap() error { return e.Err }

func (e *FileError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Col)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ReadFile reads a result or baseline file; see Read.
func ReadFile(path string) (*Baseline, error) {
	f, err := os.Open(path)
	if err != nil {
		msg := err.Error()
		if errors.Is(err, os.ErrNotExist) {
			msg = "not found"
		}
		return nil, &FileError{File: path, Msg: msg, Err: err}
	}
	defer f.Close()
	return Read(f, path)
}

// Read is the one reader of loadgate's files: a result (schema
// loadgate/result/v1) comes back as a baseline of one run, a baseline file
// (loadgate/baseline/v1) as its kept runs. Every histogram is decoded now,
// so a damaged one is found with the file named rather than as a wrong
// percentile later. Unknown fields are accepted, since later v1 versions
// may add some; an unknown schema is refused. name is the file's name for
// messages; every error is a *FileError.
func Read(rd io.Reader, name string) (*Baseline, error) {
	data, err := io.ReadAll(rd)
	if err != nil {
		return nil, &FileError{File: name, Msg: err.Error()}
	}
	var head struct {
		Schema *string `json:"schema"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, jsonError(name, data, "not a loadgate result or baseline", err)
	}
	if head.Schema == nil {
		return nil, &FileError{File: name, Msg: fmt.Sprintf("not a loadgate result or baseline: no \"schema\" field (want %q or %q)",
			ResultSchema, BaselineSchema)}
	}
	var b Baseline
	switch *head.Schema {
	case ResultSchema:
		var r Result
		if err := json.Unmarshal(data, &r); err != nil {
			return nil, jsonError(name, data, "", err)
		}
		b = Baseline{Schema: BaselineSchema, Results: []*Result{&r}}
	case BaselineSchema:
		if err := json.Unmarshal(data, &b); err != nil {
			return nil, jsonError(name, data, "", err)
		}
		var kept []*Result
		for i, r := range b.Results {
			if r == nil {
				continue
			}
			if r.Schema != "" && r.Schema != ResultSchema {
				return nil, &FileError{File: name, Msg: fmt.Sprintf("results[%d]: unknown schema %q: this loadgate reads %q", i, r.Schema, ResultSchema)}
			}
			kept = append(kept, r)
		}
		if len(kept) == 0 {
			return nil, &FileError{File: name, Msg: "the baseline holds no results"}
		}
		b.Results = kept
	default:
		return nil, &FileError{File: name, Msg: fmt.Sprintf("unknown schema %q: this loadgate reads %q and %q; a newer loadgate may have written it",
			*head.Schema, ResultSchema, BaselineSchema)}
	}
	for i, r := range b.Results {
		for _, st := range append([]*Stats{r.Total}, r.Endpoints...) {
			if st == nil {
				continue
			}
			if _, err := st.Hist(); err != nil {
				where := ""
				if len(b.Results) > 1 || *head.Schema == BaselineSchema {
					where = fmt.Sprintf("results[%d]: ", i)
				}
				return nil, &FileError{File: name, Msg: fmt.Sprintf("%sendpoint %q: histogram cannot be decoded: %v", where, st.Name, err)}
			}
		}
	}
	if *head.Schema == ResultSchema {
		b.Schema = ResultSchema // remembered, so ReadResult can tell a single result
	}
	return &b, nil
}

// ReadResultFile reads a file that must hold exactly one result.
func ReadResultFile(path string) (*Result, error) {
	b, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	return b.Single(path)
}

// Single returns the one result of a file read from a result, and refuses
// a baseline file, where a single run is asked for.
func (b *Baseline) Single(name string) (*Result, error) {
	if b.Schema != ResultSchema || len(b.Results) != 1 {
		return nil, &FileError{File: name, Msg: fmt.Sprintf("this is a baseline file (%q), not a single result (%q)", BaselineSchema, ResultSchema)}
	}
	return b.Results[0], nil
}

// Write writes a result file, indented, with a trailing newline. HTML
// characters are written as themselves: the file is read by programs and
// people, never embedded in a page unescaped.
func Write(w io.Writer, r *Result) error {
	return encode(w, stamped(r))
}

// WriteBaseline writes a baseline file in the same style.
func WriteBaseline(w io.Writer, b *Baseline) error {
	out := Baseline{Schema: BaselineSchema, Results: make([]*Result, len(b.Results))}
	for i, r := range b.Results {
		out.Results[i] = stamped(r)
	}
	return encode(w, out)
}

// stamped returns r with its schema set: a result built in code (tests,
// merge) still identifies itself.
func stamped(r *Result) *Result {
	if r.Schema != "" {
		return r
	}
	c := *r
	c.Schema = ResultSchema
	return &c
}

func encode(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// Append adds a result and keeps the last keep results (at least one).
func (b *Baseline) Append(r *Result, keep int) {
	b.Schema = BaselineSchema
	b.Results = append(b.Results, r)
	keep = max(keep, 1)
	if n := len(b.Results); n > keep {
		b.Results = append([]*Result(nil), b.Results[n-keep:]...)
	}
}

// WorkloadHash returns the workload hash of the newest result, "" if the
// baseline is empty.
func (b *Baseline) WorkloadHash() string {
	if b == nil || len(b.Results) == 0 {
		return ""
	}
	return b.Results[len(b.Results)-1].Provenance.WorkloadHash
}

// jsonError locates a JSON syntax or type error by line and column, which
// encoding/json reports only as a byte offset.
func jsonError(name string, data []byte, prefix string, err error) *FileError {
	var off int64
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	fe := &FileError{File: name, Msg: err.Error()}
	if prefix != "" {
		fe.Msg = prefix + ": " + fe.Msg
	}
	if off > 0 {
		off = min(off, int64(len(data)))
		before := data[:off]
		fe.Line = bytes.Count(before, []byte("\n")) + 1
		fe.Col = max(1, int(off)-bytes.LastIndexByte(before, '\n')-1)
	}
	return fe
}
