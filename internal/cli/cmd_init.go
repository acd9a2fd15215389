package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	iofs "io/fs"
	"os"

	"github.com/loadgate/loadgate/internal/safefile"
	"github.com/loadgate/loadgate/internal/scaffold"
	"github.com/loadgate/loadgate/load"
	"github.com/loadgate/loadgate/load/config"
)

// starterConfig is what `loadgate init` writes: the Locust guide's
// WebsiteUser against a URL, every part commented, target.start as an
// example to fill in.
const starterConfig = scaffold.SchemaLine + `
# A starting point: the Locust guide's WebsiteUser. Run it with
#   loadgate -c %[1]s            (loadgate validate -c %[1]s checks it)
# Every key: docs/config.md.
version: 1

target:
  url: %[2]s
  timeout: 10s
  # loadgate can start the app itself, wait until it is ready, and stop it:
  # start:
  #   command: uvicorn main:app --host 127.0.0.1 --port 8000
  #   ready: {url: %[2]s/hello, timeout: 30s}

load:
  warmup: 5s
  duration: 60s
  users: 50
  spawn_rate: 10

users:
  - name: WebsiteUser
    wait_time: between 1s 2s
    tasks:
      - {name: /hello_world, weight: 3, get: /hello}
      - {name: "/items/[item_id]", weight: 2, get: "/items/{{ randInt 1 100 }}"}
      - name: /create_item
        post: /create_item
        json: {name: "Test Item {{ randInt 1 1000 }}", price: "{{ randFloat 10 100 2 }}"}

thresholds:
  total: [p95 < 500ms, failure_rate < 1%%]
`

// cmdInit is `loadgate init [-c FILE] [--url URL | --openapi URL|FILE |
// --har FILE [--har-assets]] [--force]`: a commented starting config that
// validates as written; from an API document or a browser recording, the
// generators of internal/scaffold write it.
func cmdInit(ctx context.Context, args []string, e *environment) error {
	fs := flag.NewFlagSet("init", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	path := fs.String("c", "loadgate.yml", "the config file to write")
	fs.StringVar(path, "config", "loadgate.yml", "the config file to write")
	url := fs.String("url", "http://127.0.0.1:8000", "the app's base URL (target.url)")
	openapi := fs.String("openapi", "", "an OpenAPI 3 or Swagger 2 document (file or URL): one task per operation")
	har := fs.String("har", "", "a HAR file saved by a browser's devtools: the recorded requests as one journey")
	assets := fs.Bool("har-assets", false, "with --har: keep static files (css, js, images, fonts)")
	force := fs.Bool("force", false, "overwrite an existing file")
	if pos, err := parseInterspersed(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usagef("init takes no arguments, got %q (give a document with --openapi, a recording with --har)", pos)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case set["openapi"] && set["har"]:
		return usagef("init takes --openapi or --har, not both")
	case set["openapi"] && *openapi == "", set["har"] && *har == "":
		return usagef("--openapi and --har need a file (or, for --openapi, a URL)")
	case set["har-assets"] && !set["har"]:
		return usagef("--har-assets goes with --har")
	}
	if _, err := os.Stat(*path); err == nil && !*force {
		return usagef("%s exists: give --force to overwrite it, or -c another file", *path)
	} else if err != nil && !errors.Is(err, iofs.ErrNotExist) {
		return usagef("%s: %v", *path, err)
	}
	opts := scaffold.Options{File: *path, Assets: *assets}
	if set["url"] {
		opts.URL = *url
	}
	var text []byte
	var summary []string
	switch {
	case *openapi != "":
		r, err := scaffold.OpenAPI(ctx, *openapi, opts)
		if err != nil {
			return usagef("--openapi: %v", err)
		}
		text, summary = r.Config, r.Summary
	case *har != "":
		r, err := scaffold.HAR(*har, opts)
		if err != nil {
			return usagef("--har: %v", err)
		}
		text, summary = r.Config, r.Summary
	default:
		text = []byte(fmt.Sprintf(starterConfig, *path, *url))
	}
	// What init writes must load and compile as written: a generator's
	// mistake is caught here, not at the first run.
	cfg, err := config.ParseConfig(*path, ".", text, config.Overrides{}, e.lookup)
	if err != nil {
		return err // --url not a URL
	}
	if _, err := load.Compile(cfg); err != nil {
		return err
	}
	if err := safefile.Write(*path, text); err != nil {
		return usagef("%s: %v", *path, err)
	}
	for _, l := range summary {
		fmt.Fprintf(e.stderr, "loadgate: %s\n", l)
	}
	fmt.Fprintf(e.stderr, "loadgate: wrote %s; check it with loadgate validate -c %s, run it with loadgate -c %s\n", *path, *path, *path)
	return nil
}

// cmdSchema prints the JSON Schema of loadgate.yml, for editors that are
// offline or pinned to the binary's version rather than main's.
func cmdSchema(_ context.Context, args []string, e *environment) error {
	if len(args) > 0 {
		return usagef("schema takes no arguments, got %q", args)
	}
	b, err := config.Schema()
	if err != nil {
		return err
	}
	_, err = e.stdout.Write(b)
	return err
}
