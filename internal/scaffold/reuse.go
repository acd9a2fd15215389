package scaffold

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// A value the app answered (an id in a JSON body, a Location, a cookie)
// that the browser sent back later is the app's, not the recording's: a
// replay must send what the app answers this time. reuse finds those
// values and turns them into an extract on the step that received them
// and a {{ .name }} where they were sent. A value counts only if the
// browser had not sent it before the answer (else the app echoed it), and
// only if it is specific enough to be unlikely by chance: integers of three
// digits or more, strings of eight characters with a digit, or twenty.
type reuse struct {
	known   map[string]bool    // every value sent so far
	sources map[string]*source // answered values, by value
	names   map[string]bool
}

type source struct {
	step   int    // the step whose response holds it
	name   string // the variable
	expr   string // its extract expression
	number bool   // a JSON number
	used   bool
}

func newReuse() *reuse {
	return &reuse{known: map[string]bool{}, sources: map[string]*source{}, names: map[string]bool{}}
}

// specific: a value unlikely to be sent back by chance.
func specific(v string, number bool) bool {
	if number {
		_, err := strconv.ParseInt(v, 10, 64)
		return err == nil && len(strings.TrimLeft(v, "-")) >= 3
	}
	if len(v) > 2048 {
		return false
	}
	return len(v) >= 20 || len(v) >= 8 && strings.ContainsAny(v, "0123456789")
}

// lookup returns the source of a value sent in a request, marking it
// used; its variable gets a name no other used source has.
func (r *reuse) lookup(v string) *source {
	s := r.sources[v]
	if s != nil && !s.used {
		s.used = true
		n := s.name
		for i := 2; r.names[n]; i++ {
			n = fmt.Sprintf("%s_%d", s.name, i)
		}
		s.name, r.names[n] = n, true
	}
	return s
}

// sent records the values a request carries (in its URL, headers and
// body): a later answer holding them is an echo, not the app's own.
func (r *reuse) sent(e *harEntry) {
	add := func(v string) { r.known[v] = true }
	if u, err := url.Parse(e.Request.URL); err == nil {
		for _, seg := range strings.Split(u.EscapedPath(), "/") {
			if d, err := url.PathUnescape(seg); err == nil {
				add(d)
			}
		}
		for _, vs := range u.Query() {
			for _, v := range vs {
				add(v)
			}
		}
	}
	for _, h := range e.Request.Headers {
		add(h.Value)
		if _, rest, ok := strings.Cut(h.Value, " "); ok {
			add(rest)
		}
	}
	if pd := e.Request.PostData; pd != nil {
		add(pd.Text)
		for _, p := range pd.Params {
			add(p.Value)
		}
		if vs, err := url.ParseQuery(pd.Text); err == nil {
			for _, v := range vs {
				for _, x := range v {
					add(x)
				}
			}
		}
		if node, err := decodeOrdered([]byte(pd.Text)); err == nil {
			leaves(node, nil, func(_ []string, v string, _ bool) { add(v) })
		}
	}
}

// answered registers the values a kept step's response holds.
func (r *reuse) answered(e *harEntry, step int) {
	add := func(v, name, expr string, number bool) {
		if r.known[v] || r.sources[v] != nil || !specific(v, number) {
			return
		}
		r.sources[v] = &source{step: step, name: name, expr: expr, number: number}
	}
	if body := responseText(e); isJSONText(e.Response.Content.MimeType, body) {
		if node, err := decodeOrdered([]byte(body)); err == nil {
			n := 0
			leaves(node, nil, func(p []string, v string, number bool) {
				if n++; n > 5000 || len(p) == 0 {
					return
				}
				if jp, ok := gjsonPath(p); ok {
					add(v, varName(p), "json "+jp, number)
				}
			})
		}
	}
	status := e.Response.Status
	for _, h := range e.Response.Headers {
		switch strings.ToLower(h.Name) {
		case "location":
			if status >= 300 && status < 400 {
				continue // followed by loadgate: the final response has no Location
			}
			add(h.Value, "location", "header Location", false)
			locationSegments(h.Value, add)
		case "set-cookie":
			c, err := http.ParseSetCookie(h.Value)
			if err == nil && c.Name != "" {
				add(c.Value, varName([]string{c.Name}), "cookie "+c.Name, false)
			}
		}
	}
}

