package config

import (
	"errors"
	"strings"
)

// SplitCommand splits a command line into words the way a POSIX shell
// does, without running one: blanks separate words; single quotes keep
// everything literally; double quotes keep everything but a backslash
// before $ ` " \ or a newline; an unquoted backslash keeps the next
// character; an unquoted # at the start of a word begins a comment. Nothing
// is expanded: $VAR, globs and ~ stay as written (the config's own ${VAR}
// expansion has already run).
func SplitCommand(s string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		case r == '#' && !inWord:
			for i < len(rs) && rs[i] != '\n' {
				i++
			}
		case r == '\\':
			if i+1 >= len(rs) {
				return nil, errors.New("the command ends with a backslash")
			}
			i++
			if rs[i] != '\n' { // a backslash-newline joins lines
				w.WriteRune(rs[i])
				inWord = true
			}
		case r == '\'':
			j := i + 1
			for j < len(rs) && rs[j] != '\'' {
				j++
			}
			if j >= len(rs) {
				return nil, errors.New("a single quote is not closed")
			}
			w.WriteString(string(rs[i+1 : j]))
			inWord, i = true, j
		case r == '"':
			j := i + 1
			for ; j < len(rs) && rs[j] != '"'; j++ {
				if rs[j] == '\\' && j+1 < len(rs) && strings.ContainsRune("$`\"\\\n", rs[j+1]) {
					j++
					if rs[j] != '\n' {
						w.WriteRune(rs[j])
					}
					continue
				}
				w.WriteRune(rs[j])
			}
			if j >= len(rs) {
				return nil, errors.New("a double quote is not closed")
			}
			inWord, i = true, j
		default:
			w.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}
