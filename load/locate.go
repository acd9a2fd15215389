package load

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// ypath is a path into the YAML document: string keys and int indices.
type ypath []any

func (p ypath) with(more ...any) ypath {
	out := make(ypath, 0, len(p)+len(more))
	return append(append(out, p...), more...)
}

// String renders the path as users write it: users[0].tasks[1].get
func (p ypath) String() string {
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
type locator struct {
	file string
	body ast.Node
}

func newLocator(file string, src []byte) *locator {
	l := &locator{file: file}
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
func (l *locator) pos(p ypath) Pos {
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
func (l *locator) errAt(p ypath, format string, args ...any) *ConfigError {
	pos := l.pos(p)
	return &ConfigError{File: l.file, Line: pos.Line, Col: pos.Col, Field: p.String(), Msg: fmt.Sprintf(format, args...)}
}

// yamlError converts goccy/go-yaml's decode errors (which know their token)
// into a located ConfigError with a short message.
func yamlError(file string, err error) error {
	var ye yaml.Error
	if errors.As(err, &ye) {
		msg := ye.GetMessage()
		if t := ye.GetToken(); t != nil {
			var uf *yaml.UnknownFieldError
			if errors.As(err, &uf) {
				msg = "unknown key " + strconv.Quote(t.Value)
			}
			var te *yaml.TypeError
			if errors.As(err, &te) {
				msg = "wrong type: " + friendlyType(msg)
			}
			return &ConfigError{File: file, Line: t.Position.Line, Col: t.Position.Column, Msg: msg}
		}
		return &ConfigError{File: file, Msg: msg}
	}
	return &ConfigError{File: file, Msg: err.Error()}
}

// friendlyType trims Go type names out of the decoder's message so users
// read "cannot unmarshal string into int" rather than struct internals.
func friendlyType(msg string) string {
	if i := strings.Index(msg, " of type "); i >= 0 {
		msg = msg[:i] + " (" + strings.TrimSpace(msg[i+9:]) + ")"
	}
	msg = strings.ReplaceAll(msg, "Go struct field ", "")
	return strings.ReplaceAll(msg, "load.", "")
}
