// Package demo is loadgate's built-in target: an HTTP app that behaves like
// the FastAPI app of the usual Locust tutorial, so `loadgate demo` and the
// tests need no Python. It is served in-process.
package demo

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options tunes the demo app.
type Options struct {
	// Slowdown multiplies every deliberate delay: 0 or 1 is normal, 1.15
	// makes them 15% longer (a "slower build" for A/B tests).
	Slowdown float64
}

const (
	// maxItems bounds the created-item store so a long run cannot grow
	// memory without bound; the oldest items are forgotten first.
	maxItems = 100_000
	// evenItemDelay is the tutorial's deliberate delay for even item ids.
	evenItemDelay = 50 * time.Millisecond
)

type item struct {
	Name  string
	Price float64
}

type app struct {
	slowdown float64
	maxItems int64

	mu       sync.Mutex
	items    map[int64]item
	nextItem int64 // last id handed out; ids start at 1001

	nextUser atomic.Int64

	// Tokens are stateless (nonce + HMAC under a per-process key), so any
	// number of logins costs no memory and any issued token stays valid.
	tokenKey []byte
}

// Handler returns the demo app's routes.
func Handler(opts Options) http.Handler {
	return newApp(opts, maxItems)
}

func newApp(opts Options, limit int64) *app {
	s := opts.Slowdown
	if s <= 0 {
		s = 1
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read never fails on supported platforms
	return &app{slowdown: s, maxItems: limit, items: map[int64]item{}, nextItem: 1000, tokenKey: key}
}

// ServeHTTP routes by hand rather than with http.ServeMux so that 404 and
// 405 answers are FastAPI's JSON bodies, not Go's plain text.
func (a *app) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case p == "/hello":
		a.only(w, r, http.MethodGet, a.hello)
	case strings.HasPrefix(p, "/items/") && len(p) > len("/items/") && !strings.Contains(p[len("/items/"):], "/"):
		a.only(w, r, http.MethodGet, a.readItem)
	case p == "/create_item":
		a.only(w, r, http.MethodPost, a.createItem)
	case p == "/login":
		a.only(w, r, http.MethodPost, a.login)
	case p == "/protected_data":
		a.only(w, r, http.MethodGet, a.protected)
	case p == "/users":
		a.only(w, r, http.MethodPost, a.createUser)
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"detail": "Not Found"})
	}
}

// only dispatches if the method matches; GET routes also answer HEAD, as
// Starlette's do (net/http drops the body).
func (a *app) only(w http.ResponseWriter, r *http.Request, method string, h http.HandlerFunc) {
	if r.Method == method || (method == http.MethodGet && r.Method == http.MethodHead) {
		h(w, r)
		return
	}
	w.Header().Set("Allow", strings.Replace(method, "GET", "GET, HEAD", 1))
	writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"detail": "Method Not Allowed"})
}

func (a *app) hello(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"message": "Hello, World!"})
}

func (a *app) readItem(w http.ResponseWriter, r *http.Request) {
	raw := strings.TrimPrefix(r.URL.Path, "/items/")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"detail": []any{map[string]any{
			"type": "int_parsing", "loc": []any{"path", "item_id"},
			"msg": "Input should be a valid integer, unable to parse string as an integer", "input": raw,
		}}})
		return
	}
	if id%2 == 0 {
		// The delay ends early if the client goes away, so a stopped run or a
		// closing server does not wait on sleeping handlers.
		t := time.NewTimer(time.Duration(float64(evenItemDelay) * a.slowdown))
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if id > 1000 {
		a.mu.Lock()
		it, ok := a.items[id]
		a.mu.Unlock()
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]any{"detail": "Item not found"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"item_id": id, "name": it.Name, "price": it.Price})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"item_id": id, "name": "Item " + strconv.FormatInt(id, 10)})
}

func (a *app) createItem(w http.ResponseWriter, r *http.Request) {
	body, ok := decodeBody(w, r)
	if !ok {
		return
	}
	var errs []any
	name, _ := stringField(body, "name", &errs)
	price := numberField(body, "price", &errs)
	if len(errs) > 0 {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"detail": errs})
		return
	}
	a.mu.Lock()
	a.nextItem++
	id := a.nextItem
	a.items[id] = item{Name: name, Price: price}
	// Ids are consecutive, so the item that falls out of the window is
	// exactly id-maxItems: the store never holds more than maxItems.
	delete(a.items, id-a.maxItems)
	a.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"message": "Item created", "item_id": id, "name": name, "price": price})
}

func (a *app) login(w http.ResponseWriter, r *http.Request) {
	var user, pass string
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		// OAuth2PasswordRequestForm style, which FastAPI tutorials also use.
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		_ = r.ParseForm()
		user, pass = r.PostForm.Get("username"), r.PostForm.Get("password")
	} else {
		body, ok := decodeBody(w, r)
		if !ok {
			return
		}
		var errs []any
		user, _ = stringField(body, "username", &errs)
		pass, _ = stringField(body, "password", &errs)
		if len(errs) > 0 {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"detail": errs})
			return
		}
	}
	if user != "testuser" || pass != "password" {
		w.Header().Set("WWW-Authenticate", "Bearer")
		writeJSON(w, http.StatusUnauthorized, map[string]any{"detail": "Incorrect username or password"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"access_token": a.newToken(), "token_type": "bearer"})
}

func (a *app) newToken() string {
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	m := hmac.New(sha256.New, a.tokenKey)
	m.Write(nonce)
	return hex.EncodeToString(nonce) + "." + hex.EncodeToString(m.Sum(nil))
}

