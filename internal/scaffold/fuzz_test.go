package scaffold

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzHAR: whatever HAR the converter accepts gives a config loadgate
// loads and compiles; nothing makes it panic. go test runs the seeds;
// go test -fuzz FuzzHAR ./internal/scaffold explores.
func FuzzHAR(f *testing.F) {
	demo, err := os.ReadFile(filepath.Join("testdata", "demo.har"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(demo)
	f.Add([]byte(`{"log": {"entries": [{"request": {"method": "GET", "url": "http://a.test/x/{{y}"}, "response": {"status": 200}}]}}`))
	f.Add([]byte(`{"log": {"entries": [{"request": {"method": "POST", "url": "http://a.test/", "postData": {"mimeType": "application/json", "text": "{\"a\": [1, {\"b: c\": \"{{\"}]}"}},
		"response": {"status": 201, "headers": [{"name": "Location", "value": "/items/1234"}], "content": {"mimeType": "application/json", "text": "{\"id\": 98765}"}}},
		{"request": {"method": "GET", "url": "http://a.test/items/1234?id=98765"}, "response": {"status": 200}}]}}`))
	f.Add([]byte(`{"log": {"entries": [{"startedDateTime": "bad", "request": {"method": "PATCH", "url": "https://a.test/%zz", "headers": [{"name": "Authorization", "value": "Bearer x"}], "postData": {"mimeType": "application/x-www-form-urlencoded", "text": "a=%&b"}}, "response": {"status": 200}}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := harFrom(data, "fuzz.har", Options{})
		if err != nil {
			return
		}
		mustLoad(t, "fuzz.yml", r.Config)
	})
}

// FuzzOpenAPI: whatever document the generator accepts gives a config
// loadgate loads and compiles.
func FuzzOpenAPI(f *testing.F) {
	f.Add(readDocF(f, "fastapi.json"))
	f.Add([]byte(`{"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {"/a{{b}/{c}": {"post": {"parameters": [{"name": "c", "in": "path", "required": true, "schema": {"type": ["string", "null"], "enum": ["x y", "{{"]}}],
		"requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer", "minimum": 1e300}, "s": {"type": "string", "minLength": 3, "maxLength": 2}}}}}},
		"responses": {"302": {"description": "x"}}}}}}`))
	f.Add([]byte("swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths:\n  /x:\n    get:\n      parameters: [{name: q, in: query, required: true, type: string, format: date}]\n      responses: {'200': {description: ok}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := openAPIFrom(data, "fuzz.json", Options{})
		if err != nil {
			return
		}
		mustLoad(t, "fuzz.yml", r.Config)
	})
}

func readDocF(f *testing.F, name string) []byte {
	b, err := os.ReadFile(filepath.Join("testdata", "openapi", name))
	if err != nil {
		f.Fatal(err)
	}
	return b
}
