package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/loadgate/loadgate/load/result"
)

// DefaultWebAddr is where the live dashboard listens unless told otherwise:
// loopback, so a run on a shared machine does not publish its endpoints.
const DefaultWebAddr = "127.0.0.1:8089"

// Dashboard serves a live view of a running load: one page whose numbers
// and charts the server updates once a second through server-sent events
// (a plain HTTP response that stays open; no WebSocket, no library). It is
// safe for concurrent use: the load engine calls Update while browsers read.
type Dashboard struct {
	srv  *http.Server
	url  string
	host string // the listen host, accepted in the Host header
	keep bool
	quit chan struct{} // closed by Close: event streams end
	done chan struct{} // closed when the server has stopped serving
	once sync.Once

	mu    sync.Mutex
	st    liveState
	ver   int           // bumped on every change
	wake  chan struct{} // closed and replaced on every change
	cache []byte        // the event of version cacheVer
	cv    int
	final []byte // the full HTML report, once the run has finished
}

// StartDashboard listens on addr ("127.0.0.1:0" picks a free port) and
// serves the dashboard until Close. With keep, the page turns into the full
// HTML report when the run finishes, for a server kept after the run.
func StartDashboard(addr string, keep bool) (*Dashboard, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	host, _, _ := net.SplitHostPort(addr)
	d := &Dashboard{url: "http://" + dialAddr(ln.Addr()) + "/", host: host, keep: keep,
		quit: make(chan struct{}), done: make(chan struct{}), wake: make(chan struct{}), cv: -1}
	d.st = liveState{Phase: "starting", Badge: "none", Elapsed: "0s", RPS: "0.0", P95: "0.0", Status: "Waiting for the load to start…", Keep: keep}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", d.page)
	mux.HandleFunc("GET /events", d.events)
	d.srv = &http.Server{
		Handler: d.guard(mux),
		// No WriteTimeout: an event stream lasts as long as the run.
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	go func() {
		defer close(d.done)
		_ = d.srv.Serve(ln) // http.ErrServerClosed after Close
	}()
	return d, nil
}

// dialAddr turns a wildcard listen address into one a browser can open.
func dialAddr(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok || !ta.IP.IsUnspecified() {
		return a.String()
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(ta.Port))
}

// URL is the dashboard's address, e.g. http://127.0.0.1:8089/.
func (d *Dashboard) URL() string { return d.url }

// Update records a progress snapshot; browsers see it within a moment.
func (d *Dashboard) Update(p result.Progress) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.st.progress(p)
	d.changed()
}

// Finish shows the final result: its timeline, totals and verdict. With
// keep, the page becomes the full HTML report.
func (d *Dashboard) Finish(r *result.Result) error {
	var final []byte
	var err error
	if d.keep {
		var b bytes.Buffer
		if err = HTML(&b, r); err == nil {
			final = b.Bytes()
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.st.finish(r)
	d.final = final
	d.changed()
	return err
}

// changed publishes a new state; d.mu is held.
func (d *Dashboard) changed() {
	d.ver++
	close(d.wake)
	d.wake = make(chan struct{})
}

// Close ends the event streams and stops the server. Event streams never go
// idle, so they are ended first; otherwise Shutdown would wait for them.
func (d *Dashboard) Close() error {
	var err error
	d.once.Do(func() {
		close(d.quit)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err = d.srv.Shutdown(ctx); errors.Is(err, context.DeadlineExceeded) {
			err = d.srv.Close()
		}
		<-d.done
	})
	return err
}

// guard refuses requests whose Host header names a domain that is not
// this server's. A web page on another site could otherwise point a DNS
// name at 127.0.0.1 (DNS rebinding) and read the dashboard. It also sets
// headers that keep the page out of frames and caches.
func (d *Dashboard) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.Trim(host, "[]")
		ok := net.ParseIP(host) != nil || strings.EqualFold(host, "localhost") ||
			strings.HasSuffix(strings.ToLower(host), ".localhost") || (d.host != "" && strings.EqualFold(host, d.host))
		if !ok {
			http.Error(w, "loadgate dashboard: unexpected Host header", http.StatusMisdirectedRequest)
			return
		}
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// page serves the dashboard, drawn with the current state so it shows
// something at once (and without script); or, after a kept run, the report.
func (d *Dashboard) page(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	final, st := d.final, d.st
	d.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if final != nil {
		_, _ = w.Write(final)
		return
	}
	var b bytes.Buffer
	if err := execute(&b, liveTmpl, st.view()); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	_, _ = w.Write(b.Bytes())
}

// events streams the state as server-sent events: the current state at
// once, then each new one. A slow browser skips versions rather than
// slowing the run: it always gets the latest.
func (d *Dashboard) events(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	if _, err := fmt.Fprint(w, "retry: 2000\n\n"); err != nil {
		return
	}
	sent := -1
	for {
		data, ver, wake, done := d.snapshot()
		if ver != sent {
			if _, err := fmt.Fprintf(w, "event: state\ndata: %s\n\n", data); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
			sent = ver
		}
		if done { // the page stops listening after the final state
			return
		}
		select {
		case <-wake:
		case <-r.Context().Done():
			return
		case <-d.quit:
			return
		}
	}
}

// snapshot returns the current event, rendering it once per version.
func (d *Dashboard) snapshot() (data []byte, ver int, wake chan struct{}, done bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cv != d.ver {
		d.cache, d.cv = d.st.event(), d.ver
	}
	return d.cache, d.ver, d.wake, d.st.Done
}
