package report

import (
	"encoding/xml"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/load/result"
)

// JUnitOptions configure the JUnit report.
type JUnitOptions struct {
	// Suite names the test suite; "" means "loadgate".
	Suite string
	// InconclusiveFails reports inconclusive checks as failures, as
	// baseline.inconclusive: fail makes them fail the run (exit 4); by
	// default they are skipped tests, which pass a CI reporter as the run
	// does.
	InconclusiveFails bool
}

// The JUnit XML shape that Jenkins, GitLab, Azure DevOps and the GitHub
// test-reporter actions read: Ant's format, one <testsuite> as the root,
// which both the strict Ant schema (windyroad JUnit.xsd: properties,
// testcases, system-out and system-err in that order; timestamp and
// hostname required) and the Jenkins/Surefire junit-10.xsd accept. A
// <testsuites> root is left out on purpose: the Ant schema allows it no
// attributes and Jenkins' no "skipped".
type junitSuite struct {
	XMLName    xml.Name    `xml:"testsuite"`
	Name       string      `xml:"name,attr"`
	Tests      int         `xml:"tests,attr"`
	Failures   int         `xml:"failures,attr"`
	Errors     int         `xml:"errors,attr"`
	Skipped    int         `xml:"skipped,attr"`
	Time       string      `xml:"time,attr"`
	Timestamp  string      `xml:"timestamp,attr"`
	Hostname   string      `xml:"hostname,attr"`
	Properties junitProps  `xml:"properties"`
	Cases      []junitCase `xml:"testcase"`
	SystemOut  string      `xml:"system-out"`
	SystemErr  string      `xml:"system-err"`
}

type junitProps struct {
	Props []junitProperty `xml:"property"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitProblem `xml:"skipped,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// JUnit writes the verdict as JUnit XML: one test case per check
// (threshold or baseline), named as the terminal report names it, with a
// failure element for each failed check and a skipped element for each
// inconclusive one. An interrupted run or a target that failed adds an
// errored "run completed" case, so a partial run never reads as green.
// The suite's counts are computed from the cases, so they always add up.
func JUnit(w io.Writer, r *result.Result, o JUnitOptions) error {
	name := o.Suite
	if name == "" {
		name = "loadgate"
	}
	started := r.StartedAt
	if started.IsZero() {
		started = time.Now()
	}
	suite := junitSuite{Name: name, Time: junitSeconds(r.DurationS), Hostname: junitHost(),
		Properties: junitProps{junitProperties(r)},
		// Ant's format: date and time without a zone; loadgate's are UTC.
		Timestamp: started.UTC().Format("2006-01-02T15:04:05")}
	if r.Verdict != nil {
		for _, c := range r.Verdict.Checks {
			suite.Cases = append(suite.Cases, junitCheck(c, o))
		}
	}
	if r.Interrupted || (r.Target != nil && r.Target.Error != "") {
		msg := "the run was interrupted: these are partial results"
		if r.Target != nil && r.Target.Error != "" {
			msg = r.Target.Error
		}
		suite.Cases = append(suite.Cases, junitCase{Name: "run completed", Classname: name + ".run", Time: junitSeconds(r.DurationS),
			Error: &junitProblem{Message: junitLine(msg), Type: "interrupted", Text: msg}})
	}
	for _, c := range suite.Cases {
		suite.Tests++
		switch {
		case c.Failure != nil:
			suite.Failures++
		case c.Error != nil:
			suite.Errors++
		case c.Skipped != nil:
			suite.Skipped++
		}
	}
	var out strings.Builder
	out.WriteString("verdict: " + verdictWord(r.Verdict) + " — " + cleanText(outcome(r), maxLineLen) + "\n")
	for _, w := range warnings(r) {
		out.WriteString("warning: " + w + "\n")
	}
	suite.SystemOut = out.String()
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(suite); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// junitCheck turns one check into a test case.
func junitCheck(c result.Check, o JUnitOptions) junitCase {
	source := c.Source
	if source == "" {
		source = "check"
	}
	tc := junitCase{Name: junitLine(gate.Describe(c)), Classname: "loadgate." + source, Time: "0"}
	detail := checkDetail(c)
	if c.Reason != "" && c.Reason != gate.ReasonNoData && c.Op != "exists" {
		detail += "\n" + c.Reason
	}
	msg := c.Reason
	if msg == "" {
		msg = detail
	}
	switch c.Status {
	case gate.StatusPass:
	case gate.StatusInconclusive:
		p := &junitProblem{Message: junitLine("inconclusive: " + msg), Type: "inconclusive", Text: detail}
		if o.InconclusiveFails {
			tc.Failure = p
		} else {
			tc.Skipped = &junitProblem{Message: p.Message, Text: detail}
		}
	default:
		tc.Failure = &junitProblem{Message: junitLine(msg), Type: source, Text: detail}
	}
	return tc
}

// junitProperties records the run's provenance as suite properties.
func junitProperties(r *result.Result) []junitProperty {
	p := r.Provenance
	var out []junitProperty
	add := func(k, v string) {
		if v != "" {
			out = append(out, junitProperty{Name: k, Value: junitLine(v)})
		}
	}
	add("loadgate_version", r.LoadgateVersion)
	add("commit", p.Commit)
	add("ref", p.Ref)
	add("runner_os", p.RunnerOS)
	add("cpu_model", p.CPUModel)
	if p.CPUs > 0 {
		add("cpus", strconv.Itoa(p.CPUs))
	}
	add("workload_hash", p.WorkloadHash)
	add("shard", p.Shard)
	return out
}

// junitSeconds renders a duration in seconds as JUnit's decimal time.
func junitSeconds(s float64) string {
	if s < 0 {
		s = 0
	}
	return strconv.FormatFloat(s, 'f', 3, 64)
}

// junitLine makes text a single clean line for an attribute.
func junitLine(s string) string { return cleanText(s, maxLineLen) }

func junitHost() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "localhost"
	}
	return h
}
