package report

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/loadgate/loadgate/load/result"
)

func TestMDEscapes(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/items/[item_id]", `/items/\[item\_id\]`},
		{"a|b", `a\|b`},
		{`a\|b`, `a\\\|b`}, // a user's backslash cannot un-escape our pipe
		{"<script>&amp;", "&lt;script&gt;&amp;amp;"},
		{"`x` *y* ~z~ #h !i $m$", "\\`x\\` \\*y\\* \\~z\\~ \\#h \\!i \\$m\\$"},
		{"line1\nline2\r\n\tline3", "line1 line2 line3"},
		{"\x1b[31mred\x1b[0m", "red"},
		{"- item", `\- item`},
		{"+ item", `\+ item`},
		{"1. item", `1\. item`},
		{"12) item", `12\) item`},
		{"2026 was fine", "2026 was fine"},
		{"loadgate 1.0.0", "loadgate 1.0.0"},
		{"-5ms", "-5ms"},
		{"see https://evil.example or www.evil.example", `see https:\/\/evil.example or www\.evil.example`},
		{"a\u202eb", "ab"},
		{"  padded  ", "padded"},
	}
	for _, tt := range tests {
		if got := md(tt.in, 200); got != tt.want {
			t.Errorf("md(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTruncate(t *testing.T) {
	long := strings.Repeat("é", 300)
	got := cleanText(long, maxReasonLen)
	if n := utf8.RuneCountInString(got); n != maxReasonLen || !strings.HasSuffix(got, "…") {
		t.Errorf("truncated to %d runes: %q", n, got)
	}
	if got := truncate("short", 10); got != "short" {
		t.Errorf("truncate = %q", got)
	}
	if !utf8.ValidString(cleanText("ok\xffbad", 10)) {
		t.Error("invalid UTF-8 passed through")
	}
}

// TestNastyServerText renders a result whose names, reasons, warnings and
// log come from a hostile server, and checks nothing gets through.
func TestNastyServerText(t *testing.T) {
	r := nastyResult(t)
	var b bytes.Buffer
	if err := Markdown(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	outside, code := splitFences(out)
	for _, bad := range []string{"<script", "<b>", "<img", "</details><", "**bold**", "[link](", "\x1b", "\r", "`code`", "`q`"} {
		if strings.Contains(outside, bad) {
			t.Errorf("markdown outside code blocks contains %q", bad)
		}
	}
	if !strings.Contains(code, "</details><script>alert(1)</script>") {
		t.Error("log tail missing from its code block")
	}
	if strings.Contains(code, "\x1b") {
		t.Error("ANSI escapes in the log block")
	}
	// Every table row keeps its column count: no cell was split by a pipe.
	for _, table := range tables(outside) {
		want := cells(table[0])
		for _, row := range table[1:] {
			if got := cells(row); got != want {
				t.Errorf("row has %d cells, header %d: %q", got, want, row)
			}
		}
	}
	if len(out) > 100*1024 {
		t.Errorf("nasty report is %d bytes; caps did not apply", len(out))
	}

	var term bytes.Buffer
	Terminal(&term, r)
	for _, line := range strings.Split(term.String(), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "::") {
			t.Errorf("terminal line could be read as a GitHub workflow command: %q", line)
		}
	}
	if strings.ContainsAny(term.String(), "\x1b\r") {
		t.Error("terminal output carries control characters from the server")
	}
}

// splitFences separates text outside fenced code blocks from text inside.
func splitFences(s string) (outside, inside string) {
	var o, in strings.Builder
	fence := ""
	for _, line := range strings.Split(s, "\n") {
		switch {
		case fence == "" && strings.HasPrefix(line, "```"):
			fence = line[:len(line)-len(strings.TrimLeft(line, "`"))]
		case fence != "" && line == fence:
			fence = ""
		case fence != "":
			in.WriteString(line + "\n")
		default:
			o.WriteString(line + "\n")
		}
	}
	return o.String(), in.String()
}

// tables returns the Markdown tables in s, each as its lines without the
// delimiter row.
func tables(s string) [][]string {
	var out [][]string
	var cur []string
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, "|") {
			if !strings.HasPrefix(line, "|---") {
				cur = append(cur, line)
			}
			continue
		}
		if cur != nil {
			out = append(out, cur)
			cur = nil
		}
	}
	return out
}

// cells counts the cells of a table row as GFM does: pipes not escaped by a
// backslash separate cells.
func cells(row string) int {
	n := 0
	for i := 0; i < len(row); i++ {
		switch row[i] {
		case '\\':
			i++
		case '|':
			n++
		}
	}
	return n - 1
}

func TestMarkdownManyEndpoints(t *testing.T) {
	for _, n := range []int{200, 1200} {
		r := manyResult(t, n)
		var b bytes.Buffer
		if err := Markdown(&b, r); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if b.Len() >= maxMarkdown {
			t.Errorf("%d endpoints: report is %d bytes, limit %d", n, b.Len(), maxMarkdown)
		}
		if !strings.Contains(out, "The table was cut: the 50 busiest of") {
			t.Errorf("%d endpoints: no cut note", n)
		}
		if strings.Count(out, "| **Aggregated** |") != 1 {
			t.Errorf("%d endpoints: want one aggregated row", n)
		}
		if !strings.Contains(out, "<details><summary>") {
			t.Errorf("%d endpoints: no collapsed rest", n)
		}
		t.Logf("%d endpoints: %d bytes", n, b.Len())
	}
}

// TestMarkdownSizeWorstCase fills every part of a result with text that
// escaping expands, and checks the hard limit still holds.
func TestMarkdownSizeWorstCase(t *testing.T) {
	r := manyResult(t, 60)
	wide := strings.Repeat("&", 5000)
	for range 3000 {
		r.Verdict.Checks = append(r.Verdict.Checks, result.Check{Scope: wide, Metric: "p95", Op: "<", Status: "fail", Reason: wide})
		r.Warnings = append(r.Warnings, wide)
	}
	r.Verdict.Status = "fail"
	r.Target = &result.TargetReport{Command: wide, Error: wide}
	for range 5000 {
		r.Target.LogTail = append(r.Target.LogTail, strings.Repeat("😀", 5000))
	}
	var b bytes.Buffer
	if err := Markdown(&b, r); err != nil {
		t.Fatal(err)
	}
	if b.Len() >= maxMarkdown {
		t.Errorf("report is %d bytes, limit %d", b.Len(), maxMarkdown)
	}
	if !strings.HasPrefix(b.String(), "## ❌ loadgate: FAIL") {
		t.Error("verdict line lost")
	}
}
