package report

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/load/result"
)

// contractFields are the field names of the result file, per object, plus the
// additions loadgate makes (which the contract allows).
var contractFields = map[string][]string{
	"result": {"schema", "loadgate_version", "started_at", "duration_s", "provenance", "load",
		"endpoints", "total", "timeline", "dropped", "interrupted", "verdict",
		"warnings", "target", "not_sent"}, // additions
	"provenance": {"commit", "ref", "runner_os", "cpu_model", "cpus", "go_version", "workload_hash", "shard"},
	"load":       {"model", "users", "spawn_rate", "arrival_rate", "warmup_s"},
	"endpoint": {"name", "method", "requests", "failures", "rps", "failure_rate", "latency_ms",
		"status_codes", "failure_reasons", "histogram"},
	"latency_ms": {"min", "avg", "p50", "p75", "p90", "p95", "p99", "p99.9", "max"},
	"timeline": {"t", "users", "rps", "failures", "p50_ms", "p95_ms",
		"p99_ms"}, // addition
	"verdict": {"status", "checks",
		"warnings"}, // addition
	"check": {"scope", "metric", "op", "limit", "measured", "baseline", "delta_pct", "status", "reason",
		"unit", "source"}, // additions
}

func TestWriteJSONFieldNames(t *testing.T) {
	r := failResult(t) // has baseline checks, so baseline and delta_pct are present
	r.Target = &result.TargetReport{Command: "app"}
	r.Verdict.Warnings = []string{"different CPU"}
	var b bytes.Buffer
	if err := result.Write(&b, r); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "{\n  \"schema\": \"loadgate/result/v1\",\n") || !strings.HasSuffix(b.String(), "}\n") {
		t.Errorf("not indented as expected:\n%.200s", b.String())
	}
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	obj := func(v any) map[string]any { return v.(map[string]any) }
	keysEqual(t, "result", doc)
	keysEqual(t, "provenance", obj(doc["provenance"]))
	keysEqual(t, "load", obj(doc["load"]))
	ep := obj(doc["endpoints"].([]any)[0])
	keysEqual(t, "endpoint", ep)
	keysEqual(t, "latency_ms", obj(ep["latency_ms"]))
	tot := obj(doc["total"])
	if tot["name"] != "total" {
		t.Errorf("total.name = %v", tot["name"])
	}
	keysEqual(t, "endpoint", tot) // the same fields as an endpoint
	keysEqual(t, "latency_ms", obj(tot["latency_ms"]))
	keysEqual(t, "timeline", obj(doc["timeline"].([]any)[0]))
	v := obj(doc["verdict"])
	keysEqual(t, "verdict", v)
	for _, c := range v["checks"].([]any) { // thresholds without a baseline too
		keysEqual(t, "check", obj(c))
	}
}

// keysEqual checks that an object has exactly the expected field names.
func keysEqual(t *testing.T, what string, m map[string]any) {
	t.Helper()
	got := slices.Sorted(maps.Keys(m))
	want := slices.Sorted(slices.Values(contractFields[what]))
	if !slices.Equal(got, want) {
		t.Errorf("%s fields:\n got %v\nwant %v", what, got, want)
	}
}

func TestWriteJSONSetsSchema(t *testing.T) {
	r := &result.Result{Total: &result.Stats{Name: "total"}}
	var b bytes.Buffer
	if err := result.Write(&b, r); err != nil {
		t.Fatal(err)
	}
	if r.Schema != "" {
		t.Error("WriteJSON modified its argument")
	}
	if _, err := readResult(&b, "r.json"); err != nil {
		t.Errorf("round trip: %v", err)
	}
}

func TestReadResultRoundTrip(t *testing.T) {
	r := passResult(t)
	var b bytes.Buffer
	if err := result.Write(&b, r); err != nil {
		t.Fatal(err)
	}
	got, err := readResult(&b, "result.json")
	if err != nil {
		t.Fatal(err)
	}
	if got.Total.Requests != r.Total.Requests || len(got.Endpoints) != len(r.Endpoints) ||
		got.Verdict.Status != r.Verdict.Status || !got.StartedAt.Equal(r.StartedAt) {
		t.Errorf("round trip lost data: %+v", got)
	}
	h, err := got.Total.Hist()
	if err != nil {
		t.Fatal(err)
	}
	if h.TotalCount() != r.Total.Requests || result.LatencyOf(h) != r.Total.LatencyMS {
		t.Errorf("histogram does not reproduce the latencies: %d %+v", h.TotalCount(), result.LatencyOf(h))
	}
	// The reports of a read result are those of the original.
	var a, c bytes.Buffer
	_ = Markdown(&a, r)
	_ = Markdown(&c, got)
	if a.String() != c.String() {
		t.Error("Markdown of the read result differs")
	}
}

func TestReadResultErrors(t *testing.T) {
	tests := []struct{ doc, want string }{
		{`{"schema": "loadgate/result/v2", "total": {}}`, `new.json: unknown schema "loadgate/result/v2"`},
		{`{"schema": "loadgate/baseline/v1", "results": [{"total": {"name": "total"}}]}`, "new.json: this is a baseline file"},
		{`{"total": {}}`, `new.json: not a loadgate result or baseline: no "schema" field`},
		{`[1, 2]`, "new.json:1:1: not a loadgate result"},
		{"{\n  \"schema\": \"loadgate/result/v1\",\n  \"dropped\": \"many\"\n}", "new.json:3:"},
		{"{\n  \"schema\": \"loadgate/result/v1\",\n  oops\n}", "new.json:3:3: not a loadgate result"},
		{``, "new.json: not a loadgate result"},
	}
	for _, tt := range tests {
		_, err := readResult(strings.NewReader(tt.doc), "new.json")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("readResult(%q) = %v, want error containing %q", tt.doc, err, tt.want)
		}
	}
}

func TestReadResultAcceptsUnknownFields(t *testing.T) {
	doc := `{"schema": "loadgate/result/v1", "future_field": {"x": 1}, "total": {"name": "total", "requests": 3}}`
	r, err := readResult(strings.NewReader(doc), "r.json")
	if err != nil || r.Total.Requests != 3 {
		t.Errorf("ReadResult = %+v, %v", r, err)
	}
}

// readResult reads a document that must hold one result.
func readResult(rd io.Reader, name string) (*result.Result, error) {
	b, err := result.Read(rd, name)
	if err != nil {
		return nil, err
	}
	return b.Single(name)
}
