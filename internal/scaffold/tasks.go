package scaffold

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// builder turns a document's operations into the config model.
type builder struct {
	doc *openapi3.T
	gen *valueGen
}

// skip is an operation left out, and why.
type skip struct{ op, why string }

func (b *builder) build(src, version string, o Options) (*Config, []string, error) {
	ops, other := operations(b.doc)
	var skipped []skip
	for _, s := range other {
		skipped = append(skipped, skip{s, "loadgate sends GET, HEAD, POST, PUT, PATCH and DELETE"})
	}
	perPath := map[string]int{}
	var live []operation
	for _, op := range ops {
		if op.op.Deprecated {
			skipped = append(skipped, skip{op.String(), "deprecated"})
			continue
		}
		if !strings.HasPrefix(op.path, "/") {
			skipped = append(skipped, skip{op.String(), "its path does not start with /"})
			continue
		}
		live = append(live, op)
		perPath[op.path]++
	}
	login, loginOp := b.login(live)
	var anon, authed []Task
	tasks, off := 0, 0
	for _, op := range live {
		if loginOp != nil && op.op == loginOp.op && op.method == loginOp.method {
			continue // it is the login step
		}
		step, why := b.step(op, taskName(op, perPath[op.path] > 1))
		if why != "" {
			skipped = append(skipped, skip{op.String(), why})
			continue
		}
		t := Task{Weight: weight(op.method), Steps: []Step{step}}
		t.Comment = step.Comment
		t.Steps[0].Comment = nil
		if op.method == "DELETE" {
			t.Off = true
			t.Comment = append(t.Comment, "deleting what other tasks read makes them fail: enable it with care")
		}
		need := b.security(op)
		if need == nil {
			anon = append(anon, t)
			continue
		}
		t.Steps[0].Headers = append(t.Steps[0].Headers, need.headers...)
		t.Steps[0].Query = append(t.Steps[0].Query, need.query...)
		t.Comment = append(t.Comment, need.notes...)
		authed = append(authed, t)
	}
	var classes []Class
	for _, c := range []struct {
		name  string
		tasks []Task
		note  string
	}{
		{"User", anon, "Operations that need no login."},
		{"AuthenticatedUser", authed, "Operations that need a login or a key. Its on_start logs in once per user; credentials come from the environment (LOADGATE_USER, LOADGATE_PASSWORD), never from this file."},
	} {
		if len(c.tasks) == 0 {
			continue
		}
		enableIfAllOff(c.tasks)
		for _, t := range c.tasks {
			if t.Off {
				off++
			} else {
				tasks++
			}
		}
		cl := Class{Comment: []string{c.note}, Name: c.name, Wait: "between 1s 2s", Tasks: c.tasks}
		if c.name == "AuthenticatedUser" && needsLogin(b, live) {
			cl.OnStart = []Step{login}
		} else if c.name == "AuthenticatedUser" {
			cl.Comment = []string{"Operations that need a key, sent from the environment, never written in this file."}
		}
		classes = append(classes, cl)
	}
	if len(ops)+len(other) == 0 {
		return nil, nil, fmt.Errorf("the document has no operations (its paths are empty)")
	}
	if len(classes) == 0 {
		var why []string
		for _, s := range skipped {
			why = append(why, s.op+": "+s.why)
		}
		return nil, nil, fmt.Errorf("none of its %d operations can be sent: %s", len(ops)+len(other), strings.Join(why, "; "))
	}
	base, baseNote := baseURL(b.doc, src, o.URL)
	cfg := &Config{TargetURL: base, Classes: classes}
	title := "an untitled API"
	if b.doc.Info != nil && b.doc.Info.Title != "" {
		title = strings.TrimSpace(strconv.Quote(b.doc.Info.Title) + " " + b.doc.Info.Version)
	}
	file := o.File
	if file == "" {
		file = "loadgate.yml"
	}
	cfg.Head = []string{
		fmt.Sprintf("Written by loadgate init --openapi %s from %s (%s): one task per operation, "+
			"with values that fit each parameter's and body's schema.", sourceName(src), title, version),
		"Reads (GET) weigh 3 and writes 1. DELETEs are written commented out: deleting what other tasks " +
			"read makes them fail. Review the values: ids are random within the schema's range and may not exist in your data.",
		"Run it with loadgate -c " + file + " (loadgate validate -c " + file + " checks it). Every key: docs/config.md.",
	}
	cfg.TargetNote = []string{
		baseNote,
		"loadgate can start the app itself, wait until it is ready, and stop it:",
		"start:",
		"  command: uvicorn main:app --host 127.0.0.1 --port 8000",
		"  ready: {url: " + base + readyPath(live) + ", timeout: 30s}",
	}
	if len(skipped) > 0 {
		cfg.Tail = append(cfg.Tail, fmt.Sprintf("Left out (%d):", len(skipped)))
		for _, s := range skipped {
			cfg.Tail = append(cfg.Tail, "  "+s.op+": "+s.why)
		}
	}
	line := fmt.Sprintf("%s (%s): %d operations, %d became tasks", title, version, len(ops)+len(other), tasks)
	if off > 0 {
		line += fmt.Sprintf(", %d written commented out (DELETE)", off)
	}
	if loginOp != nil {
		line += ", 1 is the login step (" + loginOp.String() + ")"
	}
	sum := []string{line + fmt.Sprintf(", %d skipped", len(skipped))}
	reasons := map[string]int{}
	for _, s := range skipped {
		reasons[s.why]++
	}
	for _, r := range sortedKeys(reasons) {
		sum = append(sum, fmt.Sprintf("  skipped %d: %s", reasons[r], r))
	}
	sum = append(sum, "  "+baseNote+" ("+base+")")
	return cfg, sum, nil
}