func (a *app) validToken(tok string) bool {
	n, s, ok := strings.Cut(tok, ".")
	nonce, err1 := hex.DecodeString(n)
	sig, err2 := hex.DecodeString(s)
	if !ok || err1 != nil || err2 != nil || len(nonce) != 16 {
		return false
	}
	m := hmac.New(sha256.New, a.tokenKey)
	m.Write(nonce)
	return hmac.Equal(sig, m.Sum(nil))
}

func (a *app) protected(w http.ResponseWriter, r *http.Request) {
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	detail := "Not authenticated"
	if strings.EqualFold(scheme, "Bearer") && tok != "" {
		if a.validToken(strings.TrimSpace(tok)) {
			writeJSON(w, http.StatusOK, map[string]any{"data": "secret stuff"})
			return
		}
		detail = "Invalid token"
	}
	w.Header().Set("WWW-Authenticate", "Bearer")
	writeJSON(w, http.StatusUnauthorized, map[string]any{"detail": detail})
}

func (a *app) createUser(w http.ResponseWriter, r *http.Request) {
	body, ok := decodeBody(w, r)
	if !ok {
		return
	}
	var errs []any
	user, ok := stringField(body, "username", &errs)
	if n := len([]rune(user)); ok && (n < 3 || n > 50) {
		errs = append(errs, fieldErr("string_length", "username", "Username must be 3 to 50 characters", user))
	}
	email, ok := stringField(body, "email", &errs)
	if ok && !validEmail(email) {
		errs = append(errs, fieldErr("value_error", "email", "value is not a valid email address", email))
	}
	pass, ok := stringField(body, "password", &errs)
	if ok && len([]rune(pass)) < 8 {
		errs = append(errs, fieldErr("string_too_short", "password", "String should have at least 8 characters", nil))
	}
	if len(errs) > 0 {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"detail": errs})
		return
	}
	// Users are not stored: nothing reads them back, so memory stays flat.
	writeJSON(w, http.StatusCreated, map[string]any{"id": a.nextUser.Add(1), "username": user, "email": email})
}

// validEmail: a non-empty local part, an @, and a dot inside the domain.
func validEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 {
		return false
	}
	dom := s[at+1:]
	dot := strings.IndexByte(dom, '.')
	return dot > 0 && dot < len(dom)-1
}

// decodeBody reads a JSON object body, answering 422 itself when it is not one.
func decodeBody(w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
	var body map[string]any
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil || body == nil {
		msg := "JSON decode error"
		if err == nil {
			msg = "Input should be a valid dictionary"
		}
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"detail": []any{map[string]any{
			"type": "json_invalid", "loc": []any{"body"}, "msg": msg,
		}}})
		return nil, false
	}
	return body, true
}

func fieldErr(typ, field, msg string, input any) map[string]any {
	e := map[string]any{"type": typ, "loc": []any{"body", field}, "msg": msg}
	if input != nil {
		e["input"] = input
	}
	return e
}

// stringField follows pydantic v2: a string is required, numbers are not
// coerced. A problem is appended to errs, so all fields are reported at once.
func stringField(body map[string]any, name string, errs *[]any) (string, bool) {
	v, ok := body[name]
	if !ok {
		*errs = append(*errs, fieldErr("missing", name, "Field required", nil))
		return "", false
	}
	s, ok := v.(string)
	if !ok {
		*errs = append(*errs, fieldErr("string_type", name, "Input should be a valid string", v))
	}
	return s, ok
}

// numberField follows pydantic v2's lax mode: a number or a numeric string.
func numberField(body map[string]any, name string, errs *[]any) float64 {
	v, ok := body[name]
	if !ok {
		*errs = append(*errs, fieldErr("missing", name, "Field required", nil))
		return 0
	}
	var s string
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = strings.TrimSpace(x)
	default:
		*errs = append(*errs, fieldErr("float_type", name, "Input should be a valid number", v))
		return 0
	}
	f, err := strconv.ParseFloat(s, 64)
	// NaN and ±Inf parse but have no JSON form, so they are invalid too.
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		*errs = append(*errs, fieldErr("float_parsing", name, "Input should be a valid number, unable to parse string as a number", v))
		return 0
	}
	return f
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v) // only maps of plain values: cannot fail
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// Server is the demo app listening on a real socket.
type Server struct {
	URL string // http://host:port

	srv  *http.Server
	done chan struct{}
	once sync.Once
	err  error
}

// Start serves the demo app on addr ("127.0.0.1:0" picks a free port).
func Start(addr string, opts Options) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	srv := &http.Server{
		Handler: Handler(opts),
		// Keep-alive stays on (the default), as load tests expect. Bounded
		// reads keep slow or idle clients from pinning goroutines; no
		// WriteTimeout, since handlers are short by design.
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    1 << 20,
	}
	s := &Server{URL: "http://" + clientAddr(ln.Addr()), srv: srv, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		_ = srv.Serve(ln) // returns http.ErrServerClosed after Close
	}()
	return s, nil
}

// clientAddr turns a wildcard listen address into one a client can dial.
func clientAddr(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok || !ta.IP.IsUnspecified() {
		return a.String()
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(ta.Port))
}

// Close shuts the server down gracefully, forcing connections closed if
// in-flight requests take longer than 2s. It is safe to call more than once.
func (s *Server) Close() error {
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := s.srv.Shutdown(ctx); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				err = s.srv.Close()
			}
			s.err = err
		}
		<-s.done
	})
	return s.err
}
