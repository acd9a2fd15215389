package scaffold

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// A HAR file (HTTP Archive 1.2, as browsers' devtools save one) becomes
// one journey: the requests to the app's host, in recorded order, with the
// recorded pauses between them. Only the fields used are decoded.
type harFile struct {
	Log struct {
		Entries []harEntry `json:"entries"`
	} `json:"log"`
}

type harEntry struct {
	Started      string      `json:"startedDateTime"`
	Time         float64     `json:"time"` // ms
	Request      harRequest  `json:"request"`
	Response     harResponse `json:"response"`
	ResourceType string      `json:"_resourceType"` // Chromium's: document, fetch, xhr, script, ...

	start time.Time
}

type harRequest struct {
	Method   string   `json:"method"`
	URL      string   `json:"url"`
	Headers  []harNV  `json:"headers"`
	PostData *harPost `json:"postData"`
}

type harNV struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type harPost struct {
	MimeType string  `json:"mimeType"`
	Text     string  `json:"text"`
	Params   []harNV `json:"params"`
}

type harResponse struct {
	Status  int     `json:"status"`
	Headers []harNV `json:"headers"`
	Content struct {
		MimeType string `json:"mimeType"`
		Text     string `json:"text"`
		Encoding string `json:"encoding"`
	} `json:"content"`
	RedirectURL string `json:"redirectURL"`
}

// maxSteps bounds a journey: a recording of a long session is cut, with
// a note, rather than becoming a config nobody can read.
const maxSteps = 500

// HAR writes a config from a HAR file: one user class whose single task is
// the recorded journey against the host of its first page (or --url's).
func HAR(path string, o Options) (*Result, error) {
	limit := o.MaxBytes
	if limit <= 0 {
		limit = MaxHARBytes
	}
	data, err := read(context.Background(), path, limit, nil)
	if err != nil {
		return nil, err
	}
	return harFrom(data, sourceName(path), o)
}

// harFrom converts a HAR file's bytes; name names it in messages.
func harFrom(data []byte, name string, o Options) (*Result, error) {
	var h harFile
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, fmt.Errorf("%s is not a HAR file (JSON as a browser's devtools save it): %v", name, err)
	}
	if len(h.Log.Entries) == 0 {
		return nil, fmt.Errorf("%s has no requests (log.entries is empty): record with the devtools' network tab open, then save all as HAR", name)
	}
	c := &harConv{o: o, src: name, skipped: map[string]int{}, hosts: map[string]int{}}
	cfg, err := c.convert(h.Log.Entries)
	if err != nil {
		return nil, err
	}
	return &Result{Config: cfg.Emit(), Summary: c.summary()}, nil
}

// harConv converts one recording; its counters feed the summary.
type harConv struct {
	o        Options
	src      string
	target   *url.URL
	skipped  map[string]int
	hosts    map[string]int // other hosts, by requests
	total    int
	dropped  map[string]bool // secret headers not copied
	envs     map[string]bool // environment variables the config reads
	reuse    *reuse
	steps    []Step
	kept     []*harEntry
	truncate bool
}

func (c *harConv) convert(entries []harEntry) (*Config, error) {
	for i := range entries {
		entries[i].start, _ = time.Parse(time.RFC3339Nano, entries[i].Started)
	}
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].start.Before(entries[j].start) })
	c.total = len(entries)
	if err := c.pickTarget(entries); err != nil {
		return nil, err
	}
	c.dropped, c.envs, c.reuse = map[string]bool{}, map[string]bool{}, newReuse()
	var redirectTo string // where the last kept request was redirected; loadgate follows it itself
	for i := range entries {
		e := &entries[i]
		u, err := url.Parse(e.Request.URL)
		why := ""
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https"):
			why = "not an http(s) URL (data:, blob:, websocket)"
		case !strings.EqualFold(origin(u), origin(c.target)):
			c.hosts[u.Host]++
			c.reuse.sent(e) // values sent anywhere are not the app's answers
			continue
		case redirectTo != "" && e.Request.URL == redirectTo && e.Request.Method == "GET":
			why = "the redirect of the request before (loadgate follows redirects itself)"
		case strings.EqualFold(e.Request.Method, "OPTIONS"):
			why = "CORS preflight (OPTIONS)"
		case !contains(methods, strings.ToUpper(e.Request.Method)):
			why = "method " + e.Request.Method + " (loadgate sends GET, HEAD, POST, PUT, PATCH and DELETE)"
		case !c.o.Assets && isAsset(e, u):
			why = "static file (css, js, image, font, media; --har-assets keeps them)"
		case e.Response.Status == 0:
			why = "no response when recorded (blocked or cancelled)"
		case e.Response.Status >= 400:
			why = fmt.Sprintf("answered %d when recorded", e.Response.Status)
		case len(c.steps) >= maxSteps:
			c.truncate, why = true, fmt.Sprintf("beyond the first %d steps", maxSteps)
		}
		redirectTo = ""
		if why != "" {
			c.skipped[why]++
			c.reuse.sent(e)
			continue
		}
		st, why := c.step(e, u)
		c.reuse.sent(e)
		if why != "" {
			c.skipped[why]++
			continue
		}
		c.reuse.answered(e, len(c.steps))
		c.steps = append(c.steps, st)
		c.kept = append(c.kept, e)
		if e.Response.Status >= 300 && e.Response.Status < 400 && e.Response.RedirectURL != "" {
			if ru, err := u.Parse(e.Response.RedirectURL); err == nil {
				redirectTo = ru.String()
			}
		}
	}
	if len(c.steps) == 0 {
		return nil, c.nothingKept()
	}
	c.reuse.apply(c.steps)
	c.think()
	return c.config(), nil
}

