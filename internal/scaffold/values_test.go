package scaffold

import (
	"fmt"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// sharedSchemas are the components the value cases refer to: a plain
// object, an allOf extension of it, and a schema that contains itself.
const sharedSchemas = `
    Pet:
      type: object
      required: [name]
      properties:
        id: {type: integer, format: int64, readOnly: true}
        name: {type: string, maxLength: 20}
        tags: {type: array, items: {type: string}}
        status: {type: string, enum: [available, sold]}
    Dog:
      allOf:
        - $ref: '#/components/schemas/Pet'
        - type: object
          required: [breed]
          properties:
            breed: {type: string}
            owner_email: {type: string}
    Node:
      type: object
      required: [value]
      properties:
        value: {type: integer, minimum: 0, maximum: 9}
        next: {$ref: '#/components/schemas/Node'}
        children: {type: array, items: {$ref: '#/components/schemas/Node'}}
    Loop:
      type: object
      required: [self]
      properties:
        self: {$ref: '#/components/schemas/Loop'}
`

var valueCases = []struct {
	name, field string
	at          place
	schema      string
}{
	{"integer without bounds", "count", inJSON, `{type: integer}`},
	{"integer in a range", "quantity", inJSON, `{type: integer, minimum: 5, maximum: 10}`},
	{"integer with a minimum only", "page", inJSON, `{type: integer, minimum: 1000}`},
	{"integer with a maximum below 1", "offset", inJSON, `{type: integer, maximum: -5}`},
	{"integer with exclusive bounds (3.0)", "n", inJSON, `{type: integer, minimum: 0, maximum: 10, exclusiveMinimum: true, exclusiveMaximum: true}`},
	{"huge integer bounds", "big", inJSON, `{type: integer, minimum: -1e30, maximum: 1e30}`},
	{"number in a range", "price", inJSON, `{type: number, minimum: 0.5, maximum: 2.5}`},
	{"boolean", "done", inJSON, `{type: boolean}`},
	{"enum of strings", "status", inJSON, `{type: string, enum: [available, pending, sold]}`},
	{"enum of one", "kind", inJSON, `{type: string, enum: [only]}`},
	{"enum of integers", "level", inJSON, `{type: integer, enum: [1, 2, 3]}`},
	{"enum with null", "size", inJSON, `{type: string, nullable: true, enum: [s, m, null]}`},
	{"enum with quotes and braces", "q", inJSON, "{type: string, enum: [\"a`b\", \"{{ x }}\", \"c\\\"d\"]}"},
	{"enum in a path", "name", inPath, `{type: string, enum: [a b, c/d]}`},
	{"format uuid", "ref", inJSON, `{type: string, format: uuid}`},
	{"format date", "day", inJSON, `{type: string, format: date}`},
	{"format date-time", "when", inJSON, `{type: string, format: date-time}`},
	{"format email", "contact", inJSON, `{type: string, format: email}`},
	{"format int64 as a string", "ref", inJSON, `{type: string, format: int64}`},
	{"format binary", "file", inJSON, `{type: string, format: binary}`},
	{"name email", "email", inJSON, `{type: string}`},
	{"name first_name", "first_name", inJSON, `{type: string}`},
	{"name lastName", "lastName", inJSON, `{type: string}`},
	{"name phone_number", "phone_number", inJSON, `{type: string}`},
	{"name city", "city", inJSON, `{type: string}`},
	{"name createdAt", "createdAt", inJSON, `{type: string}`},
	{"name password with minLength 16", "password", inJSON, `{type: string, minLength: 16}`},
	{"name in a path that needs a space", "name", inPath, `{type: string}`},
	{"name email too long for maxLength", "email", inJSON, `{type: string, maxLength: 6}`},
	{"string with length bounds", "code", inJSON, `{type: string, minLength: 4, maxLength: 4}`},
	{"string with a long minLength", "blob", inJSON, `{type: string, minLength: 25}`},
	{"string with a pattern and an example", "sku", inJSON, `{type: string, pattern: "^[A-Z]{3}-[0-9]{4}$", example: ABC-1234}`},
	{"string with an example", "motto", inJSON, `{type: string, example: "carpe {{ diem }}"}`},
	{"plain string", "x", inJSON, `{type: string}`},
	{"string in a query", "q", inText, `{type: string}`},
	{"no schema keywords", "x", inJSON, `{}`},
	{"3.0 nullable", "nickname", inJSON, `{type: string, nullable: true}`},
	{"array of strings", "tags", inJSON, `{type: array, items: {type: string}}`},
	{"array with minItems", "emails", inJSON, `{type: array, minItems: 2, items: {type: string}}`},
	{"array in a query", "ids", inText, `{type: array, items: {type: integer}}`},
	{"object with a ref", "", inJSON, `{$ref: '#/components/schemas/Pet'}`},
	{"allOf merged", "", inJSON, `{$ref: '#/components/schemas/Dog'}`},
	{"oneOf first choice", "", inJSON, `{oneOf: [{type: integer, minimum: 7, maximum: 7}, {type: string}]}`},
	{"anyOf skips null", "", inJSON, `{anyOf: [{type: string, format: uuid}, {type: integer}]}`},
	{"cycle bounded", "", inJSON, `{$ref: '#/components/schemas/Node'}`},
	{"required cycle", "", inJSON, `{$ref: '#/components/schemas/Loop'}`},
	{"map", "", inJSON, `{type: object, additionalProperties: {type: integer}}`},
	{"object in a query", "filter", inText, `{type: object, properties: {a: {type: string}}}`},
	{"nested object", "", inJSON, `{type: object, properties: {address: {type: object, properties: {street: {type: string}, zip: {type: string}}}}}`},
	{"property names YAML reads otherwise", "", inJSON, `{type: object, properties: {"yes": {type: boolean}, "a: b": {type: integer}, "#x": {type: string, enum: [v]}}}`},
}

// schemaFor loads a case's schema through the loader, as a document's
// request body, so $ref, allOf and cycles are resolved as they would be.
func schemaFor(t *testing.T, schema, version string) *openapi3.SchemaRef {
	t.Helper()
	doc := fmt.Sprintf(`openapi: %s
info: {title: values, version: "1"}
paths:
  /x:
    post:
      requestBody:
        content:
          application/json:
            schema: %s
      responses: {"200": {description: ok}}
components:
  schemas:%s`, version, schema, sharedSchemas)
	d, _, err := parseDocument([]byte(doc))
	if err != nil {
		t.Fatalf("%s: %v", schema, err)
	}
	return d.Paths.Find("/x").Post.RequestBody.Value.Content["application/json"].Schema
}

// TestScaffoldValues is the generator's table: each schema and the value it gets,
// in testdata/values.golden (go test ./internal/scaffold -update rewrites it).
func TestScaffoldValues(t *testing.T) {
	var out strings.Builder
	places := map[place]string{inJSON: "json", inPath: "path", inText: "query"}
	var steps []Step
	for _, c := range valueCases {
		ref := schemaFor(t, c.schema, "3.0.3")
		v, ok := newValueGen().value(ref, c.field, c.at, 0)
		fmt.Fprintf(&out, "## %s (%s %q)\n%s\n", c.name, places[c.at], c.field, c.schema)
		if !ok {
			out.WriteString("(nothing)\n\n")
			continue
		}
		var e emitter
		e.value(0, "value", v, "")
		out.WriteString(e.b.String() + "\n")
		st := Step{Name: c.name, Method: "POST", Path: "/x"}
		switch c.at {
		case inJSON:
			st.JSON = v
		case inPath:
			st.Path = "/x/" + text(v)
		default:
			st.Query = []Field{{Key: c.field, Val: v}}
		}
		steps = append(steps, st)
	}
	golden(t, "values.golden", []byte(out.String()))
	// Every value is a valid part of a config, templates compiled.
	cfg := Config{TargetURL: "http://127.0.0.1:8000", Classes: []Class{{Name: "U", Wait: "none", Tasks: []Task{{Name: "all", Weight: 1, Steps: steps}}}}}
	mustLoad(t, "values.yml", cfg.Emit())
}

// TestScaffoldValuesOpenAPI31: a 3.1 schema's type lists, numeric exclusive
// bounds, const and examples are read, not refused.
func TestScaffoldValuesOpenAPI31(t *testing.T) {
	for _, c := range []struct{ schema, want string }{
		{`{type: [integer, "null"], minimum: 3, maximum: 4}`, "{{ randInt 3 4 }}"},
		{`{type: ["null", string], format: uuid}`, "{{ uuid }}"},
		{`{type: integer, exclusiveMinimum: 5, exclusiveMaximum: 9}`, "{{ randInt 6 8 }}"},
		{`{type: number, exclusiveMinimum: 0}`, "{{ randFloat 0.01 99.01 2 }}"},
		{`{const: fixed}`, "fixed"},
		{`{type: string, examples: [first-example], pattern: "^f"}`, "first-example"},
		{`{type: "null"}`, "null"},
		{`{anyOf: [{type: "null"}, {type: string, format: email}]}`, "{{ fake `email` }}"},
	} {
		v, ok := newValueGen().value(schemaFor(t, c.schema, "3.1.0"), "x", inJSON, 0)
		var e emitter
		if ok {
			e.value(0, "v", v, "")
		}
		got := strings.TrimSpace(strings.TrimPrefix(e.b.String(), "v:"))
		if strings.Trim(got, `"`) != c.want {
			t.Errorf("%s: got %s, want %s", c.schema, got, c.want)
		}
	}
}
