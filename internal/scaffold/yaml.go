package scaffold

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text that reaches a generated config comes from documents and recordings
// nobody checked: a summary with a newline, a response value holding
// `{{`, a property named "a: b". Each place it lands has one escape here:
// YAML scalars and keys, template text, and comments.

// plainSafe is what a YAML plain scalar may be and still read back as the
// same string in block context: no indicator first, no ": " or " #", no
// brackets, braces or quotes that a flow context would trip on.
var plainSafe = regexp.MustCompile(`^[A-Za-z_/.][A-Za-z0-9_./@()<>=%+:?&-]*( [A-Za-z0-9_./@()<>=%+:?&-]+)*$`)

// notPlainStrings are the words YAML reads as something other than a string.
var notPlainStrings = map[string]bool{
	"true": true, "false": true, "yes": true, "no": true, "on": true, "off": true,
	"y": true, "n": true, "null": true, "~": true, ".inf": true, "-.inf": true, "+.inf": true, ".nan": true,
}

// scalar writes s as a YAML string: plain when that reads back the same,
// else double-quoted with every character YAML could misread escaped, and
// `$` doubled, since loadgate expands ${NAME} in every scalar it reads.
func scalar(s string) string {
	return strings.ReplaceAll(yamlString(s), "$", "$$")
}

func yamlString(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if s != "" && plainSafe.MatchString(s) && !notPlainStrings[strings.ToLower(s)] && !looksNumeric(s) && !strings.HasPrefix(s, "...") &&
		!strings.Contains(s, ": ") && !strings.HasSuffix(s, ":") {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f || r == 0xfeff || (r >= 0x80 && !unicode.IsPrint(r)):
			if r > 0xffff {
				fmt.Fprintf(&b, `\U%08X`, r)
			} else {
				fmt.Fprintf(&b, `\u%04X`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// looksNumeric: YAML 1.1 and 1.2 readers would take s as a number
// (1, -2.5, .5, 1e3, 0x1F, 0o7, 1_000, 12:30 as sexagesimal).
func looksNumeric(s string) bool {
	t := strings.TrimLeft(s, "+-")
	if t == "" {
		return false
	}
	if t[0] >= '0' && t[0] <= '9' {
		return true
	}
	return t[0] == '.' && len(t) > 1 && t[1] >= '0' && t[1] <= '9'
}

// literal makes s a template that renders to exactly s: text without
// `{{` is already one; text with it becomes a single action printing a Go
// string constant, which the template engine leaves as it is.
func literal(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if !strings.Contains(s, "{{") {
		return s
	}
	return "{{ " + strconv.Quote(s) + " }}"
}

// goString is a Go template string constant: a raw string in backquotes
// where it can be (easier to read inside YAML's double quotes), else a
// quoted one.
func goString(s string) string {
	if !strings.ContainsAny(s, "`\r") && utf8.ValidString(s) && !hasControl(s) {
		return "`" + s + "`"
	}
	return strconv.Quote(s)
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}

// comment makes s one line of a YAML comment: no line breaks or control
// characters, and not so long that it buries the config. Leading spaces
// stay: they indent a commented-out example.
func comment(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029 || r == 0xfeff {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimRight(s, " ")
	if utf8.RuneCountInString(s) > 300 {
		s = string([]rune(s)[:297]) + "..."
	}
	return s
}

// wrap splits a comment into lines of about width characters at spaces,
// each continuation indented like the first line.
func wrap(s string, width int) []string {
	indent := s[:len(s)-len(strings.TrimLeft(s, " "))]
	words := strings.Fields(s)
	var out []string
	line := indent
	for _, w := range words {
		if len(line) > len(indent) && len(line)+1+len(w) > width {
			out = append(out, line)
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += w
	}
	return append(out, line)
}
