package config

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// checkShape walks the parsed YAML beside the raw* types and reports, for
// every field, a value of the wrong kind: a list where a mapping belongs,
// "many" or 2.7 where a whole number belongs. The decoder would either stop
// with a message in Go's terms (rawConfig.Load (int)) or, for 2.7 into an
// int, silently truncate; here the message names the field as the user
// wrote it (load.users, users[0].tasks[1].weight) and the value found.
//
// Unknown keys, aliases and merge keys are left to the decoder, which
// reports them (or resolves them) itself.
func checkShape(loc *Locator) []*ConfigError {
	s := &shapeChecker{loc: loc}
	s.check(loc.body, Ypath{}, reflect.TypeFor[RawConfig](), "")
	return s.errs
}

type shapeChecker struct {
	loc  *Locator
	errs []*ConfigError
}

func (s *shapeChecker) errf(n ast.Node, p Ypath, format string, args ...any) {
	pos := Pos{1, 1}
	if t := n.GetToken(); t != nil {
		pos = Pos{t.Position.Line, t.Position.Column}
	}
	s.errs = append(s.errs, &ConfigError{File: s.loc.File, Line: pos.Line, Col: pos.Col, Field: p.String(), Msg: fmt.Sprintf(format, args...)})
}

// check verifies node n against Go type t; want, when set, is how the
// field's struct tag describes the expected value ("a duration such as 10s").
func (s *shapeChecker) check(n ast.Node, p Ypath, t reflect.Type, want string) {
	n = unwrap(n)
	if n == nil {
		return
	}
	switch n.Type() {
	case ast.NullType, ast.AliasType:
		return // null is "not set"; an alias is checked where its anchor is
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if want == "" {
		want = describeType(t)
	}
	switch t.Kind() {
	case reflect.Interface:
		return
	case reflect.Struct:
		entries, ok := mappingEntries(n)
		if !ok {
			s.wrongType(n, p, want)
			return
		}
		fields := yamlFields(t)
		for _, mv := range entries {
			key := keyString(mv.Key)
			f, ok := fields[key]
			if !ok {
				continue // unknown key or merge key: the decoder reports or resolves it
			}
			s.check(mv.Value, p.With(key), f.Type, f.Tag.Get("want"))
		}
	case reflect.Map:
		entries, ok := mappingEntries(n)
		if !ok {
			s.wrongType(n, p, want)
			return
		}
		for _, mv := range entries {
			if mv.Key != nil && mv.Key.Type() == ast.MergeKeyType {
				continue
			}
			s.check(mv.Value, p.With(keyString(mv.Key)), t.Elem(), "")
		}
	case reflect.Slice:
		seq, ok := n.(*ast.SequenceNode)
		if !ok {
			s.wrongType(n, p, want)
			return
		}
		for i, v := range seq.Values {
			s.check(v, p.With(i), t.Elem(), "")
		}
	case reflect.String:
		if !isScalar(n) {
			s.wrongType(n, p, want)
		}
	case reflect.Int:
		f, text, ok := scalarNumber(n)
		switch {
		case !ok:
			s.wrongType(n, p, want)
		case math.IsNaN(f) || f != math.Trunc(f):
			s.errf(n, p, "must be a whole number, got %s", text)
		case f < math.MinInt32 || f > math.MaxInt32:
			s.errf(n, p, "%s is too large", text)
		}
	case reflect.Float64:
		if _, _, ok := scalarNumber(n); !ok {
			s.wrongType(n, p, want)
		}
	}
}

func (s *shapeChecker) wrongType(n ast.Node, p Ypath, want string) {
	s.errf(n, p, "wrong type: want %s, got %s", want, describeNode(n))
}

// mappingEntries returns the key-value pairs of a mapping node (goccy
// represents a one-pair mapping as a bare MappingValueNode).
func mappingEntries(n ast.Node) ([]*ast.MappingValueNode, bool) {
	switch m := n.(type) {
	case *ast.MappingNode:
		return m.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{m}, true
	}
	return nil, false
}

// yamlFields maps each yaml key of struct t to its field, through inlined
// embedded structs.
func yamlFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if opts == "inline" || (f.Anonymous && name == "") {
			for k, v := range yamlFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if name == "" || name == "-" {
			continue
		}
		out[name] = f
	}
	return out
}

func isScalar(n ast.Node) bool {
	switch n.Type() {
	case ast.MappingType, ast.MappingValueType, ast.SequenceType:
		return false
	}
	return true
}

// scalarNumber reads a number as the decoder would accept it: a YAML
// integer or float, or a quoted string holding one ("${USERS}" often is).
// text is the value as written, for messages.
func scalarNumber(n ast.Node) (f float64, text string, ok bool) {
	if t := n.GetToken(); t != nil {
		text = t.Value
	}
	switch v := n.(type) {
	case *ast.IntegerNode:
		switch x := v.Value.(type) {
		case int64:
			return float64(x), text, true
		case uint64:
			return float64(x), text, true
		}
	case *ast.FloatNode:
		return v.Value, text, true
	case *ast.InfinityNode:
		return v.Value, text, true
	case *ast.NanNode:
		return math.NaN(), text, true
	case *ast.StringNode:
		if f, err := strconv.ParseFloat(v.Value, 64); err == nil || errors.Is(err, strconv.ErrRange) {
			return f, v.Value, true
		}
	}
	return 0, text, false
}

// describeType says in YAML terms what a field of Go type t holds.
func describeType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int:
		return "a whole number"
	case reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping (key: value)"
	}
	return "another value"
}

// describeNode says in YAML terms what the user wrote.
func describeNode(n ast.Node) string {
	switch n.Type() {
	case ast.MappingType, ast.MappingValueType:
		return "a mapping"
	case ast.SequenceType:
		return "a list"
	case ast.StringType:
		return strconv.Quote(n.(*ast.StringNode).Value)
	case ast.LiteralType:
		return "a block of text"
	}
	if t := n.GetToken(); t != nil {
		return t.Value
	}
	return n.String()
}
