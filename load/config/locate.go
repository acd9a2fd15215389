package config

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// ypath is a path into the YAML document: string keys and int indices.
type Ypath []any

func (p Ypath) With(more ...any) Ypath {
	out := make(Ypath, 0, len(p)+len(more))
	return append(append(out, p...), more...)
}

// String renders the path as users write it: users[0].tasks[1].get
func (p Ypath) String() string {
	var b strings.Builder
	for _, e := range p {
		switch v := e.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", v)
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			fmt.Fprint(&b, v)
		}
	}
	return b.String()
}

// locator finds the line and column of a path in the parsed YAML so that
// semantic errors (found after decoding) still point into the file.
type Locator struct {
	File string
	body ast.Node
	src  []byte
}

func NewLocator(file string, src []byte) *Locator {
	l := &Locator{File: file, src: src}
	f, err := parser.ParseBytes(src, 0)
	if err == nil && len(f.Docs) > 0 {
		l.body = f.Docs[0].Body
	}
	return l
}

func unwrap(n ast.Node) ast.Node {
	for {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			n = v.Value
		default:
			return n
		}
	}
}

// pos returns the position of the deepest node on the path that exists: a
// missing key is reported at its parent.
func (l *Locator) pos(p Ypath) Pos {
	n := l.body
	best := Pos{1, 1}
	if n == nil {
		return best
	}
	if m, ok := unwrap(n).(*ast.MappingNode); ok && len(m.Values) > 0 {
		if t := m.Values[0].Key.GetToken(); t != nil {
			best = Pos{t.Position.Line, t.Position.Column}
		}
	} else if t := n.GetToken(); t != nil {
		best = Pos{t.Position.Line, t.Position.Column}
	}
	for _, e := range p {
		n = unwrap(n)
		var next ast.Node
		switch key := e.(type) {
		case string:
			if m, ok := n.(*ast.MappingNode); ok {
				for _, mv := range m.Values {
					if keyString(mv.Key) == key {
						next = mv.Value
						if t := mv.Key.GetToken(); t != nil {
							best = Pos{t.Position.Line, t.Position.Column}
						}
						break
					}
				}
			} else if mv, ok := n.(*ast.MappingValueNode); ok && keyString(mv.Key) == key {
				next = mv.Value
			}
		case int:
			if s, ok := n.(*ast.SequenceNode); ok && key < len(s.Values) {
				next = s.Values[key]
			}
		}
		if next == nil {
			return best
		}
		n = next
		if t := unwrap(n).GetToken(); t != nil && unwrap(n).Type() != ast.MappingType {
			best = Pos{t.Position.Line, t.Position.Column}
		}
	}
	return best
}

func keyString(k ast.MapKeyNode) string {
	if k == nil {
		return ""
	}
	if t := k.GetToken(); t != nil {
		return t.Value
	}
	return k.String()
}

// errAt makes a ConfigError located at path p.
func (l *Locator) ErrAt(p Ypath, format string, args ...any) *ConfigError {
	pos := l.pos(p)
	return &ConfigError{File: l.File, Line: pos.Line, Col: pos.Col, Field: p.String(), Msg: fmt.Sprintf(format, args...)}
}

// yamlError converts goccy/go-yaml's decode errors (which know their token)
// into a located ConfigError with a short message. Wrong types are normally
// caught first, in the user's terms, by checkShape; what reaches here is
// still told without Go's type names, and with the field when loc finds it.
func YamlError(file string, err error, loc *Locator) *ConfigError {
	var ye yaml.Error
	if !errors.As(err, &ye) {
		return &ConfigError{File: file, Msg: err.Error()}
	}
	msg := ye.GetMessage()
	t := ye.GetToken()
	if t == nil {
		return &ConfigError{File: file, Msg: msg}
	}
	ce := &ConfigError{File: file, Line: t.Position.Line, Col: t.Position.Column, Msg: msg}
	if loc != nil && unquotedTemplate(loc.src, t.Position.Line) {
		// {{ in a flow mapping or sequence is YAML syntax, not text.
		ce.Msg += `: a template in a YAML value must be quoted, e.g. get: "/items/{{ randInt 1 100 }}"`
		return ce
	}
	var (
		uf *yaml.UnknownFieldError
		te *yaml.TypeError
		ne *yaml.UnexpectedNodeTypeError
		oe *yaml.OverflowError
	)
	switch {
	case errors.As(err, &uf):
		ce.Msg = "unknown key " + strconv.Quote(t.Value) + suggestKey(t.Value)
		return ce
	case errors.As(err, &te):
		ce.Msg = fmt.Sprintf("wrong type: want %s, got %s", describeType(derefType(te.DstType)), describeToken(t))
	case errors.As(err, &ne):
		ce.Msg = fmt.Sprintf("wrong type: want %s, got %s", describeNodeType(ne.Expected), describeNodeType(ne.Actual))
	case errors.As(err, &oe):
		ce.Msg = fmt.Sprintf("%s is too large", oe.SrcNum)
	default:
		return ce
	}
	if loc != nil {
		if p, ok := loc.pathAt(t.Position.Line, t.Position.Column); ok {
			ce.Field = p.String()
		}
	}
	return ce
}

func derefType(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return reflect.TypeFor[any]()
	}
	return t
}

func describeToken(t *token.Token) string {
	if t.Type == token.StringType || t.Type == token.DoubleQuoteType || t.Type == token.SingleQuoteType {
		return strconv.Quote(t.Value)
	}
	return t.Value
}

func describeNodeType(nt ast.NodeType) string {
	switch nt {
	case ast.MappingType, ast.MappingValueType:
		return "a mapping (key: value)"
	case ast.SequenceType:
		return "a list"
	case ast.NullType:
		return "nothing"
	}
	return "a single value"
}

// pathAt finds the path of the value whose token starts at line:col.
func (l *Locator) pathAt(line, col int) (Ypath, bool) {
	var find func(n ast.Node, p Ypath) (Ypath, bool)
	find = func(n ast.Node, p Ypath) (Ypath, bool) {
		n = unwrap(n)
		if n == nil {
			return nil, false
		}
		if t := n.GetToken(); t != nil && t.Position.Line == line && t.Position.Column == col {
			return p, true
		}
		switch v := n.(type) {
		case *ast.MappingNode:
			for _, mv := range v.Values {
				if q, ok := find(mv, p); ok {
					return q, true
				}
			}
		case *ast.MappingValueNode:
			return find(v.Value, p.With(keyString(v.Key)))
		case *ast.SequenceNode:
			for i, e := range v.Values {
				if q, ok := find(e, p.With(i)); ok {
					return q, true
				}
			}
		}
		return nil, false
	}
	return find(l.body, Ypath{})
}

// unquotedTemplate reports whether line (1-based) of src holds a {{ that
// is not inside quotes: YAML reads it as the start of a flow mapping.
func unquotedTemplate(src []byte, line int) bool {
	lines := strings.Split(string(src), "\n")
	if line < 1 || line > len(lines) {
		return false
	}
	l := lines[line-1]
	var quote rune
	for i, c := range l {
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '#':
			return false
		case c == '{' && strings.HasPrefix(l[i:], "{{"):
			return true
		}
	}
	return false
}
