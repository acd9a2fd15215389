package scaffold

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/goccy/go-yaml"
)

var envRef = regexp.MustCompile("env `([A-Z0-9_]+)`")

// envNames are the environment variables a config's templates read.
func envNames(text []byte) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range envRef.FindAllSubmatch(text, -1) {
		if n := string(m[1]); !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// defaultTarget is where an app described by a file (not fetched from a
// server) is assumed to run, as the bare starter config assumes.
const defaultTarget = "http://127.0.0.1:8000"

// The methods a config can send, in the order tasks are written.
var methods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}

// operation is one method on one path, with the path's parameters and
// its own merged (its own win, as OpenAPI says).
type operation struct {
	method, path string
	op           *openapi3.Operation
	params       []*openapi3.Parameter
}

func (o operation) String() string { return o.method + " " + o.path }

// OpenAPI writes a config from an OpenAPI 3.0 or 3.1 document, or a
// Swagger 2 one, read from a file or fetched from a URL: one task per
// operation.
func OpenAPI(ctx context.Context, src string, o Options) (*Result, error) {
	limit := o.MaxBytes
	if limit <= 0 {
		limit = MaxDocumentBytes
	}
	data, err := read(ctx, src, limit, o.Client)
	if err != nil {
		return nil, err
	}
	return openAPIFrom(data, src, o)
}

// openAPIFrom converts a document's bytes; src is where they came from.
func openAPIFrom(data []byte, src string, o Options) (*Result, error) {
	doc, version, err := parseDocument(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", sourceName(src), err)
	}
	b := &builder{doc: doc, gen: newValueGen()}
	cfg, sum, err := b.build(src, version, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", sourceName(src), err)
	}
	// The variables the config reads credentials and keys from, named where
	// the user looks first.
	if envs := envNames(cfg.Emit()); len(envs) > 0 {
		cfg.Head = append(cfg.Head, "Set before running: "+strings.Join(envs, ", ")+" (read with env; never written here).")
		sum = append(sum, "  credentials and keys are read from the environment: "+strings.Join(envs, ", "))
	}
	return &Result{Config: cfg.Emit(), Summary: sum}, nil
}

// parseDocument reads a document in JSON or YAML; Swagger 2 is converted
// to OpenAPI 3. External $refs are not followed: init reads one document.
func parseDocument(data []byte) (*openapi3.T, string, error) {
	var head struct {
		Swagger string `json:"swagger" yaml:"swagger"`
		OpenAPI string `json:"openapi" yaml:"openapi"`
	}
	isJSON := len(bytes.TrimSpace(data)) > 0 && bytes.TrimSpace(data)[0] == '{'
	var err error
	if isJSON {
		err = json.Unmarshal(data, &head)
	} else {
		err = yaml.Unmarshal(data, &head)
	}
	if err != nil {
		return nil, "", fmt.Errorf("not an OpenAPI document (neither JSON nor YAML with an openapi or swagger field): %v", firstLine(err.Error()))
	}
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	switch {
	case strings.HasPrefix(head.Swagger, "2."):
		if !isJSON {
			if data, err = yaml.YAMLToJSON(data); err != nil {
				return nil, "", fmt.Errorf("reading Swagger %s: %v", head.Swagger, firstLine(err.Error()))
			}
		}
		var doc2 openapi2.T
		if err := json.Unmarshal(data, &doc2); err != nil {
			return nil, "", fmt.Errorf("reading Swagger %s: %v", head.Swagger, firstLine(err.Error()))
		}
		doc, err := openapi2conv.ToV3WithLoader(&doc2, loader, nil)
		if err != nil {
			return nil, "", fmt.Errorf("converting Swagger %s: %v", head.Swagger, firstLine(err.Error()))
		}
		return doc, "Swagger " + head.Swagger, nil
	case strings.HasPrefix(head.OpenAPI, "3."):
		doc, err := loader.LoadFromData(data)
		if err != nil {
			return nil, "", fmt.Errorf("reading OpenAPI %s: %v", head.OpenAPI, firstLine(err.Error()))
		}
		return doc, "OpenAPI " + head.OpenAPI, nil
	case head.Swagger != "" || head.OpenAPI != "":
		return nil, "", fmt.Errorf("OpenAPI version %q is not supported (2.0, 3.0 and 3.1 are)", head.Swagger+head.OpenAPI)
	}
	return nil, "", fmt.Errorf("not an OpenAPI document: no openapi or swagger field")
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// baseURL is target.url: --url; else the first server when it is
// absolute; else a relative server path (or none) on the host the
// document came from, or on defaultTarget for a file.
func baseURL(doc *openapi3.T, src, flagURL string) (string, string) {
	if flagURL != "" {
		return strings.TrimRight(flagURL, "/"), "target.url: --url"
	}
	host, from := defaultTarget, "the default address (the document is a file; give --url for another)"
	if isURL(src) {
		if u, err := url.Parse(src); err == nil {
			host, from = origin(u), "the host the document was fetched from"
		}
	}
	if len(doc.Servers) == 0 || doc.Servers[0] == nil {
		return host, "target.url: " + from
	}
	s := doc.Servers[0]
	raw := s.URL
	for name, v := range s.Variables {
		if v != nil {
			raw = strings.ReplaceAll(raw, "{"+name+"}", v.Default)
		}
	}
	if u, err := url.Parse(raw); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		return strings.TrimRight(raw, "/"), "target.url: the document's first server"
	}
	if strings.HasPrefix(raw, "/") && !strings.Contains(raw, "{") {
		return host + strings.TrimRight(raw, "/"), "target.url: the document's first server (" + raw + ") on " + from
	}
	return host, "target.url: " + from
}

