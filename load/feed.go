package load

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sync/atomic"

	"github.com/loadgate/loadgate/load/config"
	"github.com/loadgate/loadgate/load/secret"
)

// feed is one `data:` CSV, read once and shared by every user. Rows are
// maps so templates read {{ .accounts.username }}.
type feed struct {
	name  string
	order string
	per   string
	rows  []map[string]any
	next  atomic.Int64
}

// ErrFeedExhausted is returned when a unique feed has no rows left; the user
// that asked stops, and the run reports it.
var ErrFeedExhausted = errors.New("data feed exhausted")

func loadFeed(spec config.FeedSpec) (*feed, error) {
	f, err := os.Open(spec.CSV)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("csv file %s not found", spec.CSV)
		}
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.TrimLeadingSpace = true
	head, err := r.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("csv file %s is empty: it needs a header row naming the columns", spec.CSV)
	}
	if err != nil {
		return nil, fmt.Errorf("csv file %s: %v", spec.CSV, err)
	}
	seen := map[string]bool{}
	for i, h := range head {
		if !config.ValidEnvName(h) {
			return nil, fmt.Errorf("csv file %s: header column %d %q is not a name (the first row must name the columns, e.g. username,password)", spec.CSV, i+1, h)
		}
		if seen[h] {
			return nil, fmt.Errorf("csv file %s: column %q appears twice in the header", spec.CSV, h)
		}
		seen[h] = true
	}
	fd := &feed{name: spec.Name, order: spec.Order, per: spec.Per}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("csv file %s: %v", spec.CSV, err)
		}
		row := make(map[string]any, len(head))
		for i, h := range head {
			row[h] = rec[i]
			if secret.SecretName(h) {
				secret.AddSecret(rec[i])
			}
		}
		fd.rows = append(fd.rows, row)
	}
	if len(fd.rows) == 0 {
		return nil, fmt.Errorf("csv file %s has a header but no rows", spec.CSV)
	}
	return fd, nil
}

// take returns the next row in the feed's order.
func (f *feed) take() (map[string]any, error) {
	switch f.order {
	case "random":
		return f.rows[rand.IntN(len(f.rows))], nil
	case "unique":
		i := f.next.Add(1) - 1
		if i >= int64(len(f.rows)) {
			return nil, fmt.Errorf("%w: %s (%d rows, each used once)", ErrFeedExhausted, f.name, len(f.rows))
		}
		return f.rows[i], nil
	default:
		i := f.next.Add(1) - 1
		return f.rows[i%int64(len(f.rows))], nil
	}
}
