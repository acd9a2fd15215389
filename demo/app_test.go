package demo

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// do sends one request to h and returns the status and decoded JSON body.
func do(t *testing.T, h http.Handler, method, path, body string, hdr map[string]string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	var out map[string]any
	if method != http.MethodHead {
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s %s: body %q is not a JSON object: %v", method, path, rec.Body.String(), err)
		}
	}
	return rec.Code, out
}

func TestRoutes(t *testing.T) {
	h := Handler(Options{})
	do(t, h, "POST", "/create_item", `{"name":"Widget","price":9.5}`, nil)
	_, login := do(t, h, "POST", "/login", `{"username":"testuser","password":"password"}`, nil)
	token, _ := login["access_token"].(string)
	if token == "" {
		t.Fatalf("login gave no token: %v", login)
	}

	tests := []struct {
		name, method, path, body string
		hdr                      map[string]string
		status                   int
		want                     map[string]any // fields that must match; nil: only the status
	}{
		{"hello", "GET", "/hello", "", nil, 200, map[string]any{"message": "Hello, World!"}},
		{"hello HEAD", "HEAD", "/hello", "", nil, 200, nil},
		{"item odd", "GET", "/items/7", "", nil, 200, map[string]any{"item_id": 7.0, "name": "Item 7"}},
		{"item even", "GET", "/items/8", "", nil, 200, map[string]any{"item_id": 8.0, "name": "Item 8"}},
		{"item 1000", "GET", "/items/1000", "", nil, 200, map[string]any{"item_id": 1000.0}},
		{"item over 1000", "GET", "/items/5000001", "", nil, 404, map[string]any{"detail": "Item not found"}},
		{"item created", "GET", "/items/1001", "", nil, 200, map[string]any{"item_id": 1001.0, "name": "Widget", "price": 9.5}},
		{"item not int", "GET", "/items/abc", "", nil, 422, nil},
		{"item float", "GET", "/items/1.5", "", nil, 422, nil},
		{"item nested", "GET", "/items/1/x", "", nil, 404, map[string]any{"detail": "Not Found"}},
		{"items bare", "GET", "/items/", "", nil, 404, nil},
		{"create", "POST", "/create_item", `{"name":"A","price":12}`, nil, 200, map[string]any{"message": "Item created", "item_id": 1002.0, "name": "A", "price": 12.0}},
		{"create numeric string price", "POST", "/create_item", `{"name":"B","price":"3.25"}`, nil, 200, map[string]any{"price": 3.25}},
		{"create missing price", "POST", "/create_item", `{"name":"A"}`, nil, 422, nil},
		{"create bad price", "POST", "/create_item", `{"name":"A","price":"cheap"}`, nil, 422, nil},
		{"create NaN price", "POST", "/create_item", `{"name":"A","price":"NaN"}`, nil, 422, nil},
		{"create number name", "POST", "/create_item", `{"name":5,"price":1}`, nil, 422, nil},
		{"create not JSON", "POST", "/create_item", `name=A`, nil, 422, nil},
		{"create empty body", "POST", "/create_item", "", nil, 422, nil},
		{"create GET", "GET", "/create_item", "", nil, 405, map[string]any{"detail": "Method Not Allowed"}},
		{"login ok", "POST", "/login", `{"username":"testuser","password":"password"}`, nil, 200, map[string]any{"token_type": "bearer"}},
		{"login wrong", "POST", "/login", `{"username":"testuser","password":"nope"}`, nil, 401, map[string]any{"detail": "Incorrect username or password"}},
		{"login missing", "POST", "/login", `{"username":"testuser"}`, nil, 422, nil},
		{"protected ok", "GET", "/protected_data", "", map[string]string{"Authorization": "Bearer " + token}, 200, map[string]any{"data": "secret stuff"}},
		{"protected lower-case scheme", "GET", "/protected_data", "", map[string]string{"Authorization": "bearer " + token}, 200, nil},
		{"protected none", "GET", "/protected_data", "", nil, 401, nil},
		{"protected forged", "GET", "/protected_data", "", map[string]string{"Authorization": "Bearer " + strings.Repeat("0", 32) + ".00"}, 401, nil},
		{"protected basic", "GET", "/protected_data", "", map[string]string{"Authorization": "Basic dGVzdA=="}, 401, nil},
		{"protected POST", "POST", "/protected_data", "", nil, 405, nil},
		{"users ok", "POST", "/users", `{"username":"alice","email":"a@example.com","password":"longenough"}`, nil, 201, map[string]any{"id": 1.0, "username": "alice", "email": "a@example.com"}},
		{"users short name", "POST", "/users", `{"username":"al","email":"a@example.com","password":"longenough"}`, nil, 422, nil},
		{"users long name", "POST", "/users", `{"username":"` + strings.Repeat("x", 51) + `","email":"a@example.com","password":"longenough"}`, nil, 422, nil},
		{"users bad email", "POST", "/users", `{"username":"alice","email":"a@example","password":"longenough"}`, nil, 422, nil},
		{"users no at", "POST", "/users", `{"username":"alice","email":"example.com","password":"longenough"}`, nil, 422, nil},
		{"users short password", "POST", "/users", `{"username":"alice","email":"a@example.com","password":"short"}`, nil, 422, nil},
		{"users missing", "POST", "/users", `{}`, nil, 422, nil},
		{"users GET", "GET", "/users", "", nil, 405, nil},
		{"unknown", "GET", "/nope", "", nil, 404, map[string]any{"detail": "Not Found"}},
		{"root", "GET", "/", "", nil, 404, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, got := do(t, h, tc.method, tc.path, tc.body, tc.hdr)
			if status != tc.status {
				t.Fatalf("status %d, want %d (body %v)", status, tc.status, got)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s = %#v, want %#v (body %v)", k, got[k], v, got)
				}
			}
			if status == 422 {
				if _, ok := got["detail"].([]any); !ok {
					t.Errorf("422 without a FastAPI detail list: %v", got)
				}
			}
		})
	}
}

