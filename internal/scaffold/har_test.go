package scaffold

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/loadgate/loadgate/load/config"
	"github.com/tidwall/gjson"
)

// entry is a HAR entry for a test, written the way devtools writes one.
type entry struct {
	method, url   string
	headers       [][2]string
	mime, body    string // request body
	status        int
	respMime      string
	resp          string
	respHeaders   [][2]string
	resType       string
	at            time.Duration // after the first request
	ms            float64
	redirectToURL string
}

func buildHAR(t *testing.T, es ...entry) []byte {
	t.Helper()
	t0 := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	nv := func(hs [][2]string) []map[string]string {
		out := []map[string]string{}
		for _, h := range hs {
			out = append(out, map[string]string{"name": h[0], "value": h[1]})
		}
		return out
	}
	var entries []any
	for _, e := range es {
		req := map[string]any{"method": e.method, "url": e.url, "headers": nv(e.headers)}
		if e.mime != "" {
			req["postData"] = map[string]any{"mimeType": e.mime, "text": e.body}
		}
		if e.status == 0 {
			e.status = 200
		}
		entries = append(entries, map[string]any{
			"startedDateTime": t0.Add(e.at).Format(time.RFC3339Nano), "time": e.ms, "request": req, "_resourceType": e.resType,
			"response": map[string]any{"status": e.status, "headers": nv(e.respHeaders), "redirectURL": e.redirectToURL,
				"content": map[string]any{"mimeType": e.respMime, "text": e.resp}},
		})
	}
	b, err := json.Marshal(map[string]any{"log": map[string]any{"version": "1.2", "entries": entries}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func step(t *testing.T, cfg *config.Config, name string) config.StepSpec {
	t.Helper()
	for _, c := range cfg.Users {
		for _, tk := range c.Tasks {
			for _, s := range tk.Steps {
				if s.Name == name {
					return s
				}
			}
		}
	}
	t.Fatalf("no step %q", name)
	return config.StepSpec{}
}

// TestScaffoldHARRecordedDemo: the recording of a Chromium session against the
// demo app (see testdata/README.md) and the journey it gives.
func TestScaffoldHARRecordedDemo(t *testing.T) {
	r, err := HAR(filepath.Join("testdata", "demo.har"), Options{File: "loadgate.yml"})
	if err != nil {
		t.Fatal(err)
	}
	mustLoad(t, "demo.yml", r.Config)
	t.Logf("%s", strings.Join(r.Summary, "\n"))
	golden(t, "demo.yml", r.Config)
}

// TestScaffoldHARFilters: what is left out (static files unless asked, other
// hosts, preflights, redirects loadgate follows, failed requests), which
// headers stay, and the think times, in one synthetic recording.
func TestScaffoldHARFilters(t *testing.T) {
	har := buildHAR(t,
		entry{method: "GET", url: "https://shop.test/", resType: "document", respMime: "text/html", ms: 100},
		entry{method: "GET", url: "https://shop.test/static/app.js", resType: "script", at: 120 * time.Millisecond, ms: 10},
		entry{method: "GET", url: "https://shop.test/logo.png", at: 130 * time.Millisecond, respMime: "image/png"},
		entry{method: "GET", url: "https://shop.test/favicon.ico", at: 140 * time.Millisecond, status: 404},
		entry{method: "GET", url: "https://cdn.other.test/lib.js", at: 150 * time.Millisecond},
		entry{method: "OPTIONS", url: "https://shop.test/api/cart", at: 2 * time.Second, ms: 5},
		entry{method: "POST", url: "https://shop.test/api/cart?src=home&ref=a%20b", at: 2010 * time.Millisecond, ms: 40,
			headers: [][2]string{{"Content-Type", "application/json"}, {"X-Requested-With", "XMLHttpRequest"}, {"User-Agent", "Mozilla"}, {"Accept-Language", "en"}, {"sec-ch-ua", "x"}, {"Referer", "https://shop.test/"}, {"X-Tenant", "acme"}},
			mime:    "application/json", body: `{"sku": "A-1", "qty": 2, "gift": false, "note": null}`,
			respMime: "application/json", resp: `{"cart_id": "c-7f3a9b21", "items": [{"sku": "A-1"}]}`},
		entry{method: "POST", url: "https://shop.test/checkout", at: 2100 * time.Millisecond, ms: 30, status: 303, redirectToURL: "/orders/4711",
			mime: "application/x-www-form-urlencoded", body: "cart=c-7f3a9b21&pay=card"},
		entry{method: "GET", url: "https://shop.test/orders/4711", at: 2140 * time.Millisecond, ms: 20, respMime: "text/html"},
		entry{method: "GET", url: "https://shop.test/api/missing", at: 2200 * time.Millisecond, status: 500},
		entry{method: "GET", url: "https://shop.test/account", at: 30 * time.Second, ms: 10},
		entry{method: "GET", url: "https://shop.test/search?q=a&q=b", at: 30100 * time.Millisecond, ms: 10},
	)
	r, err := harFrom(har, "shop.har", Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := mustLoad(t, "shop.yml", r.Config)
	golden(t, "shop.yml", r.Config)
	var names []string
	for _, s := range cfg.Users[0].Tasks[0].Steps {
		names = append(names, s.Name)
	}
	want := []string{"GET /", "POST /api/cart", "POST /checkout", "GET /account", "GET /search"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("steps %q, want %q", names, want)
	}
	cart := step(t, cfg, "POST /api/cart")
	if !reflect.DeepEqual(cart.Headers, map[string]string{"X-Requested-With": "XMLHttpRequest", "X-Tenant": "acme"}) {
		t.Errorf("headers kept: %v", cart.Headers)
	}
	if cart.Think != nil { // 50 ms: a script's next call
		t.Errorf("think after the cart: %+v", cart.Think)
	}
	if !reflect.DeepEqual(cart.Query, map[string]string{"src": "home", "ref": "a b"}) {
		t.Errorf("query %v", cart.Query)
	}
	// The 28 s pause after the checkout (its redirect and a failed request
	// in between are left out), capped.
	if co := step(t, cfg, "POST /checkout"); co.Form["cart"] != "{{ .cart_id }}" || co.Think == nil || co.Think.A != 10*time.Second {
		t.Errorf("checkout: form %v, think %+v", co.Form, co.Think)
	}
	if s := step(t, cfg, "GET /search"); s.URL != "/search?q=a&q=b" {
		t.Errorf("a repeated query name: %q", s.URL)
	}

	r, err = harFrom(har, "shop.har", Options{Assets: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(mustLoad(t, "assets.yml", r.Config).Users[0].Tasks[0].Steps); n != 7 {
		t.Errorf("--har-assets: %d steps, want 7 (the script and the image too)", n)
	}
}

// TestScaffoldHARHostile: inputs a HAR may hold by accident or on purpose.
func TestScaffoldHARHostile(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	huge := filepath.Join(dir, "huge.har")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(MaxHARBytes + 1) // sparse: no disk, no time
	f.Close()
	small := write("small.har", []byte(`{"log": {"entries": [`+strings.Repeat(`{"request": {"url": "x"}},`, 100)+`{}]}}`))

	for _, c := range []struct {
		name, path string
		o          Options
		want       string
	}{
		{"huge file", huge, Options{}, "larger than the 64.0 MiB init reads"},
		{"over a smaller bound", small, Options{MaxBytes: 1000}, "larger than the 1000 bytes init reads"},
		{"not JSON", write("a.har", []byte("GET / HTTP/1.1\r\n")), Options{}, "not a HAR file"},
		{"JSON but no log", write("b.har", []byte(`{"foo": [1, 2]}`)), Options{}, "has no requests"},
		{"a JSON list", write("c.har", []byte(`[1, 2]`)), Options{}, "not a HAR file"},
		{"other hosts only", write("d.har", buildHAR(t,
			entry{method: "GET", url: "https://cdn.example.com/a.js"},
			entry{method: "GET", url: "https://api.other.org/x"})), Options{URL: "http://app.example.com"},
			"none of the 2 requests in d.har went to http://app.example.com (hosts: api.other.org, cdn.example.com)"},
		{"nothing kept", write("e.har", buildHAR(t, entry{method: "GET", url: "https://a.test/", resType: "document", status: 500})), Options{},
			"no request in e.har can become a step against https://a.test: 1 answered 500 when recorded"},
		{"no http request", write("f.har", buildHAR(t, entry{method: "GET", url: "data:text/plain,x"})), Options{}, "has no http(s) request"},
		{"bad --url", write("g.har", buildHAR(t, entry{method: "GET", url: "https://a.test/"})), Options{URL: "ftp://x"}, "not an http(s) URL"},
	} {
		if _, err := HAR(c.path, c.o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

// TestScaffoldHARSecretsNotCopied: credentials in headers, cookies, the query
// and bodies never reach the config; a token the app answered is sent
// again as the extracted value, not as recorded.
func TestScaffoldHARSecretsNotCopied(t *testing.T) {
	har := buildHAR(t,
		entry{method: "POST", url: "https://app.test/login?access_token=SECRET5", resType: "document",
			headers: [][2]string{{"Cookie", "sessionid=SECRET1"}, {"Authorization", "Basic SECRET0"}, {"X-Api-Key", "SECRET2"}, {"X-CSRFToken", "SECRET3"}},
			mime:    "application/x-www-form-urlencoded", body: "username=ann&password=SECRET6",
			respMime: "application/json", resp: `{"token": "eyJhbGciOiJIUzI1NiJ9.issued-by-app.sig0123"}`,
			respHeaders: [][2]string{{"Set-Cookie", "sessionid=SECRET4; Path=/; HttpOnly"}}},
		entry{method: "POST", url: "https://app.test/api/keys", at: time.Second,
			headers: [][2]string{{"Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.issued-by-app.sig0123"}, {"Cookie", "sessionid=SECRET4"}},
			mime:    "application/json", body: `{"client_secret": "SECRET7", "nested": {"api_key": "SECRET8"}, "label": "mine"}`},
	)
	r, err := harFrom(har, "secrets.har", Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := string(r.Config) + strings.Join(r.Summary, "\n")
	for i := range 9 {
		if s := "SECRET" + string(rune('0'+i)); strings.Contains(out, s) {
			t.Errorf("%s reached the config or the summary:\n%s", s, out)
		}
	}
	if strings.Contains(out, "issued-by-app") {
		t.Errorf("the answered token was copied:\n%s", out)
	}
	cfg := mustLoad(t, "secrets.yml", r.Config)
	keys := step(t, cfg, "POST /api/keys")
	if keys.Headers["Authorization"] != "Bearer {{ .token }}" {
		t.Errorf("the answered token is not sent again: %v", keys.Headers)
	}
	if login := step(t, cfg, "POST /login"); login.Form["password"] != "{{ env `LOADGATE_PASSWORD` `` }}" ||
		login.Query["access_token"] != "{{ env `LOADGATE_ACCESS_TOKEN` `` }}" || len(login.Headers) != 0 {
		t.Errorf("login: form %v, query %v, headers %v", login.Form, login.Query, login.Headers)
	}
	for _, w := range []string{"credential headers not copied: Authorization, X-Api-Key, X-CSRFToken", "LOADGATE_CLIENT_SECRET", "LOADGATE_API_KEY"} {
		if !strings.Contains(out, w) {
			t.Errorf("the summary lacks %q:\n%s", w, out)
		}
	}
}

// TestScaffoldHARValuesStayValues: recorded text with newlines, quotes, YAML
// indicators and template braces reaches the config as the same text,
// neither breaking the YAML nor running as a template; an answered value
// holding them is extracted by a path that finds it.
func TestScaffoldHARValuesStayValues(t *testing.T) {
	hostile := "line1\nline2: {{ fake `x` }} \"q\" 'a' #c - [x] {y} & *z ! % @ `b` \\ \t\u2028 ${HOME} $$ $end"
	answer := `{"id": "ab{{ .x }}12345\n: #&*!", "we.ird key": "tok-{{ env \"HOME\" }}-1234567890", "n": 4711}`
	har := buildHAR(t,
		entry{method: "POST", url: "https://app.test/api/things", resType: "document",
			mime: "application/json", body: `{"note": ` + jsonString(hostile) + `, "k: y": "- item", "big": 12345678901234567890, "f": 1.5e3, "{{": "}}"}`,
			respMime: "application/json", resp: answer},
		entry{method: "GET", url: "https://app.test/api/things/ab%7B%7B%20.x%20%7D%7D12345%0A%3A%20%23%26%2A%21?t=tok-%7B%7B+env+%22HOME%22+%7D%7D-1234567890&n=4711", at: time.Second,
			headers: [][2]string{{"X-Trace", "{{ not a template }}"}}},
		entry{method: "POST", url: "https://app.test/api/echo", at: 2 * time.Second,
			mime: "application/x-www-form-urlencoded", body: "q=%7B%7B+7+%7D%7D&note=a%0Ab&id=4711"},
		entry{method: "PUT", url: "https://app.test/api/raw", at: 3 * time.Second, mime: "text/plain", body: hostile},
	)
	r, err := harFrom(har, "hostile.har", Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := mustLoad(t, "hostile.yml", r.Config)
	golden(t, "hostile.yml", r.Config)
	vars := map[string]any{}
	things := step(t, cfg, "POST /api/things")
	for name, expr := range things.Extract {
		path, _ := strings.CutPrefix(expr, "json ")
		res := gjson.Get(answer, path)
		if !res.Exists() {
			t.Errorf("extract %s: %q finds nothing in the answer", name, expr)
		}
		vars[name] = res.Value()
	}
	if len(vars) != 3 {
		t.Fatalf("extracts %v, want id, the weird key and n", things.Extract)
	}
	// What each value renders to is what was recorded.
	render := func(what, tmpl string, want string) {
		t.Helper()
		tp, err := template.New("").Option("missingkey=error").Parse(tmpl)
		var b strings.Builder
		if err == nil {
			err = tp.Execute(&b, vars)
		}
		if err != nil || b.String() != want {
			t.Errorf("%s: %q renders %q (%v), want %q", what, tmpl, b.String(), err, want)
		}
	}
	body := things.JSON.(map[string]any)
	render("json note", body["note"].(string), hostile)
	render("json k: y", body["k: y"].(string), "- item")
	render("json {{", body["{{"].(string), "}}")
	get := step(t, cfg, "GET /api/things/[id]")
	render("header", get.Headers["X-Trace"], "{{ not a template }}")
	render("query t", get.Query["t"], `tok-{{ env "HOME" }}-1234567890`)
	render("path", get.URL, "/api/things/ab{{ .x }}12345\n: #&*!")
	echo := step(t, cfg, "POST /api/echo")
	render("form q", echo.Form["q"], "{{ 7 }}")
	render("form note", echo.Form["note"], "a\nb")
	raw := step(t, cfg, "PUT /api/raw")
	render("raw body", *raw.Body, hostile)
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