// operations lists the document's operations by path, then in methods'
// order; other methods (OPTIONS, TRACE, QUERY) are returned as skipped.
func operations(doc *openapi3.T) (ops []operation, other []string) {
	if doc.Paths == nil {
		return nil, nil
	}
	m := doc.Paths.Map()
	paths := make([]string, 0, len(m))
	for p := range m {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		item := m[p]
		if item == nil {
			continue
		}
		byMethod := item.Operations()
		for _, meth := range methods {
			op := byMethod[meth]
			if op == nil {
				continue
			}
			ops = append(ops, operation{method: meth, path: p, op: op, params: mergeParams(item.Parameters, op.Parameters)})
		}
		for meth := range byMethod {
			if !contains(methods, meth) {
				other = append(other, meth+" "+p)
			}
		}
	}
	sort.Strings(other)
	return ops, other
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func mergeParams(path, op openapi3.Parameters) []*openapi3.Parameter {
	var out []*openapi3.Parameter
	seen := map[string]int{}
	for _, list := range []openapi3.Parameters{path, op} {
		for _, r := range list {
			if r == nil || r.Value == nil {
				continue
			}
			k := r.Value.In + "\x00" + r.Value.Name
			if i, ok := seen[k]; ok {
				out[i] = r.Value
				continue
			}
			seen[k] = len(out)
			out = append(out, r.Value)
		}
	}
	return out
}

// paramSchema is a parameter's schema, or that of its first content type.
func paramSchema(p *openapi3.Parameter) *openapi3.SchemaRef {
	if p.Schema != nil {
		return p.Schema
	}
	for _, k := range sortedKeys(p.Content) {
		if mt := p.Content[k]; mt != nil && mt.Schema != nil {
			return mt.Schema
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// taskName is a path with its {parameters} written [parameters], as the
// examples name endpoints; the method goes first when the path has more
// than one.
func taskName(o operation, shared bool) string {
	n := strings.NewReplacer("{", "[", "}", "]").Replace(o.path)
	if shared {
		return o.method + " " + n
	}
	return n
}

// weight: reads are the bulk of most traffic; writes are fewer.
func weight(method string) int {
	if method == "GET" || method == "HEAD" {
		return 3
	}
	return 1
}

// readyPath is an operation to poll for readiness in the start example:
// the first GET that needs no parameter.
func readyPath(ops []operation) string {
	for _, o := range ops {
		if o.method != "GET" || strings.Contains(o.path, "{") {
			continue
		}
		needs := false
		for _, p := range o.params {
			needs = needs || p.Required
		}
		if !needs {
			return o.path
		}
	}
	return "/"
}

// enableIfAllOff: a class whose only tasks are DELETEs would have nothing
// to run, so they run.
func enableIfAllOff(ts []Task) {
	for _, t := range ts {
		if !t.Off {
			return
		}
	}
	for i := range ts {
		ts[i].Off = false
	}
}
