package load

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestUnsafeValuesAreNeverSent: a value a server returned, holding CR/LF,
// used in a path or a header, would smuggle a second request (with the
// user's session header) onto the connection. The request fails with a
// reason naming the field, and the server receives none of those bytes.
func TestUnsafeValuesAreNeverSent(t *testing.T) {
	const evil = "1 HTTP/1.1\r\nX-Smuggled: yes\r\n\r\nGET /admin/delete-all"
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, r.Method+" "+r.RequestURI+" "+strings.Join(r.Header.Values("X-Id"), ",")+" "+r.Header.Get("X-Smuggled")+string(b))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"id": "1 HTTP/1.1\r\nX-Smuggled: yes\r\n\r\nGET /admin/delete-all"}`))
	}))
	t.Cleanup(srv.Close)
	for _, c := range []struct{ name, step, reason string }{
		{"path", `get: "/items/{{ .id }}"`, "unsafe value in path"},
		{"header", "get: /items\n        headers: {X-Id: \"{{ .id }}\"}", "unsafe value in header X-Id"},
	} {
		t.Run(c.name, func(t *testing.T) {
			mu.Lock()
			seen = nil
			mu.Unlock()
			r := runPlan(t, plan(t, srv.URL, `
target: {url: $URL, timeout: 2s}
load: {duration: 1s, users: 1}
wait_time: constant 100ms
tasks:
  - name: journey
    steps:
      - {name: login, post: /login, json: {user: u}, extract: {id: json id}}
      - name: next
        `+c.step+`
`))
			next := r.Endpoint("next")
			if next == nil || next.Requests == 0 || next.Failures != next.Requests || next.FailureReasons[c.reason] != next.Requests {
				t.Fatalf("next: %+v", next)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, s := range seen {
				if strings.Contains(s, "Smuggled") || strings.Contains(s, "admin") || !strings.HasPrefix(s, "POST /login") {
					t.Errorf("the server received %q", s)
				}
			}
			if len(seen) == 0 {
				t.Error("the server received nothing")
			}
		})
	}
}
