package config

import (
	"encoding/json"
	"reflect"
	"strings"
)

// Schema returns the JSON Schema of loadgate.yml, generated from the types
// the config is decoded into, so it cannot drift from what loadgate reads
// (schema/loadgate.schema.json is this, written out; a test keeps it
// current). Editors use it through yaml-language-server to complete keys
// and flag typos before a run. Numbers also accept a string, which is how
// a ${VAR} reads before expansion; loadgate itself checks the values.
func Schema() ([]byte, error) {
	s := schemaOf(reflect.TypeFor[RawConfig](), "")
	s["$schema"] = "http://json-schema.org/draft-07/schema#"
	s["$id"] = "https://raw.githubusercontent.com/loadgate/loadgate/main/schema/loadgate.schema.json"
	s["title"] = "loadgate.yml"
	s["description"] = "The config of loadgate, the performance gate for CI (docs/config.md)."
	b, err := json.MarshalIndent(s, "", "  ")
	return append(b, '\n'), err
}

func schemaOf(t reflect.Type, desc string) map[string]any {
	s := map[string]any{}
	if desc != "" {
		s["description"] = desc
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		props := map[string]any{}
		addFields(t, props)
		s["type"] = "object"
		s["properties"] = props
		s["additionalProperties"] = false
	case reflect.Map:
		s["type"] = "object"
		s["additionalProperties"] = schemaOf(t.Elem(), "")
	case reflect.Slice:
		s["type"] = "array"
		s["items"] = schemaOf(t.Elem(), "")
	case reflect.String:
		s["type"] = "string"
	case reflect.Int, reflect.Int64:
		s["anyOf"] = []any{map[string]any{"type": "integer"}, map[string]any{"type": "string"}}
	case reflect.Float64:
		s["anyOf"] = []any{map[string]any{"type": "number"}, map[string]any{"type": "string"}}
	case reflect.Bool:
		s["anyOf"] = []any{map[string]any{"type": "boolean"}, map[string]any{"type": "string"}}
	}
	// any (json, expect.status, tolerance values): whatever YAML holds.
	return s
}

func addFields(t reflect.Type, props map[string]any) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" {
			addFields(f.Type, props) // an inline struct
			continue
		}
		props[name] = schemaOf(f.Type, describe(t.Name(), name, f.Tag.Get("want")))
	}
}
