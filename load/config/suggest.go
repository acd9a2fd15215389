package config

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// Messages that teach: an unknown key names the key it probably is, or
// the section it belongs in.

// keyHomes maps every key of the config's grammar to where it may stand.
var keyHomes = func() map[string][]string {
	homes := map[string][]string{}
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type, where string)
	walk = func(t reflect.Type, where string) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] {
			return
		}
		seen[t] = true
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "" { // an inline struct: its keys stand here
				walk(f.Type, where)
				continue
			}
			homes[name] = append(homes[name], where)
			walk(f.Type, homeOf(where, name))
		}
	}
	walk(reflect.TypeFor[RawConfig](), "the top level")
	return homes
}()

// homeOf names the section a key opens, as the user knows it.
func homeOf(parent, key string) string {
	switch key {
	case "users":
		return "a user class"
	case "tasks", "steps", "on_start", "on_stop":
		return "a task or step"
	case "data":
		return "a data feed"
	}
	if parent == "the top level" {
		return key
	}
	if parent == "a task or step" || parent == "a user class" {
		return key + " (of a step)"
	}
	return parent + "." + key
}

// suggestKey is the hint after `unknown key "k"`: where k belongs, or the
// known key it is probably a typo of; "" when neither is clear.
func suggestKey(k string) string {
	if homes, ok := keyHomes[k]; ok {
		hs := append([]string(nil), homes...)
		sort.Strings(hs)
		return fmt.Sprintf(" (%s belongs under %s)", k, strings.Join(hs, " or "))
	}
	keys := make([]string, 0, len(keyHomes))
	for name := range keyHomes {
		keys = append(keys, name)
	}
	if best := closest(k, keys); best != "" {
		return fmt.Sprintf(" (did you mean %s?)", best)
	}
	return ""
}

// closest returns the candidate within a small edit distance of s (one
// edit for short words, two for longer ones), the nearest first; "" if none.
func closest(s string, candidates []string) string {
	sort.Strings(candidates)
	limit := 1
	if len(s) > 5 {
		limit = 2
	}
	best, bestD := "", limit+1
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(s), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Damerau–Levenshtein distance (a swap of two
// neighbours counts as one edit: wiat → wait).
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range rb {
		d[0][j+1] = j + 1
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// SuggestName is closest for other vocabularies (template functions).
func SuggestName(s string, candidates []string) string { return closest(s, candidates) }