// pickTarget: --url's host, else the first page's (the first document),
// else the first request's.
func (c *harConv) pickTarget(entries []harEntry) error {
	if c.o.URL != "" {
		u, err := url.Parse(c.o.URL)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return fmt.Errorf("--url %q is not an http(s) URL", c.o.URL)
		}
		c.target = u
		return nil
	}
	var first *url.URL
	for i := range entries {
		e := &entries[i]
		u, err := url.Parse(e.Request.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			continue
		}
		if first == nil {
			first = u
		}
		if e.ResourceType == "document" || (e.ResourceType == "" && strings.HasPrefix(e.Response.Content.MimeType, "text/html")) {
			c.target = &url.URL{Scheme: u.Scheme, Host: u.Host}
			return nil
		}
	}
	if first == nil {
		return fmt.Errorf("%s has no http(s) request", c.src)
	}
	c.target = &url.URL{Scheme: first.Scheme, Host: first.Host}
	return nil
}

func (c *harConv) nothingKept() error {
	if len(c.hosts) > 0 && len(c.skipped) == 0 {
		return fmt.Errorf("none of the %d requests in %s went to %s (hosts: %s); give --url with the one to test",
			c.total, c.src, origin(c.target), strings.Join(hostList(c.hosts), ", "))
	}
	var why []string
	for _, k := range sortedKeys(c.skipped) {
		why = append(why, fmt.Sprintf("%d %s", c.skipped[k], k))
	}
	if len(c.hosts) > 0 {
		why = append(why, fmt.Sprintf("%d to other hosts (%s)", sum(c.hosts), strings.Join(hostList(c.hosts), ", ")))
	}
	return fmt.Errorf("no request in %s can become a step against %s: %s", c.src, origin(c.target), strings.Join(why, "; "))
}