// step is the request for one operation, or why it cannot be sent.
func (b *builder) step(o operation, name string) (Step, string) {
	st := Step{Name: name, Method: o.method}
	summary := o.op.Summary
	if summary == "" {
		summary = o.op.OperationID
	}
	if summary != "" {
		st.Comment = []string{o.String() + ": " + summary}
	} else {
		st.Comment = []string{o.String()}
	}
	path, hasPathParams := b.path(o)
	st.Path = path
	for _, p := range o.params {
		switch p.In {
		case "query":
			f, ok := b.paramField(p)
			if !ok {
				continue
			}
			if !p.Required && len(st.Query) >= 10 {
				continue
			}
			st.Query = append(st.Query, f)
		case "header":
			switch strings.ToLower(p.Name) {
			case "accept", "content-type", "authorization": // OpenAPI ignores these as parameters
				continue
			}
			f, ok := b.paramField(p)
			if !ok {
				continue
			}
			st.Headers = append(st.Headers, f)
		case "cookie":
			if p.Required {
				st.Comment = append(st.Comment, "needs the cookie "+p.Name+": the cookie jar sends what the app set")
			}
		}
	}
	if why := b.body(o, &st); why != "" {
		return st, why
	}
	st.Expect, st.Redirects = expectFor(o, hasPathParams, &st)
	return st, ""
}

var pathParam = regexp.MustCompile(`\{([^{}]*)\}`)

// paramField is a query or header parameter as a field: a value that fits
// its schema, or, for a name that looks like a credential, a read from the
// environment; commented out when optional. False when no value fits.
func (b *builder) paramField(p *openapi3.Parameter) (Field, bool) {
	v, ok := b.gen.value(paramSchema(p), p.Name, inText, 0)
	if !ok {
		return Field{}, false
	}
	f := Field{Key: p.Name, Val: v, Off: !p.Required}
	if secretName(p.Name) {
		f.Val, f.Note = envValue(p.Name), "from the environment"
	}
	return f, true
}

// path fills the path template's parameters with values that need no
// escaping; the text between them is kept as written.
func (b *builder) path(o operation) (string, bool) {
	byName := map[string]*openapi3.Parameter{}
	for _, p := range o.params {
		if p.In == "path" {
			byName[p.Name] = p
		}
	}
	var out strings.Builder
	last, any := 0, false
	for _, m := range pathParam.FindAllStringSubmatchIndex(o.path, -1) {
		lit := o.path[last:m[0]]
		if strings.HasSuffix(lit, "{") { // "/a{" + "{{ ... }}" would open the action early
			lit = "{{ " + goString(lit) + " }}"
		} else {
			lit = literal(lit)
		}
		out.WriteString(lit)
		name := o.path[m[2]:m[3]]
		var v Value = Tmpl("{{ fake `word` }}")
		if p := byName[name]; p != nil {
			if x, ok := b.gen.value(paramSchema(p), name, inPath, 0); ok {
				v = x
			}
		}
		out.WriteString(text(v))
		last, any = m[1], true
	}
	out.WriteString(literal(o.path[last:]))
	return out.String(), any
}

