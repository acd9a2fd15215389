// Package scaffold writes a starting loadgate.yml from what a team already
// has: an OpenAPI (or Swagger 2) document, or a HAR file recorded in a
// browser. Both generators fill the small model in this file, and one
// emitter turns it into commented YAML; internal/cli validates the text
// with load/config before writing it.
package scaffold

import (
	"fmt"
	"strings"
)

// SchemaLine is the first line of every config init writes: editors that
// speak the YAML language server complete and check keys through it.
const SchemaLine = "# yaml-language-server: $schema=https://raw.githubusercontent.com/loadgate/loadgate/main/schema/loadgate.schema.json"

// Config is a generated loadgate.yml before it is written.
type Config struct {
	Head       []string // comment lines under the schema line
	TargetURL  string
	TargetNote []string // comment lines at the end of target:
	Classes    []Class
	Tail       []string // comment lines at the end of the file
}

// Class is one user class.
type Class struct {
	Comment []string
	Name    string
	Wait    string
	OnStart []Step
	Tasks   []Task
}

// Task is a weighted task: one request, or a journey of steps.
type Task struct {
	Comment []string
	Name    string // a journey's name; a single request uses its step's
	Weight  int
	Off     bool // written commented out, ready to enable
	Steps   []Step
}

// Step is one request.
type Step struct {
	Comment    []string
	Name       string
	Method     string // GET, POST, ...
	Path       string // a template
	Headers    []Field
	Query      []Field
	JSON       Value // nil: none
	Form       []Field
	Body       *string // a template
	Extract    []Field // values are extract expressions (Raw)
	Expect     *Expect
	SetHeaders []Field
	Redirects  *int
	OnFailure  string
	Think      string
}

// Expect is a step's expect: the statuses that count as success, and the
// reason to report instead of the detail.
type Expect struct {
	Status  []string
	Message string
}

// Field is one key of a mapping. Off fields are written as comments: an
// optional parameter the user may want.
type Field struct {
	Key  string
	Val  Value
	Note string // comment after the value
	Off  bool
}

// Value is a YAML value of a generated config.
type Value interface{ isValue() }

type (
	// Tmpl is a template generated here, written as it is.
	Tmpl string
	// Lit is text from a document or a recording, escaped so the
	// template engine sends it unchanged.
	Lit string
	// Raw is a YAML-safe token written without quotes (a number, an
	// extract expression), or quoted when it is not.
	Raw string
	// Obj is a mapping in key order.
	Obj []Field
	// Arr is a sequence.
	Arr []Value
	// Null is YAML's null.
	Null struct{}
)

func (Tmpl) isValue() {}
func (Lit) isValue()  {}
func (Raw) isValue()  {}
func (Obj) isValue()  {}
func (Arr) isValue()  {}
func (Null) isValue() {}

// text is a string value's template text.
func text(v Value) string {
	switch v := v.(type) {
	case Tmpl:
		return string(v)
	case Lit:
		return literal(string(v))
	case Raw:
		return string(v)
	}
	return ""
}

// Emit writes the config as YAML with its comments.
func (c *Config) Emit() []byte {
	var e emitter
	e.line(0, SchemaLine)
	e.comments(0, c.Head)
	e.line(0, "version: 1")
	e.blank()
	e.line(0, "target:")
	e.line(1, "url: "+scalar(c.TargetURL))
	e.line(1, "timeout: 10s")
	e.comments(1, c.TargetNote)
	e.blank()
	e.line(0, "load:")
	e.line(1, "duration: 60s")
	e.line(1, "users: 10")
	e.line(1, "spawn_rate: 10")
	e.blank()
	e.line(0, "users:")
	for i, cl := range c.Classes {
		if i > 0 {
			e.blank()
		}
		e.comments(1, cl.Comment)
		e.line(1, "- name: "+scalar(cl.Name))
		e.line(2, "wait_time: "+cl.Wait)
		if len(cl.OnStart) > 0 {
			e.line(2, "on_start:")
			for _, s := range cl.OnStart {
				e.step(3, s, 0)
			}
		}
		e.line(2, "tasks:")
		for _, t := range cl.Tasks {
			e.task(3, t)
		}
	}
	e.blank()
	e.line(0, "thresholds:")
	e.line(1, "total: [p95 < 500ms, failure_rate < 1%]")
	if len(c.Tail) > 0 {
		e.blank()
		e.comments(0, c.Tail)
	}
	return []byte(e.b.String())
}

type emitter struct{ b strings.Builder }

func (e *emitter) line(indent int, s string) {
	e.b.WriteString(strings.Repeat("  ", indent))
	e.b.WriteString(s)
	e.b.WriteByte('\n')
}

func (e *emitter) blank() { e.b.WriteByte('\n') }

func (e *emitter) comments(indent int, lines []string) {
	for _, l := range lines {
		if l = comment(l); l == "" {
			e.line(indent, "#")
			continue
		}
		// Commented-out YAML keeps its lines; prose is wrapped.
		if strings.HasPrefix(l, " ") {
			e.line(indent, "# "+l)
			continue
		}
		for _, w := range wrap(l, 78-2*indent) {
			e.line(indent, "# "+w)
		}
	}
}

