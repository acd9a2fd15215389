package report

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/load/result"
)

// Locust's headers, as its stats.py writes them (requests_csv_columns,
// stats_history_csv_columns, failures_columns with PERCENTILES_TO_REPORT).
const (
	locustStats = "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time," +
		"Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s," +
		"50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
	locustHistory = "Timestamp,User Count,Type,Name,Requests/s,Failures/s," +
		"50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%," +
		"Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response Time," +
		"Total Min Response Time,Total Max Response Time,Total Average Content Size"
	locustFailures = "Method,Name,Error,Occurrences"
)

func readCSV(t *testing.T, write func(*bytes.Buffer) error) [][]string {
	t.Helper()
	var b bytes.Buffer
	if err := write(&b); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatalf("not valid CSV: %v", err)
	}
	return rows
}

func TestCSVFileNames(t *testing.T) {
	s, h, f := CSVFiles("out/run")
	if s != "out/run_stats.csv" || h != "out/run_stats_history.csv" || f != "out/run_failures.csv" {
		t.Errorf("names %s %s %s", s, h, f)
	}
}

func TestCSVStats(t *testing.T) {
	r := noDataResult(t) // /hello_world with requests, /never_called without
	rows := readCSV(t, func(b *bytes.Buffer) error { return CSVStats(b, r) })
	if got := strings.Join(rows[0], ","); got != locustStats {
		t.Fatalf("header\n got %s\nwant %s", got, locustStats)
	}
	if len(rows) != 4 {
		t.Fatalf("%d rows, want header, 2 endpoints, Aggregated", len(rows))
	}
	hello, never, agg := rows[1], rows[2], rows[3]
	if hello[0] != "GET" || hello[1] != "/hello_world" || hello[2] != "300" {
		t.Errorf("endpoint row %q", hello)
	}
	if agg[0] != "" || agg[1] != "Aggregated" || agg[2] != "300" {
		t.Errorf("aggregated row %q", agg)
	}
	// Locust: whole-millisecond percentiles, N/A without requests.
	for i := 11; i < len(hello); i++ {
		if _, err := strconv.Atoi(hello[i]); err != nil {
			t.Errorf("percentile %s = %q is not whole milliseconds", rows[0][i], hello[i])
		}
		if never[i] != "N/A" {
			t.Errorf("no-request percentile %s = %q, want N/A", rows[0][i], never[i])
		}
	}
	if hello[21] != csvMS(r.Endpoints[0].LatencyMS.Max) {
		t.Errorf("100%% = %s, want the maximum %g", hello[21], r.Endpoints[0].LatencyMS.Max)
	}
	for _, i := range []int{5, 6, 7, 9, 10} { // average, min, max, rates: decimals
		if _, err := strconv.ParseFloat(hello[i], 64); err != nil {
			t.Errorf("%s = %q", rows[0][i], hello[i])
		}
	}
}

func TestCSVHistory(t *testing.T) {
	r := passResult(t)
	rows := readCSV(t, func(b *bytes.Buffer) error { return CSVHistory(b, r) })
	if got := strings.Join(rows[0], ","); got != locustHistory {
		t.Fatalf("header\n got %s\nwant %s", got, locustHistory)
	}
	if len(rows) != len(r.Timeline)+1 {
		t.Fatalf("%d rows for %d seconds", len(rows)-1, len(r.Timeline))
	}
	first, last := rows[1], rows[len(rows)-1]
	start := r.StartedAt.Unix() + int64(r.Load.WarmupS) + 1
	if first[0] != strconv.FormatInt(start, 10) || first[3] != "Aggregated" || first[2] != "" {
		t.Errorf("first row %q, want timestamp %d", first[:4], start)
	}
	if first[6] == "N/A" || first[7] != "N/A" || first[11] == "N/A" {
		t.Errorf("per-second percentiles: 50%%=%s 66%%=%s 95%%=%s", first[6], first[7], first[11])
	}
	if last[17] != strconv.FormatInt(r.Total.Requests, 10) || last[19] == "N/A" {
		t.Errorf("last row's totals %q", last[17:])
	}
}

func TestCSVFailures(t *testing.T) {
	r := failResult(t)
	r.Endpoints[0].FailureReasons["=HYPERLINK(\"http://x\")"] = 1
	rows := readCSV(t, func(b *bytes.Buffer) error { return CSVFailures(b, r) })
	if got := strings.Join(rows[0], ","); got != locustFailures {
		t.Fatalf("header %s", got)
	}
	var total int64
	for _, row := range rows[1:] {
		n, err := strconv.ParseInt(row[3], 10, 64)
		if err != nil {
			t.Fatalf("occurrences %q", row[3])
		}
		total += n
		if strings.HasPrefix(row[2], "=") {
			t.Errorf("formula left runnable: %q", row[2])
		}
	}
	if total != r.Total.Failures+1 {
		t.Errorf("occurrences add to %d, want %d", total, r.Total.Failures+1)
	}
	empty := readCSV(t, func(b *bytes.Buffer) error { return CSVFailures(b, &result.Result{}) })
	if len(empty) != 1 {
		t.Errorf("no failures: %d rows, want the header alone", len(empty))
	}
}
