package gate

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/load/result"
)

func TestBaselineRoundTrip(t *testing.T) {
	b := &result.Baseline{}
	for i := range 7 {
		b.Append(demoRun(t, uint64(i), 1), 5)
	}
	if len(b.Results) != 5 {
		t.Fatalf("kept %d results, want the last 5", len(b.Results))
	}
	var buf bytes.Buffer
	if err := result.WriteBaseline(&buf, b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"schema": "loadgate/baseline/v1"`) {
		t.Errorf("no baseline schema in %.200s", buf.String())
	}
	got, err := result.Read(&buf, "b.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Results) != 5 || got.WorkloadHash() != "sha256:demo" {
		t.Fatalf("read back %d results, hash %q", len(got.Results), got.WorkloadHash())
	}
	// The histograms survive, so the noise model works on read-back files.
	h, err := got.Results[0].Total.Hist()
	if err != nil || h.TotalCount() != got.Results[0].Total.Requests {
		t.Errorf("histogram: %v, count %d of %d", err, h.TotalCount(), got.Results[0].Total.Requests)
	}
}

func TestReadBaselineAcceptsAResult(t *testing.T) {
	var buf bytes.Buffer
	r := demoRun(t, 1, 1)
	if err := result.WriteBaseline(&buf, baselineOf(r)); err != nil {
		t.Fatal(err)
	}
	// A single result artifact, as --out writes it.
	single := `{"schema": "loadgate/result/v1", "total": {"name": "total", "requests": 3}, "provenance": {"workload_hash": "sha256:x"}}`
	b, err := result.Read(strings.NewReader(single), "r.json")
	if err != nil || len(b.Results) != 1 || b.WorkloadHash() != "sha256:x" {
		t.Fatalf("single result: %v %+v", err, b)
	}
}

func TestReadBaselineErrors(t *testing.T) {
	for _, c := range []struct {
		name, doc, want string
		line            int
	}{
		{"unknown schema", `{"schema": "loadgate/baseline/v9", "results": []}`, `unknown schema "loadgate/baseline/v9"`, 0},
		{"no schema", `{"results": []}`, `no "schema" field`, 0},
		{"not JSON", "{\n  \"schema\": \"loadgate/baseline/v1\",\n  oops\n}", "not a loadgate result or baseline", 3},
		{"wrong type", "{\"schema\": \"loadgate/baseline/v1\",\n\"results\": 3}", "cannot unmarshal", 2},
		{"empty", `{"schema": "loadgate/baseline/v1", "results": []}`, "holds no results", 0},
		{"bad inner schema", `{"schema": "loadgate/baseline/v1", "results": [{"schema": "other"}]}`, `results[0]: unknown schema`, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := result.Read(strings.NewReader(c.doc), "base.json")
			var pe *result.FileError
			if !errors.As(err, &pe) {
				t.Fatalf("want *result.FileError, got %T %v", err, err)
			}
			if pe.File != "base.json" || !strings.Contains(err.Error(), c.want) || pe.Line != c.line {
				t.Errorf("got %q (line %d), want %q at line %d", err, pe.Line, c.want, c.line)
			}
		})
	}
}

func TestAppendKeepsOrder(t *testing.T) {
	b := &result.Baseline{}
	for i := range 3 {
		b.Append(&result.Result{DurationS: float64(i)}, 2)
	}
	if len(b.Results) != 2 || b.Results[0].DurationS != 1 || b.Results[1].DurationS != 2 {
		t.Errorf("kept %+v", b.Results)
	}
	b.Append(&result.Result{}, 0)
	if len(b.Results) != 1 {
		t.Errorf("keep 0 kept %d, want 1", len(b.Results))
	}
}