func TestWrongMethodAllowHeader(t *testing.T) {
	rec := httptest.NewRecorder()
	Handler(Options{}).ServeHTTP(rec, httptest.NewRequest("DELETE", "/hello", nil))
	if rec.Code != 405 || rec.Header().Get("Allow") != "GET, HEAD" {
		t.Fatalf("status %d Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
}

func TestTokensAreDistinct(t *testing.T) {
	h := Handler(Options{})
	seen := map[string]bool{}
	for range 20 {
		_, b := do(t, h, "POST", "/login", `{"username":"testuser","password":"password"}`, nil)
		tok := b["access_token"].(string)
		if seen[tok] {
			t.Fatalf("token %q issued twice", tok)
		}
		seen[tok] = true
	}
	// A token from another app instance (another key) is not accepted.
	other := Handler(Options{})
	for tok := range seen {
		if st, _ := do(t, other, "GET", "/protected_data", "", map[string]string{"Authorization": "Bearer " + tok}); st != 401 {
			t.Fatalf("foreign token accepted: %d", st)
		}
		break
	}
}

func TestItemStoreIsBounded(t *testing.T) {
	a := newApp(Options{}, 3)
	for range 5 {
		do(t, a, "POST", "/create_item", `{"name":"x","price":1}`, nil)
	}
	if n := len(a.items); n != 3 {
		t.Fatalf("store holds %d items, want 3", n)
	}
	if st, _ := do(t, a, "GET", "/items/1001", "", nil); st != 404 {
		t.Errorf("oldest item still served: %d", st)
	}
	if st, _ := do(t, a, "GET", "/items/1005", "", nil); st != 200 {
		t.Errorf("newest item not served: %d", st)
	}
}

func TestEvenItemDelay(t *testing.T) {
	for _, tc := range []struct {
		slowdown float64
		min      time.Duration
	}{{0, 50 * time.Millisecond}, {2.0, 100 * time.Millisecond}} {
		h := Handler(Options{Slowdown: tc.slowdown})
		start := time.Now()
		if st, _ := do(t, h, "GET", "/items/42", "", nil); st != 200 {
			t.Fatalf("status %d", st)
		}
		// Lower bounds only: a busy machine may be slower, never faster.
		if d := time.Since(start); d < tc.min {
			t.Errorf("slowdown %v: even id took %v, want >= %v", tc.slowdown, d, tc.min)
		}
	}
}

func TestStartServesAndCloses(t *testing.T) {
	s, err := Start("127.0.0.1:0", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Fatalf("URL %q", s.URL)
	}
	resp, err := http.Get(s.URL + "/hello")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != `{"message":"Hello, World!"}` {
		t.Fatalf("status %d body %s", resp.StatusCode, b)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	c := &http.Client{Timeout: time.Second}
	if _, err := c.Get(s.URL + "/hello"); err == nil {
		t.Fatal("server still answers after Close")
	}
}

func TestClientAddrWildcard(t *testing.T) {
	// Unit-tested rather than by listening on 0.0.0.0, which would expose a port.
	if got := clientAddr(&net.TCPAddr{IP: net.IPv4zero, Port: 8089}); got != "127.0.0.1:8089" {
		t.Fatalf("got %q", got)
	}
	if got := clientAddr(&net.TCPAddr{IP: net.IPv6loopback, Port: 80}); got != "[::1]:80" {
		t.Fatalf("got %q", got)
	}
}

func TestStartBadAddr(t *testing.T) {
	if _, err := Start("127.0.0.1:notaport", Options{}); err == nil {
		t.Fatal("want an error")
	}
}
