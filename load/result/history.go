package result

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// HistorySchema names the history file: one compact entry per run, kept
// for as long as the team keeps the file (on a branch, say), for change
// points over the whole series (loadgate history).
const HistorySchema = "loadgate/history/v1"

// History is the history file, oldest entry first.
type History struct {
	Schema  string         `json:"schema"`
	Entries []HistoryEntry `json:"entries"`
}

// HistoryEntry is one run: where it was measured and each scope's metrics.
type HistoryEntry struct {
	Commit       string                        `json:"commit"`
	Ref          string                        `json:"ref,omitempty"`
	Time         time.Time                     `json:"time"`
	WorkloadHash string                        `json:"workload_hash"`
	RunnerOS     string                        `json:"runner_os,omitempty"`
	CPUModel     string                        `json:"cpu_model,omitempty"`
	Verdict      string                        `json:"verdict,omitempty"`
	Metrics      map[string]map[string]float64 `json:"metrics"` // scope → metric → value
}

// historyMetrics are the metrics an entry keeps per scope, and the app's
// own cost for the total when it was measured: a nightly series of CPU per
// request and memory is where a slow creep shows.
var historyMetrics = []string{"p50", "p95", "p99", "rps", "failure_rate", "app_cpu_per_req", "app_rss_max", "app_rss_growth", "app_instr_per_req"}

// Entry makes the history entry of a result.
func (r *Result) Entry() HistoryEntry {
	e := HistoryEntry{Commit: r.Provenance.Commit, Ref: r.Provenance.Ref, Time: r.StartedAt,
		WorkloadHash: r.Provenance.WorkloadHash, RunnerOS: r.Provenance.RunnerOS, CPUModel: r.Provenance.CPUModel,
		Metrics: map[string]map[string]float64{}}
	if r.Verdict != nil {
		e.Verdict = r.Verdict.Status
	}
	for _, s := range append([]*Stats{r.Total}, r.Endpoints...) {
		if s == nil || s.Requests == 0 {
			continue
		}
		m := map[string]float64{}
		for _, name := range historyMetrics {
			if v, ok := s.Metric(name); ok {
				m[name] = v
			}
		}
		e.Metrics[s.Name] = m
	}
	return e
}

// ReadHistoryFile reads a history file; a missing one is an empty history.
func ReadHistoryFile(path string) (*History, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &History{Schema: HistorySchema}, nil
	}
	if err != nil {
		return nil, &FileError{File: path, Msg: err.Error(), Err: err}
	}
	var h History
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, jsonError(path, b, "not a loadgate history", err)
	}
	if h.Schema != HistorySchema {
		return nil, &FileError{File: path, Msg: fmt.Sprintf("unknown schema %q: this loadgate reads %q", h.Schema, HistorySchema)}
	}
	return &h, nil
}

// WriteHistory writes a history file compactly, one entry per line.
func WriteHistory(w io.Writer, h *History) error {
	if _, err := fmt.Fprintf(w, "{\"schema\": %q, \"entries\": [\n", HistorySchema); err != nil {
		return err
	}
	for i, e := range h.Entries {
		b, err := json.Marshal(e)
		if err != nil {
			return err
		}
		sep := ",\n"
		if i == len(h.Entries)-1 {
			sep = "\n"
		}
		if _, err := fmt.Fprintf(w, "  %s%s", b, sep); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "]}\n")
	return err
}
