package config

import (
	"fmt"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// Bounds on a config, so that a hostile or broken file (a pull request's)
// ends in a located exit 2 within milliseconds rather than exhausting
// memory: its size, how deeply it nests, and how far its aliases expand
// (a "billion laughs" of anchors that name each other).
const (
	MaxConfigBytes = 4 << 20
	MaxDepth       = 100
	MaxNodes       = 200_000
)

// checkDepth refuses text that nests deeper than MaxDepth, before any
// parser recurses into it: flow collections ([ and { outside quotes and
// comments) and block nesting (indentation, and compact "- - -"
// sequences). It scans the text once.
func checkDepth(file string, text []byte) error {
	depth, line, col := 0, 1, 0
	var quote byte
	lineStart := true
	indent := 0
	prev := byte('\n') // the last byte that is not a blank: quotes open only where a scalar starts
	for i := 0; i < len(text); i++ {
		c := text[i]
		col++
		if c == '\n' {
			line, col, lineStart, indent = line+1, 0, true, 0
			if quote == 0 {
				prev = '\n'
			}
			if quote == '\'' || quote == '"' {
				continue // quoted scalars may span lines
			}
			continue
		}
		if lineStart {
			switch c {
			case ' ':
				indent++
				if indent/2 > MaxDepth {
					return depthError(file, line, col)
				}
				continue
			case '-':
				if i+1 < len(text) && (text[i+1] == ' ' || text[i+1] == '\t') {
					indent += 2 // "- - x" nests like indentation
					if indent/2 > MaxDepth {
						return depthError(file, line, col)
					}
					i++
					col++
					continue
				}
			}
			lineStart = false
		}
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else if c == '\\' && quote == '"' {
				i++
				col++
			}
		case c == '#' && (i == 0 || text[i-1] == ' ' || text[i-1] == '\t' || text[i-1] == '\n'):
			for i+1 < len(text) && text[i+1] != '\n' {
				i++
			}
		case (c == '"' || c == '\'') && strings.IndexByte("\n:[{,-?", prev) >= 0:
			quote = c
		case c == '[' || c == '{':
			depth++
			if depth > MaxDepth {
				return depthError(file, line, col)
			}
		case c == ']' || c == '}':
			if depth > 0 {
				depth--
			}
		}
		if c != ' ' && c != '\t' {
			prev = c
		}
	}
	return nil
}

func depthError(file string, line, col int) error {
	return &ConfigError{File: file, Line: line, Col: col, Msg: fmt.Sprintf("the config nests deeper than %d levels here", MaxDepth)}
}

// checkExpansion refuses a document whose aliases would expand it past
// MaxNodes nodes. Each anchor's size is computed once, so the check costs
// one walk of the document as written.
func checkExpansion(l *Locator) error {
	if l.body == nil {
		return nil
	}
	anchors := map[string]int{}
	var size func(n ast.Node, depth int) int
	size = func(n ast.Node, depth int) int {
		if n == nil || depth > MaxDepth+1 {
			return 1
		}
		switch v := n.(type) {
		case *ast.AnchorNode:
			s := size(v.Value, depth+1)
			if v.Name != nil {
				anchors[v.Name.GetToken().Value] = s
			}
			return s
		case *ast.AliasNode:
			if v.Value != nil {
				if s, ok := anchors[strings.TrimPrefix(v.Value.GetToken().Value, "*")]; ok {
					return s
				}
			}
			return 1
		case *ast.TagNode:
			return size(v.Value, depth+1)
		case *ast.MappingNode:
			s := 1
			for _, mv := range v.Values {
				s += size(mv, depth+1)
				if s > MaxNodes {
					return s
				}
			}
			return s
		case *ast.MappingValueNode:
			return 1 + size(v.Key, depth+1) + size(v.Value, depth+1)
		case *ast.SequenceNode:
			s := 1
			for _, e := range v.Values {
				s += size(e, depth+1)
				if s > MaxNodes {
					return s
				}
			}
			return s
		}
		return 1
	}
	if n := size(l.body, 0); n > MaxNodes {
		return &ConfigError{File: l.File, Line: 1, Col: 1,
			Msg: fmt.Sprintf("the config expands to more than %d values through its aliases (*name); use fewer or smaller anchors", MaxNodes)}
	}
	return nil
}