func hostList(m map[string]int) []string {
	hs := sortedKeys(m)
	if len(hs) > 5 {
		hs = append(hs[:5], "…")
	}
	return hs
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

var assetTypes = map[string]bool{"stylesheet": true, "script": true, "image": true, "font": true, "media": true, "manifest": true, "texttrack": true}

var assetExt = map[string]bool{".css": true, ".js": true, ".mjs": true, ".map": true, ".png": true, ".jpg": true, ".jpeg": true,
	".gif": true, ".svg": true, ".ico": true, ".webp": true, ".avif": true, ".bmp": true, ".woff": true, ".woff2": true,
	".ttf": true, ".otf": true, ".eot": true, ".mp4": true, ".webm": true, ".mp3": true, ".wav": true, ".ogg": true,
	".m4a": true, ".webmanifest": true}

// isAsset: a static file, by the browser's resource type, the response's
// type or the path's extension.
func isAsset(e *harEntry, u *url.URL) bool {
	if assetTypes[e.ResourceType] {
		return true
	}
	mt := strings.ToLower(e.Response.Content.MimeType)
	for _, p := range []string{"text/css", "image/", "font/", "audio/", "video/", "application/javascript", "text/javascript",
		"application/x-javascript", "application/font", "application/x-font", "application/vnd.ms-fontobject", "application/manifest+json"} {
		if strings.HasPrefix(mt, p) {
			return true
		}
	}
	p := strings.ToLower(u.Path)
	return assetExt[path.Ext(p)] || strings.HasSuffix(p, "/favicon.ico")
}

// responseText is a response body as text; base64 bodies are decoded.
func responseText(e *harEntry) string {
	t := e.Response.Content.Text
	if e.Response.Content.Encoding == "base64" {
		b, err := base64.StdEncoding.DecodeString(t)
		if err != nil || !utf8.Valid(b) {
			return ""
		}
		t = string(b)
	}
	return t
}

// think sets each step's pause: the gap between its end and the next
// step's start, rounded to 100 ms; gaps under 250 ms (a script's next
// call, not a person) are left out, and none is longer than 10 s.
func (c *harConv) think() {
	for i := 0; i+1 < len(c.kept); i++ {
		a, b := c.kept[i], c.kept[i+1]
		if a.start.IsZero() || b.start.IsZero() {
			continue
		}
		gap := b.start.Sub(a.start) - time.Duration(a.Time*float64(time.Millisecond))
		gap = gap.Round(100 * time.Millisecond)
		if gap < 250*time.Millisecond {
			continue
		}
		c.steps[i].Think = min(gap, 10*time.Second).String()
	}
}

// isJSONText: a body the recording says, or that looks like, JSON.
func isJSONText(mime, text string) bool {
	t := bytes.TrimSpace([]byte(text))
	return (strings.Contains(strings.ToLower(mime), "json") || len(t) > 0 && (t[0] == '{' || t[0] == '[')) && json.Valid(t)
}

// config is the journey as one user class with one task.
func (c *harConv) config() *Config {
	file := c.o.File
	if file == "" {
		file = "loadgate.yml"
	}
	base := origin(c.target) + strings.TrimRight(c.target.Path, "/")
	if c.o.URL != "" {
		base = strings.TrimRight(c.o.URL, "/")
	}
	cfg := &Config{TargetURL: base}
	cfg.Head = []string{
		fmt.Sprintf("Written by loadgate init --har %s: the requests the browser sent to %s, in recorded order, "+
			"as one journey (a task of steps; it stops at the first failed step).", c.src, origin(c.target)),
		"Think times are the recorded pauses (250 ms and longer, at most 10 s). Values the app answered and the " +
			"browser sent back later are extracted (extract) and sent again ({{ .name }}), so each user follows its own data.",
		"Cookies are left to each user's cookie jar. Cookie, Authorization and other credential headers, and " +
			"recorded passwords, are not copied: passwords and keys are read from the environment (env).",
		"Run it with loadgate -c " + file + " (loadgate validate -c " + file + " checks it). Every key: docs/config.md.",
	}
	if len(c.envs) > 0 {
		cfg.Head = append(cfg.Head, "Set before running: "+strings.Join(sortedKeys(c.envs), ", ")+".")
	}
	cfg.TargetNote = []string{"the host of the recording's first page; -H URL runs the journey against another one"}
	if c.o.URL != "" {
		cfg.TargetNote = []string{"--url"}
	}
	cfg.Classes = []Class{{
		Comment: []string{"The recorded user."},
		Name:    "RecordedUser",
		Wait:    "between 1s 2s",
		Tasks:   []Task{{Name: "journey", Weight: 1, Steps: c.steps}},
	}}
	if left := c.leftOut(); len(left) > 0 {
		cfg.Tail = append([]string{"Left out of the recording:"}, left...)
	}
	return cfg
}

// leftOut lists what was not made a step, and why, one line each.
func (c *harConv) leftOut() []string {
	var out []string
	for _, k := range sortedKeys(c.skipped) {
		out = append(out, fmt.Sprintf("  %d: %s", c.skipped[k], k))
	}
	if n := sum(c.hosts); n > 0 {
		out = append(out, fmt.Sprintf("  %d: to other hosts (%s)", n, strings.Join(hostList(c.hosts), ", ")))
	}
	if len(c.dropped) > 0 {
		out = append(out, "  credential headers not copied: "+strings.Join(sortedKeys(c.dropped), ", "))
	}
	return out
}

func (c *harConv) summary() []string {
	var names []string
	for _, st := range c.steps {
		for _, x := range st.Extract {
			names = append(names, x.Key)
		}
	}
	line := fmt.Sprintf("%s: %d requests, %d became steps of one journey to %s", c.src, c.total, len(c.steps), origin(c.target))
	if len(names) > 0 {
		line += fmt.Sprintf("; %d answered values reused through extract (%s)", len(names), strings.Join(names, ", "))
	}
	out := []string{line}
	out = append(out, c.leftOut()...)
	if len(c.envs) > 0 {
		out = append(out, "  read from the environment, not copied: "+strings.Join(sortedKeys(c.envs), ", "))
	}
	return out
}
