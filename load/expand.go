package load

import (
	"fmt"
	"os"
	"strings"
)

// ConfigError is a problem in a config (or artifact) file, located by line
// and column where the input has them. main turns it into exit code 2.
type ConfigError struct {
	File  string
	Line  int
	Col   int
	Field string // dotted YAML path, e.g. load.duration
	Msg   string
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(":")
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "%d:%d:", e.Line, e.Col)
	}
	if b.Len() > 0 {
		b.WriteString(" ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ExpandEnv replaces ${NAME} and ${NAME:-default} as docker compose does; $$
// is a literal $. An unset ${NAME} without a default is an error located at
// its line and column. Expansion happens on the raw text, before YAML parsing,
// so a variable can supply any scalar.
func ExpandEnv(file string, src []byte, getenv func(string) (string, bool)) ([]byte, error) {
	s := string(src)
	if !strings.Contains(s, "$") {
		return src, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
			continue
		case '{':
		default:
			b.WriteByte(c)
			continue
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			line, col := lineCol(s, i)
			return nil, &ConfigError{File: file, Line: line, Col: col, Msg: "unterminated ${ in variable reference"}
		}
		expr := s[i+2 : i+end]
		name, def, hasDef := strings.Cut(expr, ":-")
		if !validEnvName(name) {
			line, col := lineCol(s, i)
			return nil, &ConfigError{File: file, Line: line, Col: col, Msg: fmt.Sprintf("invalid variable name %q in ${%s}", name, expr)}
		}
		v, ok := getenv(name)
		switch {
		case ok && (v != "" || !hasDef):
			b.WriteString(v)
		case hasDef:
			b.WriteString(def)
		default:
			line, col := lineCol(s, i)
			return nil, &ConfigError{File: file, Line: line, Col: col,
				Msg: fmt.Sprintf("environment variable %s is not set (use ${%s:-default} for a default)", name, name)}
		}
		i += end
	}
	return []byte(b.String()), nil
}

func validEnvName(n string) bool {
	if n == "" {
		return false
	}
	for i, r := range n {
		if r == '_' || (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z') || (i > 0 && r >= '0' && r <= '9') {
			continue
		}
		return false
	}
	return true
}

// lineCol converts a byte offset to 1-based line and column.
func lineCol(s string, off int) (int, int) {
	line := 1 + strings.Count(s[:off], "\n")
	col := off - strings.LastIndexByte(s[:off], '\n')
	return line, col
}

// LookupEnv is os.LookupEnv, named so callers can inject their own.
func LookupEnv(name string) (string, bool) { return os.LookupEnv(name) }
