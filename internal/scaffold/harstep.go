package scaffold

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Headers a browser adds on its own, which loadgate sends itself or which
// would make every user look like the one recording: never copied.
var browserHeaders = map[string]bool{
	"accept": true, "accept-encoding": true, "accept-language": true, "cache-control": true, "connection": true,
	"content-length": true, "cookie": true, "dnt": true, "host": true, "keep-alive": true, "origin": true,
	"pragma": true, "priority": true, "referer": true, "te": true, "trailer": true, "transfer-encoding": true,
	"upgrade": true, "upgrade-insecure-requests": true, "user-agent": true, "via": true, "x-client-data": true,
	"purpose": true, "range": true, "early-data": true, "save-data": true, "device-memory": true, "downlink": true,
	"dpr": true, "ect": true, "rtt": true, "viewport-width": true, "width": true, "traceparent": true,
	"tracestate": true, "baggage": true, "proxy-authorization": true, "proxy-connection": true, "content-type": true,
}

func browserHeader(name string) bool {
	return browserHeaders[name] || strings.HasPrefix(name, "sec-") || strings.HasPrefix(name, "accept-") ||
		strings.HasPrefix(name, "if-") || strings.HasPrefix(name, "x-forwarded-") || strings.HasPrefix(name, ":")
}

// secretHeader: a header that carries a credential, whose recorded value
// must not reach a file that is committed and shared.
func secretHeader(name string) bool {
	return name == "authorization" || secretName(name) || strings.Contains(name, "csrf") || strings.Contains(name, "xsrf")
}

// step turns a kept request into a step: its path, query, app headers and
// body, with answered values templated and credentials left out.
func (c *harConv) step(e *harEntry, u *url.URL) (Step, string) {
	st := Step{Method: strings.ToUpper(e.Request.Method)}
	var name string
	st.Path, name = c.path(u)
	st.Query = c.query(u, &st.Path)
	st.Name = st.Method + " " + name
	st.Headers = c.headers(e)
	if why := c.body(e, &st); why != "" {
		return st, why
	}
	st.Comment = []string{fmt.Sprintf("recorded: %d in %s", e.Response.Status, ms(e.Time))}
	return st, ""
}

func ms(f float64) string {
	if f < 0 {
		return "?"
	}
	return strconv.FormatFloat(f, 'f', 0, 64) + " ms"
}

// path is the request's path relative to target.url (below its path, if
// --url has one), each segment the app answered earlier templated, and its
// statistics name with those segments written [name].
func (c *harConv) path(u *url.URL) (string, string) {
	rel := u.EscapedPath()
	if prefix := strings.TrimRight(c.target.Path, "/"); prefix != "" && strings.HasPrefix(rel, prefix+"/") {
		rel = rel[len(prefix):]
	}
	if rel == "" {
		rel = "/"
	}
	if s := c.reuse.lookup(rel); s != nil { // a Location, followed as it is
		return "{{ ." + s.name + " }}", "[" + s.name + "]"
	}
	segs := strings.Split(rel, "/")
	tmpl, name := make([]string, len(segs)), make([]string, len(segs))
	for i, seg := range segs {
		tmpl[i], name[i] = literal(seg), seg
		if d, err := url.PathUnescape(seg); err == nil && d != "" {
			if s := c.reuse.lookup(d); s != nil {
				tmpl[i], name[i] = "{{ ."+s.name+" }}", "["+s.name+"]"
			}
		}
	}
	return strings.Join(tmpl, "/"), strings.Join(name, "/")
}

// query keeps the parameters in recorded order as a query mapping; a
// query that repeats a name (which a mapping cannot hold) stays in the
// path as recorded.
func (c *harConv) query(u *url.URL, path *string) []Field {
	if u.RawQuery == "" {
		return nil
	}
	var out []Field
	seen := map[string]bool{}
	for _, kv := range strings.Split(u.RawQuery, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		dk, err1 := url.QueryUnescape(k)
		dv, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil || seen[dk] {
			*path += "?" + literal(u.RawQuery)
			return nil
		}
		seen[dk] = true
		out = append(out, Field{Key: dk, Val: c.text(dk, dv)})
	}
	return out
}

// text is a recorded string value: the app's answer templated, a
// credential read from the environment, anything else as recorded.
func (c *harConv) text(key, v string) Value {
	if s := c.reuse.lookup(v); s != nil {
		return Tmpl("{{ ." + s.name + " }}")
	}
	if secretName(key) || nameKind(key) == "password" {
		return c.env(key)
	}
	return Lit(v)
}

// env is the environment variable a recorded credential is read from; the
// recorded value is not copied.
func (c *harConv) env(key string) Value {
	name := envName(key)
	if nameKind(key) == "password" {
		name = envPassword
	}
	c.envs[name] = true
	return Tmpl("{{ env `" + name + "` `` }}")
}