// task writes a task; an Off one is written the same way, then each of
// its lines is turned into a comment at its own indentation.
func (e *emitter) task(indent int, t Task) {
	e.comments(indent, t.Comment)
	if t.Off {
		var sub emitter
		sub.task(indent, Task{Name: t.Name, Weight: t.Weight, Steps: t.Steps})
		pad := strings.Repeat("  ", indent)
		for _, l := range strings.Split(strings.TrimSuffix(sub.b.String(), "\n"), "\n") {
			e.line(indent, "# "+strings.TrimPrefix(l, pad))
		}
		return
	}
	if len(t.Steps) == 1 && t.Name == "" {
		e.step(indent, t.Steps[0], t.Weight)
		return
	}
	e.line(indent, "- name: "+scalar(t.Name))
	if t.Weight != 1 {
		e.line(indent+1, fmt.Sprintf("weight: %d", t.Weight))
	}
	e.line(indent+1, "steps:")
	for _, s := range t.Steps {
		e.step(indent+2, s, 0)
	}
}

// step writes one request as a sequence item; weight 0 leaves it out.
func (e *emitter) step(indent int, s Step, weight int) {
	e.comments(indent, s.Comment)
	e.line(indent, "- name: "+scalar(s.Name))
	in := indent + 1
	if weight != 0 && weight != 1 {
		e.line(in, fmt.Sprintf("weight: %d", weight))
	}
	e.line(in, strings.ToLower(s.Method)+": "+scalar(s.Path))
	e.fields(in, "headers", s.Headers)
	e.fields(in, "query", s.Query)
	if s.JSON != nil {
		e.value(in, "json", s.JSON, "")
	}
	e.fields(in, "form", s.Form)
	if s.Body != nil {
		e.line(in, "body: "+scalar(*s.Body))
	}
	e.fields(in, "extract", s.Extract)
	if x := s.Expect; x != nil {
		var parts []string
		switch len(x.Status) {
		case 0:
		case 1:
			parts = append(parts, "status: "+x.Status[0])
		default:
			parts = append(parts, "status: ["+strings.Join(x.Status, ", ")+"]")
		}
		if x.Message != "" {
			parts = append(parts, "message: "+quoted(x.Message))
		}
		e.line(in, "expect: {"+strings.Join(parts, ", ")+"}")
	}
	e.fields(in, "set_headers", s.SetHeaders)
	if s.Redirects != nil {
		e.line(in, fmt.Sprintf("redirects: %d", *s.Redirects))
	}
	if s.OnFailure != "" {
		e.line(in, "on_failure: "+s.OnFailure)
	}
	if s.Think != "" {
		e.line(in, "think: "+s.Think)
	}
}

// quoted is always double-quoted, for values inside a flow mapping.
func quoted(s string) string {
	q := scalar(s)
	if !strings.HasPrefix(q, `"`) {
		q = `"` + q + `"`
	}
	return q
}

// fields writes a mapping of strings (headers, query, form, extract);
// a mapping whose every field is Off is written as a comment too.
func (e *emitter) fields(indent int, key string, fs []Field) {
	if len(fs) == 0 {
		return
	}
	on := false
	for _, f := range fs {
		on = on || !f.Off
	}
	if on {
		e.line(indent, key+":")
	} else {
		e.line(indent, "# "+key+":")
	}
	for _, f := range fs {
		l := scalar(f.Key) + ": " + scalar(text(f.Val))
		if f.Off {
			l = "# " + l
		}
		if f.Note != "" {
			l += "  # " + comment(f.Note)
		}
		e.line(indent+1, l)
	}
}

// value writes `key: v` (or `- v` when key is "-") in block style.
func (e *emitter) value(indent int, key string, v Value, note string) {
	head := scalar(key) + ":"
	if key == "-" {
		head = "-"
	}
	if note != "" {
		note = "  # " + comment(note)
	}
	switch v := v.(type) {
	case Obj:
		if len(v) == 0 {
			e.line(indent, head+" {}"+note)
			return
		}
		if key == "-" { // the first field on the dash's line
			var sub emitter
			sub.value(indent+1, v[0].Key, v[0].Val, v[0].Note)
			first := strings.TrimPrefix(sub.b.String(), strings.Repeat("  ", indent+1))
			e.b.WriteString(strings.Repeat("  ", indent) + "- " + first)
			for _, f := range v[1:] {
				e.value(indent+1, f.Key, f.Val, f.Note)
			}
			return
		}
		e.line(indent, head+note)
		for _, f := range v {
			e.value(indent+1, f.Key, f.Val, f.Note)
		}
	case Arr:
		if len(v) == 0 {
			e.line(indent, head+" []"+note)
			return
		}
		e.line(indent, head+note)
		for _, x := range v {
			e.value(indent+1, "-", x, "")
		}
	case Null:
		e.line(indent, head+" null"+note)
	case Raw:
		e.line(indent, head+" "+string(v)+note)
	default:
		e.line(indent, head+" "+scalar(text(v))+note)
	}
}