// body fills the request body from the first media type loadgate can
// send: JSON, a form, or text. A required body of another kind (XML,
// multipart, binary) is a reason to skip the operation.
func (b *builder) body(o operation, st *Step) string {
	if o.op.RequestBody == nil || o.op.RequestBody.Value == nil {
		return ""
	}
	rb := o.op.RequestBody.Value
	types := sortedKeys(rb.Content)
	pick := func(match func(string) bool) (string, *openapi3.MediaType) {
		for _, t := range types {
			if match(strings.ToLower(t)) {
				return t, rb.Content[t]
			}
		}
		return "", nil
	}
	if _, mt := pick(isJSONType); mt != nil {
		v, ok := b.gen.value(mt.Schema, "", inJSON, 0)
		if !ok || mt.Schema == nil {
			v = Obj{}
		}
		st.JSON = v
		return ""
	}
	if _, mt := pick(func(t string) bool { return strings.HasPrefix(t, "application/x-www-form-urlencoded") }); mt != nil {
		st.Form = b.formFields(mt.Schema)
		if len(st.Form) == 0 {
			st.Form = []Field{{Key: "field", Val: Lit("value"), Note: "the schema names no fields"}}
		}
		return ""
	}
	if t, _ := pick(func(t string) bool { return strings.HasPrefix(t, "text/plain") }); t != "" {
		body := "{{ fake `sentence` 8 }}"
		st.Body = &body
		st.Headers = append(st.Headers, Field{Key: "Content-Type", Val: Lit(t)})
		return ""
	}
	if !rb.Required {
		if len(types) > 0 {
			st.Comment = append(st.Comment, "sent without its optional body ("+strings.Join(types, ", ")+")")
		}
		return ""
	}
	if len(types) == 0 {
		return ""
	}
	return "body " + strings.Join(types, ", ") + " (init writes JSON, form and text bodies)"
}

func isJSONType(t string) bool {
	t, _, _ = strings.Cut(t, ";")
	t = strings.TrimSpace(t)
	return t == "application/json" || strings.HasSuffix(t, "+json") || t == "*/*" || t == "application/*"
}

// formFields are a form's fields: the top-level properties of its schema.
func (b *builder) formFields(ref *openapi3.SchemaRef) []Field {
	s := schemaOf(ref)
	if s == nil {
		return nil
	}
	if len(s.AllOf) > 0 {
		s = merged(s)
	}
	req := map[string]bool{}
	for _, r := range s.Required {
		req[r] = true
	}
	var out []Field
	for _, k := range sortedKeys(s.Properties) {
		p := schemaOf(s.Properties[k])
		if p != nil && p.ReadOnly && !req[k] {
			continue
		}
		v, ok := b.gen.value(s.Properties[k], k, inText, 1)
		if !ok {
			continue
		}
		out = append(out, Field{Key: k, Val: v})
	}
	return out
}

// expectFor: the statuses the document declares as success are what
// counts; a 404 it declares for an operation on one item (a path
// parameter) is an answer by design, since a random id may not exist.
// Declared redirects with no 2xx are measured as sent.
func expectFor(o operation, onItem bool, st *Step) (*Expect, *int) {
	if o.op.Responses == nil {
		return nil, nil
	}
	var ok2, ok3 []string
	has404 := false
	for code := range o.op.Responses.Map() {
		c := strings.ToUpper(code)
		if n, err := strconv.Atoi(c); err == nil && (n < 100 || n > 599) || err != nil && c != "2XX" && c != "3XX" {
			continue // "default", a range loadgate does not gate on, or a mistake
		}
		switch {
		case c == "2XX":
			ok2 = append(ok2, "2xx")
		case c == "3XX":
			ok3 = append(ok3, "3xx")
		case len(c) == 3 && c[0] == '2':
			ok2 = append(ok2, c)
		case len(c) == 3 && c[0] == '3':
			ok3 = append(ok3, c)
		case c == "404":
			has404 = true
		}
	}
	var redirects *int
	status := ok2
	if len(ok2) == 0 && len(ok3) > 0 {
		status = ok3
		zero := 0
		redirects = &zero
	}
	if len(status) == 0 {
		return nil, nil
	}
	sort.Strings(status)
	if contains(status, "2xx") {
		status = []string{"2xx"}
	}
	if has404 && onItem && o.method != "POST" {
		status = append(status, "404")
		st.Comment = append(st.Comment, "404 is declared: an id the app does not have is not a failure")
	}
	return &Expect{Status: status}, redirects
}
