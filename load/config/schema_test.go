package config

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

var updateSchema = flag.Bool("update", false, "rewrite schema/loadgate.schema.json")

const schemaFile = "../../schema/loadgate.schema.json"

// TestSchemaIsCurrent: the published schema is the one the config types
// give; a key added without regenerating it fails here (go test
// ./load/config -update writes it).
func TestSchemaIsCurrent(t *testing.T) {
	got, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	if *updateSchema {
		os.WriteFile(schemaFile, got, 0o644)
	}
	want, err := os.ReadFile(schemaFile)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("schema/loadgate.schema.json is stale (go test ./load/config -update): %v", err)
	}
}

// TestExamplesMatchTheSchema: every example and test config validates
// against the schema, and bad configs whose mistake a schema can see (an
// unknown or misplaced key, a list for a mapping) fail it.
func TestExamplesMatchTheSchema(t *testing.T) {
	raw, _ := os.ReadFile(schemaFile)
	var schema map[string]any
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, g := range []string{"../../examples/*/*.yml", "../../demo/loadgate.yml", "../../bench/locust/*.yml"} {
		m, _ := filepath.Glob(g)
		files = append(files, m...)
	}
	if len(files) < 5 {
		t.Fatalf("only %d example configs found", len(files))
	}
	for _, f := range files {
		if strings.Contains(f, "workflows") {
			continue
		}
		if errs := validateFile(t, schema, f); len(errs) > 0 {
			t.Errorf("%s: %v", f, errs)
		}
	}
	// The mistakes a schema can see: unknown and misplaced keys, a kind
	// for another (a list for a mapping, a fraction for a count, a bare
	// number for a duration), and YAML that does not parse. The rest of
	// testdata/bad is values only loadgate checks (units, ranges,
	// templates, enumerations).
	for _, bad := range []string{"typo_key.yml", "unknown_key.yml", "misplaced_ready.yml", "wrong_type_headers.yml",
		"wrong_type_timeout.yml", "fractional_users.yml", "fractional_weight.yml", "duration_no_unit.yml",
		"empty.yml", "syntax_error.yml", "unquoted_template.yml"} {
		f := filepath.Join("../../testdata/bad", bad)
		if errs := validateFile(t, schema, f); len(errs) == 0 {
			t.Errorf("%s passes the schema", f)
		}
	}
}

func validateFile(t *testing.T, schema map[string]any, path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return []string{err.Error()}
	}
	var errs []string
	validate(schema, doc, "", &errs)
	return errs
}

// validate checks the subset of JSON Schema that Schema writes.
func validate(s map[string]any, v any, at string, errs *[]string) {
	if alts, ok := s["anyOf"].([]any); ok {
		for _, alt := range alts {
			var sub []string
			validate(alt.(map[string]any), v, at, &sub)
			if len(sub) == 0 {
				return
			}
		}
		*errs = append(*errs, fmt.Sprintf("%s: %v matches none of the types", at, v))
		return
	}
	switch s["type"] {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			*errs = append(*errs, fmt.Sprintf("%s: want a mapping, got %T", at, v))
			return
		}
		props, _ := s["properties"].(map[string]any)
		for k, val := range m {
			if p, ok := props[k]; ok {
				validate(p.(map[string]any), val, at+"."+k, errs)
			} else if ap, ok := s["additionalProperties"].(map[string]any); ok {
				validate(ap, val, at+"."+k, errs)
			} else if s["additionalProperties"] == false {
				*errs = append(*errs, fmt.Sprintf("%s: unknown key %q", at, k))
			}
		}
	case "array":
		l, ok := v.([]any)
		if !ok {
			*errs = append(*errs, fmt.Sprintf("%s: want a list, got %T", at, v))
			return
		}
		for i, e := range l {
			validate(s["items"].(map[string]any), e, fmt.Sprintf("%s[%d]", at, i), errs)
		}
	case "string":
		if _, ok := v.(string); !ok {
			*errs = append(*errs, fmt.Sprintf("%s: want a string, got %T", at, v))
		}
	case "integer":
		switch n := v.(type) {
		case uint64, int64, int:
		case float64:
			if n != float64(int64(n)) {
				*errs = append(*errs, fmt.Sprintf("%s: want a whole number", at))
			}
		default:
			*errs = append(*errs, fmt.Sprintf("%s: want a whole number, got %T", at, v))
		}
	case "number":
		switch v.(type) {
		case uint64, int64, int, float64:
		default:
			*errs = append(*errs, fmt.Sprintf("%s: want a number, got %T", at, v))
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			*errs = append(*errs, fmt.Sprintf("%s: want true or false, got %T", at, v))
		}
	}
}

// TestEveryKeyIsDescribed: each key of loadgate.yml has a description for
// the schema (load/config/describe.go), every description belongs to a
// key, and docs/config.md names every key.
func TestEveryKeyIsDescribed(t *testing.T) {
	docs, err := os.ReadFile("../../docs/config.md")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var walk func(rt reflect.Type)
	walk = func(rt reflect.Type) {
		for rt.Kind() == reflect.Pointer || rt.Kind() == reflect.Slice || rt.Kind() == reflect.Map {
			rt = rt.Elem()
		}
		if rt.Kind() != reflect.Struct {
			return
		}
		for i := range rt.NumField() {
			f := rt.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "" {
				walk(f.Type)
				continue
			}
			k := rt.Name() + "." + name
			if seen[k] {
				continue
			}
			seen[k] = true
			if descriptions[k] == "" {
				t.Errorf("%s has no description in load/config/describe.go", k)
			}
			if !bytes.Contains(docs, []byte("`"+name)) && !bytes.Contains(docs, []byte("{"+name+":")) && !bytes.Contains(docs, []byte("## "+name)) {
				t.Errorf("docs/config.md does not name the key %s", name)
			}
			walk(f.Type)
		}
	}
	walk(reflect.TypeFor[RawConfig]())
	for k := range descriptions {
		if !seen[k] {
			t.Errorf("describe.go describes %s, which is no key", k)
		}
	}
}
