package load

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// djangoApp is a form login in the style of Django: POST /login answers
// 303 to /home with a session cookie and a CSRF cookie; pages need the
// session, writes also an X-CSRFToken header equal to the CSRF cookie;
// /logout expires the session. /r/N redirects N times; /loop/a and
// /loop/b redirect to each other.
func djangoApp(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var hits atomic.Int64
	mux := http.NewServeMux()
	session := func(r *http.Request) bool {
		c, err := r.Cookie("sessionid")
		return err == nil && c.Value == "s3ss10n-abc"
	}
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.PostForm.Get("password") != "right" {
			http.Redirect(w, r, "/login?error=1", http.StatusSeeOther)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "sessionid", Value: "s3ss10n-abc", Path: "/", HttpOnly: true})
		http.SetCookie(w, &http.Cookie{Name: "csrftoken", Value: "csrf-0123456789", Path: "/"})
		http.Redirect(w, r, "/home", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<form>Please enter a correct username and password.</form>"))
	})
	mux.HandleFunc("GET /home", func(w http.ResponseWriter, r *http.Request) {
		if !session(r) {
			http.Redirect(w, r, "/login", http.StatusFound)
			return
		}
		w.Write([]byte("Welcome back"))
	})
	mux.HandleFunc("POST /items", func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie("csrftoken")
		if !session(r) || err != nil || r.Header.Get("X-CSRFToken") != c.Value {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		w.WriteHeader(http.StatusCreated)
	})
	mux.HandleFunc("GET /logout", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "sessionid", Value: "", Path: "/", MaxAge: -1})
		http.Redirect(w, r, "/login", http.StatusFound)
	})
	mux.HandleFunc("GET /r/{n}", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch n := r.PathValue("n"); n {
		case "0":
			w.Write([]byte("arrived"))
		default:
			http.Redirect(w, r, "/r/"+string(rune(n[0]-1)), http.StatusFound)
		}
	})
	mux.HandleFunc("GET /loop/{x}", func(w http.ResponseWriter, r *http.Request) {
		next := map[string]string{"a": "/loop/b", "b": "/loop/a"}[r.PathValue("x")]
		http.Redirect(w, r, next, http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &hits
}

// TestSessionLoginWithCookiesAndCSRF: a form login answered by a 303 and
// two cookies, pages that need the session, a write that needs the CSRF
// token as a header, and a logout: 0 failures with the jar and redirects
// on by default, as Locust's HttpUser has them.
func TestSessionLoginWithCookiesAndCSRF(t *testing.T) {
	srv, _ := djangoApp(t)
	r := runPlan(t, plan(t, srv.URL, `
target: {url: $URL, timeout: 2s}
load: {duration: 1s, users: 3}
users:
  - name: member
    wait_time: constant 50ms
    on_start:
      - {name: login, post: /login, form: {username: u, password: right}, expect: {contains: Welcome}, extract: {csrf: cookie csrftoken}}
    tasks:
      - {name: home, get: /home, expect: {contains: Welcome}}
      - {name: create, post: /items, json: {name: x}, headers: {X-CSRFToken: "{{ .csrf }}"}, expect: {status: 201}}
    on_stop:
      - {name: logout, get: /logout}
`))
	if r.Total.Failures != 0 || r.Endpoint("home").Requests == 0 || r.Endpoint("create").Requests == 0 || r.Endpoint("logout").Requests != 3 {
		t.Errorf("failures %v; home %d, create %d, logout %d", r.Total.FailureReasons,
			r.Endpoint("home").Requests, r.Endpoint("create").Requests, r.Endpoint("logout").Requests)
	}
	// Followed, the login is one request whose final status is the page's.
	if r.Endpoint("login").StatusCodes["200"] != 3 {
		t.Errorf("login statuses %v", r.Endpoint("login").StatusCodes)
	}
	// Without the jar, the pages see no session.
	r = runPlan(t, plan(t, srv.URL, `
target: {url: $URL, timeout: 2s, cookies: false}
load: {duration: 1s, users: 1}
wait_time: constant 50ms
on_start:
  - {name: login, post: /login, form: {username: u, password: right}}
tasks:
  - {name: home, get: /home, expect: {contains: Welcome}}
`))
	if h := r.Endpoint("home"); h.Requests == 0 || h.Failures != h.Requests {
		t.Errorf("cookies: false: home %+v", h)
	}
}

// TestRedirects: a chain of 3 hops is one request with the final status;
// a loop is one failure with its reason; redirects: 0 measures each 3xx.
func TestRedirects(t *testing.T) {
	srv, hits := djangoApp(t)
	r := runPlan(t, plan(t, srv.URL, `
target: {url: $URL, timeout: 2s}
load: {duration: 1s, users: 1}
wait_time: constant 100ms
tasks:
  - {name: chain, get: /r/3, expect: {contains: arrived}}
  - {name: loop, get: /loop/a}
  - {name: as sent, get: /r/3, redirects: 0}
`))
	chain, loop, sent := r.Endpoint("chain"), r.Endpoint("loop"), r.Endpoint("as sent")
	if chain.Requests == 0 || chain.Failures != 0 || chain.StatusCodes["200"] != chain.Requests {
		t.Errorf("chain: %+v", chain)
	}
	if loop.Requests == 0 || loop.FailureReasons["redirect loop"] != loop.Requests {
		t.Errorf("loop: %+v", loop)
	}
	if sent.Requests == 0 || sent.StatusCodes["302"] != sent.Requests || sent.Failures != 0 {
		t.Errorf("redirects: 0: %+v", sent)
	}
	if want := 4*chain.Requests + sent.Requests; hits.Load() < want {
		t.Errorf("the server saw %d requests of /r/, want at least %d", hits.Load(), want)
	}
	// A wrong password: the 303 leads to the error page, which the check
	// of the login's content catches; with stop_test the run ends there.
	r = runPlan(t, plan(t, srv.URL, `
target: {url: $URL, timeout: 2s}
load: {duration: 20s, users: 1}
on_start:
  - {name: login, post: /login, form: {username: u, password: wrong}, expect: {contains: Welcome}, on_failure: stop_test}
tasks: [{get: /home}]
`))
	if !strings.Contains(r.Aborted, `step login failed (expect contains "Welcome": not found)`) {
		t.Errorf("aborted %q", r.Aborted)
	}
}

// TestExtractHeaderRegex: a regex searches every value of a header, so the
// second of two Set-Cookie lines yields its cookie.
func TestExtractHeaderRegex(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/login" {
			w.Header().Add("Set-Cookie", "sessionid=s1; Path=/; HttpOnly")
			w.Header().Add("Set-Cookie", "csrftoken=c0ffee42; Path=/")
			return
		}
		if r.Header.Get("X-CSRFToken") != "c0ffee42" {
			w.WriteHeader(403)
		}
	}))
	t.Cleanup(srv.Close)
	r := runPlan(t, plan(t, srv.URL, `
target: {url: $URL, cookies: false}
load: {duration: 1s, users: 1}
wait_time: constant 100ms
tasks:
  - name: j
    steps:
      - {name: login, post: /login, extract: {csrf: "header Set-Cookie regex csrftoken=(\\w+)"}}
      - {name: note, post: /notes, headers: {X-CSRFToken: "{{ .csrf }}"}}
`))
	if r.Total.Failures != 0 || r.Endpoint("note").Requests == 0 {
		t.Errorf("failures %v", r.Total.FailureReasons)
	}
}
