package config

import (
	"fmt"
	"os"
	"strconv"
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
// is a literal $ (so $${NAME} is the text ${NAME}). It returns YAML text whose
// parsed values are the file's values with the variables substituted
// literally: a value is never read as YAML syntax, whatever its bytes and
// whatever the quoting around the reference, and references in comments are
// left alone. A plain scalar stays plain where the value allows it, so
// "users: ${USERS}" still decodes as a number. An unset ${NAME} without a
// default is an error located at its line and column. Lines never move;
// columns after a substitution on the same line may.
func ExpandEnv(file string, src []byte, getenv func(string) (string, bool)) ([]byte, error) {
	s := string(src)
	if !strings.Contains(s, "${") && !strings.Contains(s, "$$") {
		return src, nil
	}
	// The YAML reader turns invalid UTF-8 into U+FFFD; doing it first keeps
	// the tokens' text equal to this text.
	x := &expander{file: file, src: strings.ToValidUTF8(s, "\uFFFD"), getenv: getenv}
	x.mask()
	out, err := x.substitute()
	if err != nil {
		return nil, err
	}
	return []byte(out), nil
}

// envRef is one $-reference of the raw text.
type envRef struct {
	off     int    // byte offset in the raw text, for errors
	text    string // as written; put back where nothing is expanded (comments)
	name    string
	def     string
	hasDef  bool
	literal bool   // $$ or $${...}: the text after the first $
	err     string // a malformed reference fails only where it is used
}

type expander struct {
	file   string
	src    string // the raw text
	getenv func(string) (string, bool)
	refs   []envRef
	mark   string // marker prefix; absent from src
	masked string // src with every reference replaced by mark+index+"Z"
}

// mask replaces each reference with an alphanumeric marker before the YAML
// is tokenized: a marker cannot change how the text tokenizes, where
// "${A:-x, y}" inside a flow mapping would, and it survives in the decoded
// value of any scalar style, so the value can be substituted after parsing.
func (x *expander) mask() {
	s := x.src
	x.mark = "lgEnvQ"
	for strings.Contains(s, x.mark) {
		x.mark += "Q"
	}
	var b strings.Builder
	last := 0
	for i := 0; i+1 < len(s); i++ {
		if s[i] != '$' || (s[i+1] != '$' && s[i+1] != '{') {
			continue
		}
		r := envRef{off: i}
		// The reference ends at the first } on its line: a stray ${ in a
		// comment must not swallow the lines after it.
		body := i + 1
		if s[i+1] == '$' {
			r.literal = true
			body = i + 2
		}
		end := i + 2
		if body < len(s) && s[body] == '{' {
			nl := strings.IndexByte(s[body:], '\n')
			if nl < 0 {
				nl = len(s) - body
			}
			if c := strings.IndexByte(s[body:body+nl], '}'); c >= 0 {
				end = body + c + 1
			} else if !r.literal {
				end, r.err = body+nl, "unterminated ${ in variable reference"
			}
		}
		r.text = s[i:end]
		if !r.literal && r.err == "" {
			expr := s[i+2 : end-1]
			r.name, r.def, r.hasDef = strings.Cut(expr, ":-")
			if !ValidEnvName(r.name) {
				r.err = fmt.Sprintf("invalid variable name %q in ${%s}", r.name, expr)
			}
		}
		b.WriteString(s[last:i])
		fmt.Fprintf(&b, "%s%dZ", x.mark, len(x.refs))
		x.refs = append(x.refs, r)
		last, i = end, end-1
	}
	b.WriteString(s[last:])
	x.masked = b.String()
}

// value resolves one reference.
func (x *expander) value(r *envRef) (string, error) {
	if r.literal {
		return r.text[1:], nil
	}
	if r.err == "" {
		v, ok := x.getenv(r.name)
		switch {
		case ok && (v != "" || !r.hasDef):
			return v, nil
		case r.hasDef:
			return r.def, nil
		}
		r.err = fmt.Sprintf("environment variable %s is not set (use ${%s:-default} for a default)", r.name, r.name)
	}
	line, col := lineCol(x.src, r.off)
	return "", &ConfigError{File: x.file, Line: line, Col: col, Msg: r.err}
}

// replace calls f for each marker in s and puts its result in place.
func (x *expander) replace(s string, f func(r *envRef) (string, error)) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(s, x.mark)
		if i < 0 {
			break
		}
		j := i + len(x.mark)
		k := j
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		n, err := strconv.Atoi(s[j:k])
		if err != nil || k >= len(s) || s[k] != 'Z' || n >= len(x.refs) {
			b.WriteString(s[:j]) // not one of ours (a YAML escape can spell anything)
			s = s[j:]
			continue
		}
		v, err := f(&x.refs[n])
		if err != nil {
			return "", err
		}
		b.WriteString(s[:i])
		b.WriteString(v)
		s = s[k+1:]
	}
	b.WriteString(s)
	return b.String(), nil
}

func (x *expander) restore(s string) string {
	out, _ := x.replace(s, func(r *envRef) (string, error) { return r.text, nil })
	return out
}

func (x *expander) expand(s string) (string, error) { return x.replace(s, x.value) }

func ValidEnvName(n string) bool {
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
