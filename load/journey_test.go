package load

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/loadgate/loadgate/load/secret"
)

// journeyServer is a small app with login, items and an echo endpoint.
type journeyServer struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
	paths  []string
	auth   []string
}

func newJourneyServer(t *testing.T) *journeyServer {
	js := &journeyServer{}
	items := map[string]bool{}
	next := 100
	js.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		js.mu.Lock()
		js.bodies = append(js.bodies, string(b))
		js.paths = append(js.paths, r.URL.RequestURI())
		js.auth = append(js.auth, r.Header.Get("Authorization"))
		js.mu.Unlock()
		switch {
		case r.URL.Path == "/login":
			w.Header().Set("X-Session", "sess-42")
			w.Write([]byte(`{"access_token":"tok-123","n":7}`))
		case r.URL.Path == "/me":
			if r.Header.Get("Authorization") != "Bearer tok-123" {
				w.WriteHeader(401)
				return
			}
			w.Write([]byte(`<p>user id=5</p>`))
		case r.URL.Path == "/create":
			js.mu.Lock()
			next++
			id := next
			items[strings.TrimPrefix(r.URL.Path, "/")] = true
			js.mu.Unlock()
			json.NewEncoder(w).Encode(map[string]any{"item_id": id, "price": 50.0})
		case strings.HasPrefix(r.URL.Path, "/items/"):
			id := strings.TrimPrefix(r.URL.Path, "/items/")
			w.Write([]byte(`{"item_id":` + id + `,"price":50}`))
		case r.URL.Path == "/fail":
			w.WriteHeader(500)
		default:
			w.Write([]byte(`{}`))
		}
	}))
	t.Cleanup(js.Close)
	return js
}

func TestJourneyLoginExtractSetHeaders(t *testing.T) {
	js := newJourneyServer(t)
	r := runPlan(t, plan(t, js.URL, `
target: {url: $URL}
load: {duration: 1s, users: 2}
wait_time: constant 50ms
on_start:
  - post: /login
    json: {username: u}
    extract: {token: json access_token, session: header X-Session}
    set_headers: {Authorization: "Bearer {{ .token }}"}
tasks:
  - name: me
    get: /me
    extract: {uid: regex id=(\d+)}
    expect: {status: 200, contains: "user id"}
`))
	me := r.Endpoint("me")
	if me.Requests == 0 || me.Failures != 0 {
		t.Fatalf("me: %d requests, %d failures %v", me.Requests, me.Failures, me.FailureReasons)
	}
	// The token is a secret now: it must be redacted from any text.
	if got := secret.Redact("echo tok-123"); got != "echo ***" {
		t.Errorf("token not redacted: %q", got)
	}
}

func TestJourneyChainStopsOnFailure(t *testing.T) {
	js := newJourneyServer(t)
	r := runPlan(t, plan(t, js.URL, `
target: {url: $URL}
load: {duration: 1s, users: 1}
wait_time: constant 50ms
tasks:
  - name: chain
    steps:
      - {name: create, post: /create, json: {price: 50.0}, extract: {item_id: json item_id}}
      - name: read
        get: /items/{{ .item_id }}
        expect: {status: 200, json: {item_id: "{{ .item_id }}", price: 50.0}}
      - {name: broken, get: /fail}
      - {name: never, get: /never}
`))
	if c, rd := r.Endpoint("create"), r.Endpoint("read"); c.Requests == 0 || rd.Requests == 0 || c.Failures+rd.Failures != 0 {
		t.Fatalf("create %+v read %+v", c.FailureReasons, rd.FailureReasons)
	}
	if b := r.Endpoint("broken"); b.Failures == 0 || b.FailureReasons["status 500"] != b.Failures {
		t.Errorf("broken: %v", b.FailureReasons)
	}
	if n := r.Endpoint("never"); n.Requests != 0 {
		t.Errorf("the journey went on after a failed step: %d requests to /never", n.Requests)
	}
}

func TestExtractMissingFailsAndStops(t *testing.T) {
	js := newJourneyServer(t)
	r := runPlan(t, plan(t, js.URL, `
target: {url: $URL}
load: {duration: 1s, users: 1}
wait_time: constant 100ms
tasks:
  - steps:
      - {name: login, post: /login, extract: {x: json no.such.path}}
      - {name: after, get: /items/1}
`))
	l := r.Endpoint("login")
	if l.Failures == 0 || l.FailureReasons["extract x: json no.such.path not found in response"] != l.Failures {
		t.Errorf("reasons %v", l.FailureReasons)
	}
	if a := r.Endpoint("after"); a.Requests != 0 {
		t.Errorf("later step ran %d times", a.Requests)
	}
}

