package scaffold

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// Bounds on what init reads: a real API document is well under a few MiB
// (a large public one is about 2 MiB), and a HAR with response bodies
// rarely reaches tens of MiB. Past them the input is refused with its
// size, rather than read into memory whatever it is.
const (
	MaxDocumentBytes = 16 << 20
	MaxHARBytes      = 64 << 20
	fetchTimeout     = 30 * time.Second
)

// Options are init's flags.
type Options struct {
	// URL is --url: target.url, and for a HAR the host whose requests
	// are kept. Empty: taken from the document or the recording.
	URL string
	// File is the config being written, named in its run hint.
	File string
	// Assets keeps a HAR's static files (--har-assets).
	Assets bool
	// Client fetches an OpenAPI URL; nil: one with a 30 s timeout.
	Client *http.Client
	// MaxBytes overrides the input's bound (0: MaxDocumentBytes or MaxHARBytes).
	MaxBytes int64
}

// Result is a generated config and what init reports about it on stderr.
type Result struct {
	Config  []byte
	Summary []string
}

// isURL: an http(s) URL rather than a file name.
func isURL(src string) bool {
	return strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://")
}

// read returns a file's or URL's bytes, refusing more than limit.
func read(ctx context.Context, src string, limit int64, client *http.Client) ([]byte, error) {
	if !isURL(src) {
		f, err := os.Open(src)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > limit {
			return nil, fmt.Errorf("%s is %s, larger than the %s init reads", src, size(st.Size()), size(limit))
		}
		return readAtMost(f, src, limit)
	}
	if client == nil {
		client = &http.Client{Timeout: fetchTimeout}
	}
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json, application/yaml;q=0.9, */*;q=0.5")
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("fetching %s: %v", redactURL(src), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching %s: status %s", redactURL(src), resp.Status)
	}
	if resp.ContentLength > limit {
		return nil, fmt.Errorf("%s answers %s, larger than the %s init reads", redactURL(src), size(resp.ContentLength), size(limit))
	}
	return readAtMost(resp.Body, redactURL(src), limit)
}

func readAtMost(r io.Reader, name string, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %v", name, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than the %s init reads", name, size(limit))
	}
	return b, nil
}

func size(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d bytes", n)
}

// redactURL drops a URL's user:password@ and query, which can hold
// credentials, from messages and comments.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "the URL"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

// origin is a URL's scheme://host[:port].
func origin(u *url.URL) string {
	return u.Scheme + "://" + u.Host
}

// sourceName is how a comment names the input: a file by its base name
// (the config should not carry a home directory), a URL without secrets.
func sourceName(src string) string {
	if isURL(src) {
		return redactURL(src)
	}
	if i := strings.LastIndexAny(src, `/\`); i >= 0 {
		return src[i+1:]
	}
	return src
}
