package config

// The YAML side of ExpandEnv: which scalar each reference is in, and how its
// value is written there so that the parser reads it back literally.

import (
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/scanner"
	"github.com/goccy/go-yaml/token"
)

const ws = " \t\r\n"

// substitute tokenizes the masked text and rebuilds it token by token. A
// scalar holding markers gets its values in place where its style can hold
// them literally, else it is re-quoted as one double-quoted scalar, followed
// by the line breaks it covered so that later lines keep their numbers.
func (x *expander) substitute() (string, error) {
	m := x.masked
	var sc scanner.Scanner
	sc.Init(m)
	var toks token.Tokens
	for {
		ts, err := sc.Scan()
		toks = append(toks, ts...)
		if err != nil {
			break // io.EOF, or a syntax error the parser will report
		}
	}
	var b strings.Builder
	cur, flow, lost := 0, 0, false
	content := -1 // index of a block scalar's content, re-quoted with its header
	for i, t := range toks {
		if t.Type == token.InvalidType {
			break
		}
		// The scanner's Origin may differ from the text in white space and
		// lacks the text of \x and \u escapes, so white space is matched
		// loosely and a quoted scalar's end is found here.
		quoted := t.Type == token.DoubleQuoteType || t.Type == token.SingleQuoteType
		start := len(m) - len(strings.TrimLeft(m[cur:], ws))
		end := quoteEnd(m, start)
		if !quoted {
			end = matchLoose(m, start, strings.TrimLeft(t.Origin, ws))
		}
		if end < 0 {
			// Seen only after text the scanner drops from invalid YAML; the
			// rest is then expanded as raw text, as before.
			lost = true
			break
		}
		text := m[start:end]
		oneLine := !strings.ContainsAny(text, "\r\n")
		out, err := m[cur:end], error(nil)
		switch {
		case !strings.Contains(out, x.mark):
		case t.Type == token.CommentType:
			out = x.restore(out)
		case i == content:
			out = skeleton(out)
		case oneLine && (t.Type == token.DoubleQuoteType || t.Type == token.SingleQuoteType && x.all(text, sqSafe)):
			out, err = x.replace(out, func(r *envRef) (string, error) {
				v, err := x.value(r)
				if t.Type == token.SingleQuoteType {
					return strings.ReplaceAll(v, "'", "''"), err
				}
				return dqEscape(v), err
			})
		case quoted:
			// Line folding would drop a value's spaces at a line's edge.
			out, err = x.requote(m[cur:start], t.Value, text, "")
		case t.Type == token.StringType && (i == 0 || toks[i-1].Type != token.AnchorType && toks[i-1].Type != token.AliasType):
			plain := strings.TrimRight(text, ws)
			key := i+1 < len(toks) && toks[i+1].Type == token.MappingValueType
			var v string
			if v, err = x.expand(plain); err == nil && plain == t.Value && !strings.ContainsAny(plain, "\r\n") &&
				x.all(plain, func(v string) bool { return plainSafe(v, flow > 0) }) && plainOK(v, flow > 0, key) {
				out = m[cur:start] + v + text[len(plain):]
			} else if err == nil {
				out, err = x.requote(m[cur:start], t.Value, plain, text[len(plain):])
			}
		default:
			out, err = x.expand(out) // anchor, alias or tag names, like any name: as written
		}
		if (t.Type == token.LiteralType || t.Type == token.FoldedType) && err == nil {
			out, err = x.block(toks, i, m[cur:start], text, &content)
		}
		if err != nil {
			return "", err
		}
		b.WriteString(out)
		cur = end
		switch t.Type {
		case token.MappingStartType, token.SequenceStartType:
			flow++
		case token.MappingEndType, token.SequenceEndType:
			flow--
		}
	}
	// After a syntax error the text is put back as written, for the parser
	// to report; after a lost position it is expanded as raw text.
	rest := x.restore(m[cur:])
	if lost {
		var err error
		if rest, err = x.expand(m[cur:]); err != nil {
			return "", err
		}
	}
	return b.String() + rest, nil
}

// block re-quotes a | or > scalar whose content holds markers: the
// double-quoted value replaces the header, the content leaves only its line
// breaks. Keeping it a block scalar would let a value's newlines and leading
// spaces change the indentation and folding.
func (x *expander) block(toks token.Tokens, i int, lead, header string, content *int) (string, error) {
	j := i + 1
	for j < len(toks) && toks[j].Type == token.CommentType {
		j++
	}
	if j == len(toks) || toks[j].Type != token.StringType || !strings.Contains(toks[j].Value, x.mark) {
		return lead + header, nil
	}
	*content = j
	h := strings.TrimRight(header, ws)
	return x.requote(lead, toks[j].Value, h, header[len(h):])
}