func TestExpectReasons(t *testing.T) {
	js := newJourneyServer(t)
	r := runPlan(t, plan(t, js.URL, `
target: {url: $URL}
load: {duration: 1s, users: 1}
wait_time: constant 100ms
tasks:
  - {name: status, get: /me, expect: {status: 200}}
  - {name: json, get: /items/3, expect: {json: {item_id: 4}}}
  - {name: class, get: /items/3, expect: {status: [2xx, 301]}}
`))
	want := map[string]string{"status": "expect status: got 401, want 200", "json": "expect json item_id: got 3, want 4"}
	for name, reason := range want {
		e := r.Endpoint(name)
		if e.Requests > 0 && e.FailureReasons[reason] != e.Requests {
			t.Errorf("%s: reasons %v, want all %q", name, e.FailureReasons, reason)
		}
	}
	if c := r.Endpoint("class"); c.Failures != 0 {
		t.Errorf("class: %v", c.FailureReasons)
	}
}

func TestTypedJSONAndTemplates(t *testing.T) {
	js := newJourneyServer(t)
	runPlan(t, plan(t, js.URL, `
target: {url: $URL}
load: {duration: 300ms, users: 1}
wait_time: constant 100ms
tasks:
  - post: /echo
    query: {q: "{{ seq }}"}
    json:
      price: "{{ randFloat 10 100 2 }}"
      n: "{{ randInt 5 5 }}"
      s: "n{{ randInt 5 5 }}"
      id: "{{ uuid }}"
      who: "{{ fake `+"`"+`email`+"`"+` }}"
      list: [1, "{{ seq }}"]
`))
	js.mu.Lock()
	defer js.mu.Unlock()
	if len(js.bodies) == 0 {
		t.Fatal("no requests")
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(js.bodies[0]), &body); err != nil {
		t.Fatalf("body %q: %v", js.bodies[0], err)
	}
	if _, ok := body["price"].(float64); !ok {
		t.Errorf("price is %T, want a JSON number: %s", body["price"], js.bodies[0])
	}
	if body["n"] != 5.0 || body["s"] != "n5" {
		t.Errorf("n=%v s=%v", body["n"], body["s"])
	}
	if id, _ := body["id"].(string); len(id) != 36 || id[14] != '4' {
		t.Errorf("uuid %q", id)
	}
	if e, _ := body["who"].(string); !strings.Contains(e, "@") {
		t.Errorf("fake email %q", e)
	}
	// seq counts per user: the first request's query has 1 and its list 2.
	if !strings.HasSuffix(js.paths[0], "q=1") {
		t.Errorf("first path %q", js.paths[0])
	}
}

func TestFeeds(t *testing.T) {
	dir := t.TempDir()
	csv := filepath.Join(dir, "a.csv")
	os.WriteFile(csv, []byte("user,pass\nu1,p1\nu2,p2\nu3,p3\n"), 0o644)
	js := newJourneyServer(t)
	yml := `
target: {url: $URL}
load: {duration: 1s, users: 5}
data:
  acc: {csv: ` + csv + `, order: unique}
wait_time: constant 100ms
tasks:
  - get: /echo/{{ .acc.user }}
`
	r := runPlan(t, plan(t, js.URL, yml))
	// Three rows, each used once, five users: two users stop, and say so.
	if len(r.Warnings) == 0 || !strings.Contains(strings.Join(r.Warnings, " "), "2 virtual users stopped early") {
		t.Errorf("warnings %v", r.Warnings)
	}
	seen := map[string]bool{}
	js.mu.Lock()
	for _, p := range js.paths {
		seen[p] = true
	}
	js.mu.Unlock()
	if len(seen) != 3 {
		t.Errorf("paths %v, want u1..u3", seen)
	}
}

func TestSplitUsers(t *testing.T) {
	cases := []struct {
		n    int
		w    []int
		want []int
	}{
		{6, []int{3, 2, 1}, []int{3, 2, 1}},
		{10, []int{3, 2, 1}, []int{5, 3, 2}},
		{3, []int{100, 1, 1}, []int{1, 1, 1}},
		{2, []int{1, 1, 1}, []int{1, 1, 0}},
		{5, []int{1, 0}, []int{5, 0}},
		{7, []int{1, 1}, []int{4, 3}},
	}
	for _, c := range cases {
		got := SplitUsers(c.n, c.w)
		sum := 0
		for _, g := range got {
			sum += g
		}
		if sum != c.n {
			t.Errorf("SplitUsers(%d, %v) = %v: sum %d", c.n, c.w, got, sum)
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("SplitUsers(%d, %v) = %v, want %v", c.n, c.w, got, c.want)
				break
			}
		}
	}
}
