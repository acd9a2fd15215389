package report

import (
	"bytes"
	"fmt"
	"io"

	"github.com/loadgate/loadgate/internal/safefile"
	"github.com/loadgate/loadgate/load/result"
)

// Sink is one output of a run: it sees the progress about once a second
// while the load runs, and the result when the run ends (also a partial
// one, interrupted or with a failed target). The progress line, the live
// dashboard and every report file are sinks, so a new output is one type
// here and one row in the command line's table of outputs.
type Sink interface {
	Update(result.Progress)
	Finish(*result.Result) error
}

// Renderer writes one report of a finished result.
type Renderer func(io.Writer, *result.Result) error

// File is a report file: rendered when the run ends and written safely
// (internal/safefile: atomically for a regular file, in place for a device
// or pipe, through a symlink to its target).
type File struct {
	Path   string
	Render Renderer
}

// Update ignores progress: a file is written once, at the end.
func (File) Update(result.Progress) {}

// Finish renders and writes the file.
func (f File) Finish(r *result.Result) error {
	var b bytes.Buffer
	if err := f.Render(&b, r); err != nil {
		return fmt.Errorf("%s: %w", f.Path, err)
	}
	return safefile.Write(f.Path, b.Bytes())
}

// Finish ends the progress line (it has nothing to write of the result).
func (pp *ProgressPrinter) Finish(*result.Result) error {
	pp.Done()
	return nil
}