// headers keeps the app's own headers; an answered token in one (such as
// Authorization: Bearer <token from the login>) is templated, any other
// credential dropped, and the browser's own headers left out.
func (c *harConv) headers(e *harEntry) []Field {
	var out []Field
	seen := map[string]bool{}
	for _, h := range e.Request.Headers {
		name := strings.ToLower(h.Name)
		if seen[name] || name == "cookie" || name == "content-type" || strings.HasPrefix(name, ":") {
			continue
		}
		seen[name] = true
		if s := c.reuse.lookup(h.Value); s != nil {
			out = append(out, Field{Key: h.Name, Val: Tmpl("{{ ." + s.name + " }}")})
			continue
		}
		if scheme, rest, ok := strings.Cut(h.Value, " "); ok && !strings.Contains(scheme, "{{") {
			if s := c.reuse.lookup(rest); s != nil {
				out = append(out, Field{Key: h.Name, Val: Tmpl(scheme + " {{ ." + s.name + " }}")})
				continue
			}
		}
		switch {
		case secretHeader(name):
			c.dropped[h.Name] = true
		case browserHeader(name):
		default:
			out = append(out, Field{Key: h.Name, Val: Lit(h.Value)})
		}
	}
	return out
}

// body reproduces the recorded body: JSON (keys in recorded order), a
// form, or text with its content type. A multipart or binary body cannot
// be written in a config, so the request is left out.
func (c *harConv) body(e *harEntry, st *Step) string {
	pd := e.Request.PostData
	if pd == nil || (pd.Text == "" && len(pd.Params) == 0) {
		return ""
	}
	mime := strings.ToLower(pd.MimeType)
	switch {
	case strings.HasPrefix(mime, "multipart/"):
		return "multipart body (init cannot write one)"
	case isJSONText(mime, pd.Text):
		node, err := decodeOrdered([]byte(pd.Text))
		if err != nil {
			return "JSON body nested too deep"
		}
		st.JSON = c.jsonValue(node, "")
	case strings.HasPrefix(mime, "application/x-www-form-urlencoded"):
		params := pd.Params
		if len(params) == 0 {
			for _, kv := range strings.Split(pd.Text, "&") {
				k, v, _ := strings.Cut(kv, "=")
				dk, err1 := url.QueryUnescape(k)
				dv, err2 := url.QueryUnescape(v)
				if err1 != nil || err2 != nil {
					return "form body that does not decode"
				}
				if kv != "" {
					params = append(params, harNV{dk, dv})
				}
			}
		}
		for _, p := range params {
			st.Form = append(st.Form, Field{Key: p.Name, Val: c.text(p.Name, p.Value)})
		}
		if len(st.Form) == 0 {
			empty := ""
			st.Body = &empty
		}
	default:
		if !utf8.ValidString(pd.Text) {
			return "binary body (init cannot write one)"
		}
		body := text(c.text("", pd.Text))
		st.Body = &body
		ct := pd.MimeType
		if ct == "" {
			ct = "text/plain"
		}
		st.Headers = append(st.Headers, Field{Key: "Content-Type", Val: Lit(ct)})
	}
	return ""
}

// jsonValue converts a recorded JSON value; key is the field it is in.
// A string the app answered as a number is sent as the string it was.
func (c *harConv) jsonValue(v any, key string) Value {
	switch v := v.(type) {
	case jobject:
		out := Obj{}
		for _, f := range v {
			out = append(out, Field{Key: f.k, Val: c.jsonValue(f.v, f.k)})
		}
		return out
	case []any:
		out := Arr{}
		for _, x := range v {
			out = append(out, c.jsonValue(x, key))
		}
		return out
	case string:
		if s := c.reuse.lookup(v); s != nil && s.number {
			return Tmpl("{{ printf `%v` ." + s.name + " }}")
		}
		return c.text(key, v)
	case json.Number:
		if s := c.reuse.lookup(v.String()); s != nil && s.number {
			return Tmpl("{{ ." + s.name + " }}")
		}
		if yamlNumber(v.String()) {
			return Raw(v.String())
		}
		return Lit(v.String())
	case bool:
		return Raw(strconv.FormatBool(v))
	}
	return Null{}
}

// yamlNumber: a JSON number YAML reads back as the same number.
func yamlNumber(s string) bool {
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return true
	}
	if _, err := strconv.ParseUint(s, 10, 64); err == nil {
		return true
	}
	f, err := strconv.ParseFloat(s, 64)
	return err == nil && strings.ContainsAny(s, ".eE") && f == f && f < 1e300 && f > -1e300
}
