package load

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/loadgate/loadgate/load/config"
	"github.com/loadgate/loadgate/load/secret"
)

// feed is one `data:` CSV, read once and shared by every user. Its fields
// are kept in one string, back to back, with an end offset per field, so a
// feed takes about the file's size in memory (a map per row took 15 times
// that); take builds the map a template reads ({{ .accounts.username }})
// for the row it hands out.
type feed struct {
	name  string
	order string
	per   string
	cols  []string
	buf   string   // every field's text, one after another
	ends  []uint32 // ends[i*len(cols)+j]: where field j of row i ends in buf
	rows  int
	next  atomic.Int64
}

// maxFeedBytes bounds a feed file: its text is kept in memory.
const maxFeedBytes = 1 << 30

// ErrFeedExhausted is returned when a unique feed has no rows left; the user
// that asked stops, and the run reports it.
var ErrFeedExhausted = errors.New("data feed exhausted")

// loadFeed reads a feed. Its errors name the file and the line, never the
// file's content: a path that points elsewhere than a CSV (a typo, or a
// pull request's config naming /proc/self/environ) must not be printed.
func loadFeed(spec config.FeedSpec) (*feed, error) {
	f, err := os.Open(spec.CSV)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("csv file %s not found", spec.CSV)
		}
		return nil, fmt.Errorf("csv file %s: %v", spec.CSV, errors.Unwrap(err))
	}
	defer f.Close()
	size := int64(0)
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	if size > maxFeedBytes {
		return nil, fmt.Errorf("csv file %s is %d MiB; a feed is kept in memory, and at most %d MiB is read", spec.CSV, size>>20, maxFeedBytes>>20)
	}
	r := csv.NewReader(io.LimitReader(f, maxFeedBytes+1))
	r.TrimLeadingSpace = true
	r.ReuseRecord = true
	head, err := r.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("csv file %s is empty: it needs a header row naming the columns", spec.CSV)
	}
	if err != nil {
		return nil, fmt.Errorf("csv file %s: %v", spec.CSV, csvErr(err))
	}
	fd := &feed{name: spec.Name, order: spec.Order, per: spec.Per, cols: slices.Clone(head)}
	seen := map[string]bool{}
	for i, h := range fd.cols {
		if !config.ValidEnvName(h) {
			return nil, fmt.Errorf("csv file %s: column %d of the header row is not a name (the first row must name the columns with letters, digits and _, e.g. username,password)", spec.CSV, i+1)
		}
		if seen[h] {
			return nil, fmt.Errorf("csv file %s: column %q appears twice in the header", spec.CSV, h)
		}
		seen[h] = true
	}
	secretCols := make([]bool, len(fd.cols))
	for i, h := range fd.cols {
		secretCols[i] = secret.SecretName(h)
	}
	var b strings.Builder
	b.Grow(int(size))
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("csv file %s: %v", spec.CSV, csvErr(err))
		}
		for i, v := range rec {
			b.WriteString(v)
			fd.ends = append(fd.ends, uint32(b.Len()))
			if secretCols[i] {
				secret.AddSecret(v)
			}
		}
		fd.rows++
	}
	if fd.rows == 0 {
		return nil, fmt.Errorf("csv file %s has a header but no rows", spec.CSV)
	}
	if b.Len() > maxFeedBytes {
		return nil, fmt.Errorf("csv file %s holds more than %d MiB of values; a feed is kept in memory", spec.CSV, maxFeedBytes>>20)
	}
	fd.buf = b.String()
	fd.ends = slices.Clip(fd.ends)
	return fd, nil
}

// csvErr keeps encoding/csv's position (line, column) and kind of error.
func csvErr(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("line %d, column %d: %v", pe.Line, pe.Column, pe.Err)
	}
	return err
}

// row builds the map of row i.
func (f *feed) row(i int) map[string]any {
	n := len(f.cols)
	m := make(map[string]any, n)
	start := uint32(0)
	if i > 0 {
		start = f.ends[i*n-1]
	}
	for j, c := range f.cols {
		end := f.ends[i*n+j]
		m[c] = f.buf[start:end]
		start = end
	}
	return m
}

// take returns the next row in the feed's order.
func (f *feed) take() (map[string]any, error) {
	switch f.order {
	case "random":
		return f.row(rand.IntN(f.rows)), nil
	case "unique":
		i := f.next.Add(1) - 1
		if i >= int64(f.rows) {
			return nil, fmt.Errorf("%w: %s (%d rows, each used once)", ErrFeedExhausted, f.name, f.rows)
		}
		return f.row(int(i)), nil
	default:
		i := f.next.Add(1) - 1
		return f.row(int(i % int64(f.rows))), nil
	}
}