// locationSegments offers each path segment of a Location (the id in
// /items/1001) with a regex that finds it in the header.
func locationSegments(loc string, add func(v, name, expr string, number bool)) {
	u, err := url.Parse(loc)
	if err != nil {
		return
	}
	segs := strings.Split(u.EscapedPath(), "/")
	for i, seg := range segs {
		d, err := url.PathUnescape(seg)
		if i == 0 || err != nil || d == "" {
			continue
		}
		pre := regexp.QuoteMeta(strings.Join(segs[:i], "/") + "/")
		name := "id"
		if i > 1 && segs[i-1] != "" {
			name = singular(segs[i-1]) + "_id"
		}
		_, isNum := strconv.ParseInt(d, 10, 64)
		add(d, varName([]string{name}), `header Location regex ^(?:[a-z]+://[^/]+)?`+pre+`([^/?#]+)`, isNum == nil)
	}
}

// apply writes each used source's extract on its step, naming variables
// uniquely in the order the journey meets them.
func (r *reuse) apply(steps []Step) {
	for _, s := range r.sources {
		if s.used {
			steps[s.step].Extract = append(steps[s.step].Extract, Field{Key: s.name, Val: Raw(s.expr)})
		}
	}
	for i := range steps {
		sortFields(steps[i].Extract)
	}
}

func sortFields(fs []Field) {
	for i := 1; i < len(fs); i++ {
		for j := i; j > 0 && fs[j].Key < fs[j-1].Key; j-- {
			fs[j], fs[j-1] = fs[j-1], fs[j]
		}
	}
}

// varName is a variable for a value found at path p: its last key,
// letters, digits and _ only.
func varName(p []string) string {
	name := ""
	for i := len(p) - 1; i >= 0 && name == ""; i-- {
		if _, err := strconv.Atoi(p[i]); err != nil || i == 0 {
			name = p[i]
		}
	}
	var b strings.Builder
	for _, c := range name {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_':
			b.WriteRune(c)
		default:
			b.WriteByte('_')
		}
	}
	n := strings.Trim(b.String(), "_")
	if n == "" || n[0] >= '0' && n[0] <= '9' {
		n = "value_" + n
	}
	return strings.TrimRight(n, "_")
}

// gjsonPath writes a path for extract's gjson syntax, escaping the
// characters gjson reads as operators; keys it cannot express are refused.
func gjsonPath(p []string) (string, bool) {
	parts := make([]string, len(p))
	for i, k := range p {
		if k == "" || strings.TrimSpace(k) != k {
			return "", false
		}
		var b strings.Builder
		for _, c := range k {
			if strings.ContainsRune(`.*?|#@\!=<>%,:{}[]()"`, c) {
				b.WriteByte('\\')
			}
			b.WriteRune(c)
		}
		parts[i] = b.String()
	}
	return strings.Join(parts, "."), true
}

// jfield and jobject keep a JSON object's keys in the order written, so
// a recorded body reads as it was sent.
type jfield struct {
	k string
	v any
}
type jobject []jfield

// decodeOrdered decodes JSON into jobject, []any, string, json.Number,
// bool and nil, refusing nesting deeper than 64.
func decodeOrdered(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	v, err := readJSON(d, 0)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); err == nil {
		return nil, errors.New("text after the JSON value")
	}
	return v, nil
}

func readJSON(d *json.Decoder, depth int) (any, error) {
	if depth > 64 {
		return nil, errors.New("JSON nested deeper than 64")
	}
	t, err := d.Token()
	if err != nil {
		return nil, err
	}
	delim, ok := t.(json.Delim)
	if !ok {
		return t, nil
	}
	switch delim {
	case '{':
		var obj jobject
		for d.More() {
			kt, err := d.Token()
			if err != nil {
				return nil, err
			}
			k, _ := kt.(string)
			v, err := readJSON(d, depth+1)
			if err != nil {
				return nil, err
			}
			obj = append(obj, jfield{k, v})
		}
		_, err := d.Token()
		return obj, err
	case '[':
		arr := []any{}
		for d.More() {
			v, err := readJSON(d, depth+1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		_, err := d.Token()
		return arr, err
	}
	return nil, fmt.Errorf("unexpected %v", delim)
}

// leaves calls f for every string and number in a decoded value, with
// its path (keys and indexes).
func leaves(v any, p []string, f func(p []string, v string, number bool)) {
	switch v := v.(type) {
	case jobject:
		for _, fl := range v {
			leaves(fl.v, append(p[:len(p):len(p)], fl.k), f)
		}
	case []any:
		for i, x := range v {
			leaves(x, append(p[:len(p):len(p)], strconv.Itoa(i)), f)
		}
	case string:
		f(p, v, false)
	case json.Number:
		f(p, v.String(), true)
	}
}
