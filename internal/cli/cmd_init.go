package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	iofs "io/fs"
	"os"

	"github.com/loadgate/loadgate/internal/safefile"
	"github.com/loadgate/loadgate/load/config"
)

// starterConfig is what `loadgate init` writes: the Locust guide's
// WebsiteUser against a URL, every part commented, target.start as an
// example to fill in.
const starterConfig = `# yaml-language-server: $schema=https://raw.githubusercontent.com/loadgate/loadgate/main/schema/loadgate.schema.json
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

// cmdInit is `loadgate init [-c FILE] [--url URL] [--force]`: a commented
// starting config that validates as written.
func cmdInit(_ context.Context, args []string, e *environment) error {
	fs := flag.NewFlagSet("init", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	path := fs.String("c", "loadgate.yml", "the config file to write")
	fs.StringVar(path, "config", "loadgate.yml", "the config file to write")
	url := fs.String("url", "http://127.0.0.1:8000", "the app's base URL")
	force := fs.Bool("force", false, "overwrite an existing file")
	if pos, err := parseInterspersed(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usagef("init takes no arguments, got %q (--openapi and --har are not available yet)", pos)
	}
	if _, err := os.Stat(*path); err == nil && !*force {
		return usagef("%s exists: give --force to overwrite it, or -c another file", *path)
	} else if err != nil && !errors.Is(err, iofs.ErrNotExist) {
		return usagef("%s: %v", *path, err)
	}
	text := fmt.Sprintf(starterConfig, *path, *url)
	if _, err := config.ParseConfig(*path, ".", []byte(text), config.Overrides{}, e.lookup); err != nil {
		return err // --url not a URL
	}
	if err := safefile.Write(*path, []byte(text)); err != nil {
		return usagef("%s: %v", *path, err)
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
