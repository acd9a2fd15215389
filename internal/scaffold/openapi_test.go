package scaffold

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readDoc reads a document in testdata/openapi, gunzipping .gz files.
func readDoc(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "openapi", name))
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(name, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if b, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// TestScaffoldRealDocuments: the public documents in testdata/openapi (see its
// README) each give a config that validates and compiles, with the
// operations counted; the smaller ones are kept as golden files.
func TestScaffoldRealDocuments(t *testing.T) {
	for _, c := range []struct {
		doc, golden  string
		minTasks     int
		wantInConfig []string
	}{
		{"petstore-swagger2.json", "petstore-swagger2.yml", 15, []string{"url: https://petstore.swagger.io/v2", "AuthenticatedUser", "api_key: \"{{ env `LOADGATE_API_KEY` `` }}\""}},
		{"petstore-openapi3.json", "petstore-openapi3.yml", 15, []string{"GET /pet/findByTags: deprecated", "# - name: \"DELETE /pet/[petId]\""}},
		{"fastapi.json", "fastapi.yml", 8, []string{"post: /login", "token: json access_token", "/items/{{ randInt 1 100 }}"}},
		{"sendgrid-openapi31.json.gz", "", 250, []string{"url: http://api.sendgrid.com/v3", "Authorization: \"{{ env `LOADGATE_AUTHORIZATION` `` }}\""}},
	} {
		t.Run(c.doc, func(t *testing.T) {
			r, err := openAPIFrom(readDoc(t, c.doc), c.doc, Options{})
			if err != nil {
				t.Fatal(err)
			}
			cfg := mustLoad(t, c.doc, r.Config)
			tasks := 0
			for _, cl := range cfg.Users {
				tasks += len(cl.Tasks)
			}
			t.Logf("%s: %s", c.doc, strings.Join(r.Summary, "\n"))
			if tasks < c.minTasks {
				t.Errorf("%d tasks, want at least %d", tasks, c.minTasks)
			}
			for _, w := range c.wantInConfig {
				if !bytes.Contains(r.Config, []byte(w)) {
					t.Errorf("the config lacks %q", w)
				}
			}
			if !bytes.HasPrefix(r.Config, []byte(SchemaLine+"\n")) {
				t.Error("the config does not start with the schema line")
			}
			if c.golden != "" {
				golden(t, c.golden, r.Config)
			}
		})
	}
}

// TestScaffoldOpenAPIFromURL: a fetched document sets target.url to the host it
// came from (joined with a relative server path), a body over the bound is
// refused with its size, and an error status is named.
func TestScaffoldOpenAPIFromURL(t *testing.T) {
	fastapi := readDoc(t, "fastapi.json")
	petstore3 := bytes.Replace(readDoc(t, "petstore-openapi3.json"), []byte(`"https://petstore.swagger.io/v2"`), []byte(`"/v2"`), 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/openapi.json":
			w.Write(fastapi)
		case "/relative.json":
			w.Write(petstore3)
		case "/huge.json":
			w.Write([]byte(`{"openapi": "3.0.0", "x": "`))
			w.Write(bytes.Repeat([]byte("x"), 2<<20))
		default:
			http.Error(w, "no", http.StatusNotFound)
		}
	}))
	defer srv.Close()
	ctx := context.Background()

	r, err := OpenAPI(ctx, srv.URL+"/openapi.json", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(r.Config, []byte("url: "+srv.URL+"\n")) {
		t.Errorf("target.url is not the document's host %s:\n%s", srv.URL, r.Config)
	}
	if r, err = OpenAPI(ctx, srv.URL+"/openapi.json", Options{URL: "http://127.0.0.1:9"}); err != nil || !bytes.Contains(r.Config, []byte("url: http://127.0.0.1:9\n")) {
		t.Errorf("--url does not win: %v", err)
	}
	if r, err = OpenAPI(ctx, srv.URL+"/relative.json", Options{}); err != nil || !bytes.Contains(r.Config, []byte("url: "+srv.URL+"/v2\n")) {
		t.Errorf("a relative server is not joined to the host: %v", err)
	}
	if _, err = OpenAPI(ctx, srv.URL+"/huge.json", Options{MaxBytes: 1 << 20}); err == nil || !strings.Contains(err.Error(), "larger than the 1.0 MiB init reads") {
		t.Errorf("a document over the bound: %v", err)
	}
	if _, err = OpenAPI(ctx, srv.URL+"/missing.json", Options{}); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("a 404: %v", err)
	}
}

// TestScaffoldOpenAPIRefusesWhatIsNotADocument names the problem instead of
// writing an empty config.
func TestScaffoldOpenAPIRefusesWhatIsNotADocument(t *testing.T) {
	for in, want := range map[string]string{
		"":                     "no openapi or swagger field",
		"{not json":            "not an OpenAPI document",
		"- a\n- list\n":        "not an OpenAPI document",
		`{"openapi": "4.0.0"}`: `version "4.0.0" is not supported`,
		`{"info": {}}`:         "no openapi or swagger field",
		`{"openapi": "3.0.0"}`: "has no operations",
		`{"openapi": "3.0.0", "paths": {"/a": {"options": {"responses": {}}}}}`: "none of its 1 operations can be sent",
		`{"swagger": "2.0", "paths": 5}`:                                        "reading Swagger 2.0",
	} {
		if _, err := openAPIFrom([]byte(in), "doc.json", Options{}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}
