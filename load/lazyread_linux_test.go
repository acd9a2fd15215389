//go:build linux && !race && !386

package load

import (
	"context"
	"net/http"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// clientLowat reads SO_RCVLOWAT of the user's (only) connection.
func clientLowat(t *testing.T, u Client) int {
	t.Helper()
	uc := u.(*userClient)
	if len(uc.conns) != 1 || uc.conns[0].raw == nil {
		t.Fatalf("want one raw connection, have %d", len(uc.conns))
	}
	v := -1
	uc.conns[0].raw.Control(func(fd uintptr) {
		v, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVLOWAT)
	})
	return v
}

// TestFastClientLazyMarkLoweredBeforeWrite: an ordinary request written on a
// connection whose previous response was read lazily must have the
// receive low-water mark back at one byte before the request reaches the
// server. Otherwise a response that comes back before the client lowers
// the mark (on loopback the server often answers between the client's
// write and its setsockopt) is seen only because Linux >= 4.18 signals
// EPOLLIN when the mark is lowered (tcp_set_rcvlowat -> tcp_data_ready);
// on older kernels the arrival was filtered by tcp_poll and the request
// waits for target.timeout.
func TestFastClientLazyMarkLoweredBeforeWrite(t *testing.T) {
	needLazy(t)
	var fd atomic.Int64
	fd.Store(-1)
	var bad, checked atomic.Int64
	url, u := lazyUser(t, 2*time.Second, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ordinary" {
			if f := int(fd.Load()); f >= 0 {
				checked.Add(1)
				if v, _ := syscall.GetsockoptInt(f, syscall.SOL_SOCKET, syscall.SO_RCVLOWAT); v > 1 {
					bad.Add(1)
				}
			}
		}
		w.Write([]byte("ok"))
	})
	u.(*userClient).conns[0].raw.Control(func(f uintptr) { fd.Store(int64(f)) })
	for i := 0; i < 20; i++ {
		req := reqFor(t, url+"/", "GET")
		req.Sent = time.Now()
		req.ReadAt = req.Sent.Add(time.Millisecond)
		if resp, err := u.Do(context.Background(), req, false); err != nil || resp.Arrived.IsZero() {
			t.Fatalf("lazy request %d: %v (arrived %v)", i, err, resp != nil && !resp.Arrived.IsZero())
		}
		req = reqFor(t, url+"/ordinary", "GET")
		if _, err := u.Do(context.Background(), req, false); err != nil {
			t.Fatal(err)
		}
	}
	if bad.Load() > 0 {
		t.Errorf("%d of %d ordinary requests reached the server while the client's SO_RCVLOWAT was still raised", bad.Load(), checked.Load())
	}
}

// TestFastClientLazyMarkRaised: the point of the change, not checked by
// lazyread_test.go (a lazyPrep that never raises the mark passes it): a
// lazily read request leaves the mark raised, an ordinary one puts it back.
func TestFastClientLazyMarkRaised(t *testing.T) {
	needLazy(t)
	url, u := lazyUser(t, 2*time.Second, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	req := reqFor(t, url+"/", "GET")
	req.Sent = time.Now()
	req.ReadAt = req.Sent.Add(time.Millisecond)
	if _, err := u.Do(context.Background(), req, false); err != nil {
		t.Fatal(err)
	}
	if v := clientLowat(t, u); v <= 1 {
		t.Errorf("after a lazy read SO_RCVLOWAT is %d, want it raised", v)
	}
	if _, err := u.Do(context.Background(), reqFor(t, url+"/", "GET"), false); err != nil {
		t.Fatal(err)
	}
	if v := clientLowat(t, u); v != 1 {
		t.Errorf("after an ordinary read SO_RCVLOWAT is %d, want 1", v)
	}
}

// arrivedCounter wraps the engine's client and counts what do() passes.
type arrivedCounter struct {
	Client
	hinted, arrived atomic.Int64
}

func (a *arrivedCounter) Do(ctx context.Context, r *Request, needBody bool) (*Response, error) {
	resp, err := a.Client.Do(ctx, r, needBody)
	if !r.ReadAt.IsZero() {
		a.hinted.Add(1)
	}
	if err == nil && !resp.Arrived.IsZero() {
		a.arrived.Add(1)
	}
	return resp, err
}

// TestFastClientLazyOpenModelSendsReadHints: the engine wiring (do -> readHint ->
// Request.ReadAt) is not checked by TestFastClientLazyOpenModel, which
// passes with ReadAt never set.
func TestFastClientLazyOpenModelSendsReadHints(t *testing.T) {
	needLazy(t)
	srv, _ := countingServer(t, 0)
	ac := &arrivedCounter{Client: NewFastClient(5*time.Second, true)}
	p := plan(t, srv.URL, `
target: {url: $URL}
load: {duration: 500ms, arrival_rate: 600/s, users: 50}
tasks: [{get: /}]
`)
	if _, err := Run(context.Background(), p, Options{Client: ac}); err != nil {
		t.Fatal(err)
	}
	if h, a := ac.hinted.Load(), ac.arrived.Load(); h < 200 || a < 200 {
		t.Errorf("%d requests carried a ReadAt, %d came back with Arrived; want most of 300", h, a)
	}
}
