package report

import (
	"bytes"
	"encoding/xml"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/load/result"
)

// xmlNode is a generic XML element, for checking the JUnit file's shape
// independently of the structs that wrote it.
type xmlNode struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Children []xmlNode  `xml:",any"`
	Text     string     `xml:",chardata"`
}

func (n xmlNode) attr(name string) (string, bool) {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

func (n xmlNode) children(name string) []xmlNode {
	var out []xmlNode
	for _, c := range n.Children {
		if c.XMLName.Local == name {
			out = append(out, c)
		}
	}
	return out
}

// checkJUnitShape enforces what both common JUnit schemas require of the
// file loadgate writes: the strict Ant schema (windyroad JUnit.xsd) and
// Jenkins' junit-10.xsd (Maven Surefire's format). The root is one
// testsuite with name, tests, failures, errors, skipped, time, timestamp
// (no zone) and hostname; inside it properties, the testcases, system-out
// and system-err, in that order; each testcase has name, classname and a
// decimal time and at most one of failure, error or skipped; a failure or
// error has a type and a message. The counts must add up.
func checkJUnitShape(t *testing.T, data []byte) xmlNode {
	t.Helper()
	var root xmlNode
	if err := xml.Unmarshal(data, &root); err != nil {
		t.Fatalf("not well-formed XML: %v\n%s", err, data)
	}
	if root.XMLName.Local != "testsuite" {
		t.Fatalf("root element %q, want testsuite", root.XMLName.Local)
	}
	count := func(n xmlNode, attr string) int {
		v, ok := n.attr(attr)
		i, err := strconv.Atoi(v)
		if !ok || err != nil || i < 0 {
			t.Errorf("<%s %s=%q> is not a count", n.XMLName.Local, attr, v)
		}
		return i
	}
	decimal := func(n xmlNode, attr string) {
		v, ok := n.attr(attr)
		if _, err := strconv.ParseFloat(v, 64); !ok || err != nil || strings.ContainsAny(v, "eE+-") {
			t.Errorf("<%s %s=%q> is not a decimal", n.XMLName.Local, attr, v)
		}
	}
	for _, a := range []string{"name", "hostname"} {
		if v, ok := root.attr(a); !ok || strings.TrimSpace(v) == "" {
			t.Errorf("testsuite lacks %s", a)
		}
	}
	if ts, _ := root.attr("timestamp"); !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$`).MatchString(ts) {
		t.Errorf("timestamp %q is not Ant's date and time without a zone", ts)
	}
	decimal(root, "time")
	order := map[string]int{"properties": 0, "testcase": 1, "system-out": 2, "system-err": 3}
	seen := map[string]int{}
	last := -1
	var got [4]int // tests, failures, errors, skipped
	for _, c := range root.Children {
		o, ok := order[c.XMLName.Local]
		if !ok {
			t.Errorf("unexpected <%s> in testsuite", c.XMLName.Local)
			continue
		}
		if o < last {
			t.Errorf("<%s> out of order in testsuite", c.XMLName.Local)
		}
		last = o
		seen[c.XMLName.Local]++
		if c.XMLName.Local != "testcase" {
			continue
		}
		got[0]++
		for _, a := range []string{"name", "classname"} {
			if v, ok := c.attr(a); !ok || strings.TrimSpace(v) == "" {
				t.Errorf("testcase lacks %s", a)
			}
		}
		decimal(c, "time")
		outcomes := 0
		for i, kind := range []string{"failure", "error", "skipped"} {
			for _, p := range c.children(kind) {
				outcomes++
				got[i+1]++
				if _, ok := p.attr("message"); !ok {
					t.Errorf("<%s> without a message", kind)
				}
				if _, ok := p.attr("type"); !ok && kind != "skipped" {
					t.Errorf("<%s> without a type", kind)
				}
			}
		}
		if outcomes > 1 {
			t.Errorf("testcase %v has %d outcomes", c.Attrs, outcomes)
		}
	}
	for _, el := range []string{"properties", "system-out", "system-err"} {
		if seen[el] != 1 {
			t.Errorf("%d <%s> elements, want 1", seen[el], el)
		}
	}
	for i, attr := range []string{"tests", "failures", "errors", "skipped"} {
		if n := count(root, attr); n != got[i] {
			t.Errorf("testsuite %s=%d, but it holds %d", attr, n, got[i])
		}
	}
	return root
}

func junitOf(t *testing.T, r *result.Result, o JUnitOptions) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := JUnit(&b, r, o); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestJUnitOneCasePerCheck(t *testing.T) {
	r := failResult(t) // thresholds and baseline checks; interrupted
	suite := checkJUnitShape(t, junitOf(t, r, JUnitOptions{}))
	cases := suite.children("testcase")
	if len(cases) != len(r.Verdict.Checks)+1 {
		t.Fatalf("%d test cases for %d checks (+1 for the interrupted run)", len(cases), len(r.Verdict.Checks))
	}
	for i, c := range r.Verdict.Checks {
		name, _ := cases[i].attr("name")
		if name != gate.Describe(c) {
			t.Errorf("case %d is %q, want %q", i, name, gate.Describe(c))
		}
		failed := len(cases[i].children("failure")) == 1
		skipped := len(cases[i].children("skipped")) == 1
		switch c.Status {
		case gate.StatusPass:
			if failed || skipped {
				t.Errorf("%s passed but is reported failed or skipped", name)
			}
		case gate.StatusInconclusive:
			if !skipped {
				t.Errorf("%s is inconclusive but not skipped", name)
			}
		default:
			if !failed {
				t.Errorf("%s failed but has no failure element", name)
			}
		}
	}
	last := cases[len(cases)-1]
	if name, _ := last.attr("name"); name != "run completed" || len(last.children("error")) != 1 {
		t.Errorf("interrupted run not reported as an error case: %+v", last)
	}
	if got, _ := suite.attr("failures"); got != "5" {
		t.Errorf("failures=%s, want 5", got)
	}
}

func TestJUnitInconclusiveFails(t *testing.T) {
	r := failResult(t)
	r.Interrupted = false
	s := checkJUnitShape(t, junitOf(t, r, JUnitOptions{InconclusiveFails: true, Suite: "perf"}))
	if n, _ := s.attr("failures"); n != "6" {
		t.Errorf("failures=%s, want 6 with the inconclusive check failing", n)
	}
	if n, _ := s.attr("skipped"); n != "0" {
		t.Errorf("skipped=%s, want 0", n)
	}
	if name, _ := s.attr("name"); name != "perf" {
		t.Errorf("suite %q", name)
	}
}

func TestJUnitEscapes(t *testing.T) {
	r := nastyResult(t)
	r.Verdict.Checks = append(r.Verdict.Checks, result.Check{Scope: "x\x1b[31m<y>&\"", Metric: "p95", Op: "<=",
		Status: gate.StatusFail, Reason: "]]> <!-- \x00 bad \n ::error::x", Source: "baseline", Baseline: ptr(1)})
	data := junitOf(t, r, JUnitOptions{})
	checkJUnitShape(t, data)
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		if _, err := d.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("invalid XML: %v", err)
		}
	}
	if bytes.ContainsAny(data, "\x00\x1b") {
		t.Error("control characters in the XML")
	}
}

func TestJUnitEmptyVerdict(t *testing.T) {
	r := noDataResult(t)
	r.Verdict = nil
	root := checkJUnitShape(t, junitOf(t, r, JUnitOptions{}))
	if n, _ := root.attr("tests"); n != "0" {
		t.Errorf("tests=%s for no checks", n)
	}
}
