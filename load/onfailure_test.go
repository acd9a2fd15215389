package load

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// appServer answers /login with 401 unless the password is right, /slow
// after 50 ms, /page with a body holding "Traceback", anything else 200.
func appServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/login":
			r.ParseForm()
			if r.PostForm.Get("password") != "right" {
				w.WriteHeader(401)
				return
			}
		case "/slow":
			time.Sleep(50 * time.Millisecond)
		case "/page":
			w.Write([]byte("<p>Traceback (most recent call last)</p>"))
			return
		}
		w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestOnFailureStopTest: a wrong password at login with on_failure:
// stop_test ends a 30 s run within a second, and the result says which
// step and why; nothing is sent after it.
func TestOnFailureStopTest(t *testing.T) {
	srv := appServer(t)
	start := time.Now()
	r := runPlan(t, plan(t, srv.URL, `
target: {url: $URL, timeout: 2s}
load: {duration: 30s, users: 3}
users:
  - name: member
    on_start:
      - {name: login, post: /login, form: {password: wrong}, on_failure: stop_test}
    tasks: [{name: home, get: /home}]
`))
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the run lasted %s after the failed login", took)
	}
	if !strings.Contains(r.Aborted, "step login failed (status 401) and has on_failure: stop_test") {
		t.Errorf("aborted %q", r.Aborted)
	}
	if home := r.Endpoint("home"); home != nil && home.Requests > 0 {
		t.Errorf("%d requests after the failed login", home.Requests)
	}
}

// TestOnFailureStopUserAndContinue: stop_user stops only the user whose
// step failed; continue (the default) goes on with the next task.
func TestOnFailureStopUserAndContinue(t *testing.T) {
	srv := appServer(t)
	for _, c := range []struct {
		policy string
		many   bool
	}{{"stop_user", false}, {"continue", true}} {
		r := runPlan(t, plan(t, srv.URL, `
target: {url: $URL, timeout: 2s}
load: {duration: 1s, users: 1}
wait_time: constant 20ms
tasks:
  - {name: login, post: /login, form: {password: wrong}, on_failure: `+c.policy+`}
`))
		n := r.Endpoint("login").Requests
		if (n > 1) != c.many || (c.policy == "stop_user" && !strings.Contains(strings.Join(r.Warnings, " "), "on_failure: stop_user")) {
			t.Errorf("%s: %d requests, warnings %v", c.policy, n, r.Warnings)
		}
	}
}

// TestExpectWithinNotContainsMessageAndThink: the checks of a response
// beyond status and body content, and a pause after a step.
func TestExpectWithinNotContainsMessageAndThink(t *testing.T) {
	srv := appServer(t)
	r := runPlan(t, plan(t, srv.URL, `
target: {url: $URL, timeout: 2s}
load: {duration: 1s, users: 1}
wait_time: none
tasks:
  - name: journey
    steps:
      - {name: slow, get: /slow, expect: {within: 10ms}, on_failure: continue}
  - {name: page, get: /page, expect: {not_contains: Traceback}}
  - {name: custom, get: /page, expect: {not_contains: Traceback, message: the page shows a stack trace}}
`))
	for name, reason := range map[string]string{
		"slow":   "slower than 10ms",
		"page":   `expect not_contains "Traceback": found`,
		"custom": "the page shows a stack trace",
	} {
		ep := r.Endpoint(name)
		if ep == nil || ep.Requests == 0 || ep.FailureReasons[reason] != ep.Requests {
			t.Errorf("%s: %+v, want every request to fail with %q", name, ep, reason)
		}
	}
	// With a 300 ms pause between its steps, the task runs at most 4
	// times a second, although the user never waits between tasks.
	r = runPlan(t, plan(t, srv.URL, `
target: {url: $URL, timeout: 2s}
load: {duration: 1s, users: 1}
wait_time: none
tasks:
  - name: thinking
    steps:
      - {name: first, get: /home, think: 300ms}
      - {name: second, get: /home}
`))
	if n := r.Endpoint("second").Requests; n == 0 || n > 4 {
		t.Errorf("second: %d requests in 1 s with think: 300ms before it", n)
	}
}

// TestFailureSamples: a failed response's reason comes with the start of
// what the server said (redacted), so a 500 is not only "status 500".
func TestFailureSamples(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
		w.Write([]byte(`{"detail": "database is down: connection to db:5432 refused"}` + strings.Repeat(" ", 1000)))
	}))
	t.Cleanup(srv.Close)
	r := runPlan(t, plan(t, srv.URL, `
target: {url: $URL}
load: {duration: 1s, users: 1}
wait_time: constant 100ms
tasks: [{name: x, get: /x}]
`))
	got := r.Endpoint("x").FailureSamples["status 500"]
	if !strings.HasPrefix(got, `{"detail": "database is down`) || len(got) > 60 {
		t.Errorf("sample %q", got)
	}
}

// TestBytesReceived: the bodies' bytes are counted, for the CSV's Average
// Content Size (always 0 before), whether or not a check kept them.
func TestBytesReceived(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("x", 100)))
	}))
	t.Cleanup(srv.Close)
	r := runPlan(t, plan(t, srv.URL, `
target: {url: $URL}
load: {duration: 1s, users: 1}
wait_time: constant 50ms
tasks: [{name: plain, get: /a}, {name: checked, get: /b, expect: {contains: x}}]
`))
	for _, s := range append(r.Endpoints, r.Total) {
		if s.Requests == 0 || s.BytesReceived != 100*s.Requests {
			t.Errorf("%s: %d bytes for %d requests", s.Name, s.BytesReceived, s.Requests)
		}
	}
}
