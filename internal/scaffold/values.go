package scaffold

import (
	"fmt"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Values fit a schema well enough that the app accepts them: in range,
// one of an enum, of the declared format, and, for a field whose name says
// what it holds (email, first_name, city), fake data of that kind. They
// are templates, so every request sends another one.

// Where a value goes decides what it may contain: a path segment must need
// no escaping (loadgate refuses a space in a path rather than guess), a
// query or header value is any text, a JSON value keeps its type.
type place int

const (
	inJSON place = iota
	inPath
	inText // query, header, form
)

const (
	maxDepth = 6  // nested objects and arrays below a body
	maxProps = 30 // properties of one object; an API's big objects stay readable
)

// valueGen turns schemas into values. seen holds the schemas on the way
// down, so a schema that contains itself ends instead of recursing.
type valueGen struct {
	seen map[*openapi3.Schema]bool
}

func newValueGen() *valueGen { return &valueGen{seen: map[*openapi3.Schema]bool{}} }

// value is a value for a field or parameter named name; ok is false when
// the schema leaves nothing to send (a cycle, a binary string).
func (g *valueGen) value(ref *openapi3.SchemaRef, name string, at place, depth int) (Value, bool) {
	s := schemaOf(ref)
	if s == nil {
		return g.scalar(&openapi3.Schema{}, "", name, at), true
	}
	if g.seen[s] || depth > maxDepth {
		return nil, false
	}
	g.seen[s] = true
	defer delete(g.seen, s)

	if v, ok := fixed(s, at); ok {
		return v, true
	}
	if len(s.AllOf) > 0 {
		s = merged(s)
	}
	for _, alts := range []openapi3.SchemaRefs{s.OneOf, s.AnyOf} {
		if alt := firstChoice(alts); alt != nil {
			return g.value(alt, name, at, depth+1)
		}
	}
	switch typ := typeOf(s); typ {
	case "object":
		if at != inJSON {
			return Lit("{}"), true
		}
		return g.object(s, depth), true
	case "array":
		if s.Items == nil {
			return Arr{}, true
		}
		if at != inJSON { // a query array: one item, as `?tags=x`
			return g.value(s.Items, name, at, depth+1)
		}
		n := int(min(max(s.MinItems, 1), 5))
		var out Arr
		for range n {
			v, ok := g.value(s.Items, singular(name), at, depth+1)
			if !ok {
				return Arr{}, true
			}
			out = append(out, v)
		}
		return out, true
	case "null":
		return Null{}, true
	default:
		return g.scalar(s, typ, name, at), true
	}
}

func schemaOf(ref *openapi3.SchemaRef) *openapi3.Schema {
	if ref == nil {
		return nil
	}
	return ref.Value
}

// typeOf is the schema's type; of a 3.1 list (`[string, "null"]`) the
// first that is not null; without one, what its keywords imply.
func typeOf(s *openapi3.Schema) string {
	if s.Type != nil {
		for _, t := range s.Type.Slice() {
			if t != "null" {
				return t
			}
		}
		if s.Type.Includes("null") {
			return "null"
		}
	}
	switch {
	case len(s.Properties) > 0 || s.AdditionalProperties.Schema != nil:
		return "object"
	case s.Items != nil:
		return "array"
	case s.Min != nil || s.Max != nil:
		return "number"
	}
	return "string"
}

// fixed: a const, or an enum (one value, or pick among them).
func fixed(s *openapi3.Schema, at place) (Value, bool) {
	if s.Const != nil {
		return constant(s.Const, at)
	}
	var vals []any
	for _, v := range s.Enum {
		if v != nil {
			vals = append(vals, v)
		}
	}
	switch {
	case len(vals) == 0:
		return nil, false
	case len(vals) == 1:
		return constant(vals[0], at)
	}
	if len(vals) > 64 { // pick takes at most 64
		vals = vals[:64]
	}
	args := make([]string, 0, len(vals))
	for _, v := range vals {
		switch v := v.(type) {
		case string:
			if at == inPath {
				v = url.PathEscape(v)
			}
			args = append(args, goString(v))
		case float64:
			args = append(args, number(v))
		case bool:
			args = append(args, strconv.FormatBool(v))
		default:
			return nil, false // objects in an enum: left to the type
		}
	}
	return Tmpl("{{ pick " + strings.Join(args, " ") + " }}"), true
}

func constant(v any, at place) (Value, bool) {
	switch v := v.(type) {
	case string:
		if at == inPath {
			v = url.PathEscape(v)
		}
		return Lit(v), true
	case float64:
		return Raw(number(v)), true
	case bool:
		return Raw(strconv.FormatBool(v)), true
	}
	return nil, false
}

// number writes a JSON number as YAML reads it back: whole numbers
// without a decimal point or exponent.
func number(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1<<63 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// merged folds allOf into one schema: properties and required lists
// joined, the first type and bounds found kept.
func merged(s *openapi3.Schema) *openapi3.Schema {
	out := *s
	out.AllOf = nil
	out.Properties = openapi3.Schemas{}
	for k, v := range s.Properties {
		out.Properties[k] = v
	}
	for _, part := range s.AllOf {
		p := schemaOf(part)
		if p == nil {
			continue
		}
		if len(p.AllOf) > 0 {
			p = merged(p)
		}
		for k, v := range p.Properties {
			if _, ok := out.Properties[k]; !ok {
				out.Properties[k] = v
			}
		}
		out.Required = append(out.Required, p.Required...)
		if out.Type == nil || out.Type.IsEmpty() {
			out.Type = p.Type
		}
		if out.Format == "" {
			out.Format = p.Format
		}
		if out.Enum == nil {
			out.Enum = p.Enum
		}
		if out.Items == nil {
			out.Items = p.Items
		}
		if out.AdditionalProperties.Schema == nil {
			out.AdditionalProperties = p.AdditionalProperties
		}
		if out.OneOf == nil && out.AnyOf == nil {
			out.OneOf, out.AnyOf = p.OneOf, p.AnyOf
		}
	}
	if len(out.Properties) == 0 {
		out.Properties = nil
	}
	return &out
}

// firstChoice is oneOf's or anyOf's first alternative that is not null.
func firstChoice(alts openapi3.SchemaRefs) *openapi3.SchemaRef {
	for _, a := range alts {
		if s := schemaOf(a); s != nil && !(s.Type != nil && s.Type.Is("null")) {
			return a
		}
	}
	return nil
}

// object: required properties first, then the others (not readOnly ones,
// which the server sets), each in name order.
func (g *valueGen) object(s *openapi3.Schema, depth int) Value {
	req := map[string]bool{}
	for _, r := range s.Required {
		req[r] = true
	}
	names := make([]string, 0, len(s.Properties))
	for k := range s.Properties {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		if req[names[i]] != req[names[j]] {
			return req[names[i]]
		}
		return names[i] < names[j]
	})
	out := Obj{}
	for _, k := range names {
		p := schemaOf(s.Properties[k])
		if p != nil && p.ReadOnly && !req[k] {
			continue
		}
		if len(out) >= maxProps && !req[k] {
			continue
		}
		v, ok := g.value(s.Properties[k], k, inJSON, depth+1)
		if !ok {
			if !req[k] {
				continue
			}
			v = emptyOf(p)
		}
		out = append(out, Field{Key: k, Val: v})
	}
	if len(out) == 0 && s.AdditionalProperties.Schema != nil {
		if v, ok := g.value(s.AdditionalProperties.Schema, "", inJSON, depth+1); ok {
			out = append(out, Field{Key: "key", Val: v})
		}
	}
	return out
}

// emptyOf stands for a required value the generator cannot nest further.
func emptyOf(s *openapi3.Schema) Value {
	if s != nil && typeOf(s) == "array" {
		return Arr{}
	}
	return Obj{}
}

// singular names an array's item after the array (emails → email), so
// the item gets the same fake data kind.
func singular(name string) string {
	switch {
	case strings.HasSuffix(name, "ies"):
		return strings.TrimSuffix(name, "ies") + "y"
	case strings.HasSuffix(name, "ses"):
		return strings.TrimSuffix(name, "es")
	case strings.HasSuffix(name, "s"):
		return strings.TrimSuffix(name, "s")
	}
	return name
}

// scalar: a number in range, a boolean, or a string of the declared
// format, of the kind its name suggests, within its length bounds.
func (g *valueGen) scalar(s *openapi3.Schema, typ, name string, at place) Value {
	switch typ {
	case "integer":
		lo, hi := bounds(s, true)
		return Tmpl(fmt.Sprintf("{{ randInt %s %s }}", number(lo), number(hi)))
	case "number":
		lo, hi := bounds(s, false)
		return Tmpl(fmt.Sprintf("{{ randFloat %s %s 2 }}", number(lo), number(hi)))
	case "boolean":
		return Tmpl("{{ pick true false }}")
	}
	return stringValue(s, name, at)
}

// bounds are the range a number is drawn from: the schema's, or 1 to 100
// where it sets none, kept 99 wide from a single bound.
func bounds(s *openapi3.Schema, whole bool) (float64, float64) {
	lo, hi := 1.0, 100.0
	hasLo, hasHi := s.Min != nil, s.Max != nil
	if hasLo {
		lo = *s.Min
	}
	if hasHi {
		hi = *s.Max
	}
	if v := s.ExclusiveMin.Value; v != nil {
		lo, hasLo = *v, true
	}
	if v := s.ExclusiveMax.Value; v != nil {
		hi, hasHi = *v, true
	}
	step := 0.01
	if whole {
		step = 1
	}
	if s.ExclusiveMin.IsTrue() || s.ExclusiveMin.Value != nil {
		lo += step
	}
	if s.ExclusiveMax.IsTrue() || s.ExclusiveMax.Value != nil {
		hi -= step
	}
	switch {
	case hasLo && !hasHi:
		hi = lo + 99
	case hasHi && !hasLo && hi < lo:
		lo = hi - 99
	}
	if whole {
		lo, hi = math.Ceil(lo), math.Floor(hi)
	}
	const limit = 1 << 53 // beyond it a YAML or JSON reader loses digits
	clamp := func(f float64) float64 { return math.Max(-limit, math.Min(f, limit)) }
	lo, hi = clamp(lo), clamp(hi)
	if hi < lo {
		hi = lo
	}
	return lo, hi
}
