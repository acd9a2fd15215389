package gate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/loadgate/loadgate/load/result"
)

// Baseline is the baseline artifact (CONTRACT §5): the last few results of
// one workload, oldest first, each with its histograms and provenance.
// Several runs, not one number: their spread is the run-to-run noise.
type Baseline struct {
	Schema  string           `json:"schema"`
	Results []*result.Result `json:"results"`
}

// ReadBaseline reads a baseline artifact from r. It accepts a baseline
// file (schema loadgate/baseline/v1) and a single result (loadgate/result/v1),
// which is a baseline of one run. name is the file's name for messages.
// Every error is a *PosError naming the file (and line and column for
// JSON errors), which the command line maps to exit code 2: a number read
// from a file we do not understand must not gate a build.
func ReadBaseline(r io.Reader, name string) (*Baseline, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, &PosError{File: name, Msg: err.Error()}
	}
	var head struct {
		Schema *string `json:"schema"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, JSONPosError(name, data, "not a loadgate baseline or result", err)
	}
	if head.Schema == nil {
		return nil, &PosError{File: name, Msg: fmt.Sprintf("not a loadgate baseline or result: no \"schema\" field (want %q or %q)",
			result.BaselineSchema, result.ResultSchema)}
	}
	switch *head.Schema {
	case result.ResultSchema:
		var res result.Result
		if err := json.Unmarshal(data, &res); err != nil {
			return nil, JSONPosError(name, data, "", err)
		}
		return &Baseline{Schema: result.BaselineSchema, Results: []*result.Result{&res}}, nil
	case result.BaselineSchema:
		var b Baseline
		if err := json.Unmarshal(data, &b); err != nil {
			return nil, JSONPosError(name, data, "", err)
		}
		var kept []*result.Result
		for i, res := range b.Results {
			if res == nil {
				continue
			}
			if res.Schema != "" && res.Schema != result.ResultSchema {
				return nil, &PosError{File: name, Msg: fmt.Sprintf("results[%d]: unknown schema %q: this loadgate reads %q",
					i, res.Schema, result.ResultSchema)}
			}
			kept = append(kept, res)
		}
		if len(kept) == 0 {
			return nil, &PosError{File: name, Msg: "the baseline holds no results"}
		}
		b.Results = kept
		return &b, nil
	}
	return nil, &PosError{File: name, Msg: fmt.Sprintf("unknown schema %q: this loadgate reads %q and %q; a newer loadgate may have written it",
		*head.Schema, result.BaselineSchema, result.ResultSchema)}
}

// WriteBaseline writes the baseline artifact, indented like a result.
func WriteBaseline(w io.Writer, b *Baseline) error {
	out := Baseline{Schema: result.BaselineSchema, Results: make([]*result.Result, len(b.Results))}
	for i, r := range b.Results {
		c := *r
		if c.Schema == "" {
			c.Schema = result.ResultSchema
		}
		out.Results[i] = &c
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

// Append adds a result and keeps the last keep results (at least one).
func (b *Baseline) Append(r *result.Result, keep int) {
	b.Schema = result.BaselineSchema
	b.Results = append(b.Results, r)
	if keep < 1 {
		keep = 1
	}
	if n := len(b.Results); n > keep {
		b.Results = append([]*result.Result(nil), b.Results[n-keep:]...)
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

// JSONPosError locates a JSON syntax or type error by line and column,
// which encoding/json reports only as a byte offset.
func JSONPosError(name string, data []byte, prefix string, err error) *PosError {
	var off int64
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	pe := &PosError{File: name, Msg: err.Error()}
	if prefix != "" {
		pe.Msg = prefix + ": " + pe.Msg
	}
	if off > 0 {
		off = min(off, int64(len(data)))
		before := data[:off]
		pe.Line = bytes.Count(before, []byte("\n")) + 1
		pe.Col = max(1, int(off)-bytes.LastIndexByte(before, '\n')-1)
	}
	return pe
}