// requote writes value, with its markers substituted, as a double-quoted
// scalar in place of text, keeping text's line breaks and the last line's
// indentation after it.
func (x *expander) requote(lead, value, text, trail string) (string, error) {
	v, err := x.expand(value)
	if err != nil {
		return "", err
	}
	return lead + `"` + dqEscape(v) + `"` + skeleton(text) + trail, nil
}

// all reports whether every marker in s resolves to a value ok accepts.
// Resolution errors are left for the substitution to report.
func (x *expander) all(s string, ok func(string) bool) bool {
	good := true
	_, _ = x.replace(s, func(r *envRef) (string, error) {
		v, err := x.value(r)
		good = good && (err != nil || ok(v))
		return "", nil
	})
	return good
}

// matchLoose returns the offset in s after org matched from s[i], where
// white space in either need not be in the other, or -1.
func matchLoose(s string, i int, org string) int {
	for j := 0; j < len(org); j++ {
		if strings.IndexByte(ws, org[j]) >= 0 {
			continue
		}
		i = len(s) - len(strings.TrimLeft(s[i:], ws))
		if i == len(s) || s[i] != org[j] {
			return -1
		}
		i++
	}
	if strings.TrimRight(org, ws) != org {
		i = len(s) - len(strings.TrimLeft(s[i:], ws))
	}
	return i
}

// quoteEnd returns the offset after the quoted scalar starting at s[i], or -1.
func quoteEnd(s string, i int) int {
	if i >= len(s) || (s[i] != '"' && s[i] != '\'') {
		return -1
	}
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch {
		case q == '"' && s[j] == '\\':
			j++
		case s[j] == q && q == '\'' && j+1 < len(s) && s[j+1] == '\'':
			j++
		case s[j] == q:
			return j + 1
		}
	}
	return -1
}

// skeleton is s reduced to its line breaks and the indentation of its last
// line, so that text after s keeps its line and column.
func skeleton(s string) string {
	n := strings.Count(s, "\n")
	if n == 0 {
		return ""
	}
	last := s[strings.LastIndexByte(s, '\n')+1:]
	return strings.Repeat("\n", n) + last[:len(last)-len(strings.TrimLeft(last, " \t"))]
}

// dqEscape escapes v for a YAML double-quoted scalar: Go's escapes are a
// subset of YAML's. Invalid UTF-8 cannot be YAML, so it becomes U+FFFD (as
// the YAML reader would make it anyway).
func dqEscape(v string) string {
	q := strconv.Quote(strings.ToValidUTF8(v, "\uFFFD"))
	return q[1 : len(q)-1]
}

// sqSafe: v can stand inside a one-line single-quoted scalar as it is.
func sqSafe(v string) bool {
	return !strings.ContainsFunc(v, func(r rune) bool { return !strconv.IsPrint(r) })
}

// plainSafe: v's characters cannot end or restyle a plain scalar (no #,
// quotes, tabs or line breaks; no flow indicators in a flow collection), so
// it may be substituted unquoted and keep YAML's typing of numbers and bools.
func plainSafe(v string, flow bool) bool {
	for _, r := range v {
		if r >= 0x80 && strconv.IsPrint(r) || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' ||
			strings.ContainsRune(` _./:+-=~^()$%@;?\`, r) || !flow && strings.ContainsRune("[]{},", r) {
			continue
		}
		return false
	}
	return true
}

// plainOK checks a whole substituted plain scalar for what plainSafe cannot
// see: edges, indicators and separators formed together with the file's text.
func plainOK(c string, flow, key bool) bool {
	if c == "" {
		return !flow && !key // "x: ${EMPTY}" stays null; "[${EMPTY}]" would vanish
	}
	switch {
	case c[0] == ' ' || c[len(c)-1] == ' ' || strings.HasSuffix(c, ":"),
		strings.Contains(c, ": ") || strings.Contains(c, " #"),
		strings.HasPrefix(c, "---") || strings.HasPrefix(c, "..."),
		strings.IndexByte("[]{},%@", c[0]) >= 0,
		strings.IndexByte("-?:", c[0]) >= 0 && (len(c) == 1 || c[1] == ' '):
		return false
	}
	return true
}
