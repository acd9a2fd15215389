package httpc

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// fastClient is loadgate's own HTTP/1.1 client: one keep-alive connection
// per virtual user (as a browser or a Locust session keeps one), requests
// written with a single write, responses parsed in place from a pooled
// buffer. It exists because net/http spends several times the CPU per
// request of purpose-built clients (two goroutines per connection, header
// maps, channel hand-offs), and on a 2-core CI runner every CPU-second the
// generator spends is taken from the app under test.
//
// It does what a load generator needs and no more: HTTP/1.1 with
// keep-alive, TLS, Content-Length, chunked and read-until-close bodies, no
// redirects (a 3xx is measured as sent), deadlines for the request timeout.
type FastClient struct {
	timeout time.Duration
	dialer  net.Dialer
	tlsConf *tls.Config

	mu     sync.Mutex
	conns  map[*fconn]struct{} // every open connection, so Close can cut them all
	closed bool
	idle   []*fconn // the shared pool (connections: shared)
	Shared bool
	// MaxBody bounds the body kept for checks (DefaultMaxBody when 0).
	MaxBody int
}

// NewFastClient returns loadgate's HTTP/1.1 client. With shared set, users
// draw connections from one pool; otherwise each user gets its own through
// ForUser.
func NewFastClient(timeout time.Duration, shared bool) *FastClient {
	return &FastClient{
		timeout: timeout,
		dialer:  net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second},
		tlsConf: &tls.Config{MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}},
		conns:   map[*fconn]struct{}{},
		Shared:  shared,
	}
}

func (fc *FastClient) maxBody() int {
	if fc.MaxBody > 0 {
		return fc.MaxBody
	}
	return DefaultMaxBody
}

// fconn is one connection and its parse state.
type fconn struct {
	c      net.Conn
	scheme string    // http or https
	addr   string    // host:port it is connected to
	buf    []byte    // read buffer, from bufPool while a request is in flight
	bufp   *[]byte   // the pool's handle for buf, returned as it came (no allocation)
	dl     time.Time // the socket deadline currently set
	r, w   int       // unread bytes are buf[r:w]
	wbuf   []byte    // request being written; kept per connection
	broken bool

	// Plain TCP on Unix: the request is written from inside the raw read
	// callback (see rawStep), so no read is tried before the response can
	// have arrived. raw is nil for TLS.
	raw    syscall.RawConn
	step   func(uintptr) bool // c.rawStep, bound once
	wn     int                // bytes of wbuf written
	rawErr error              // the system call error rawStep met
	probe  bool               // check the idle connection before writing (see probeIdle)
	sock   syscall.RawConn    // the TCP socket, under TLS too: the idle check on the net.Conn path
	peek   func(uintptr) bool // c.peekStep, bound on first use
	peekOK bool               // what peekStep found

	lastSent time.Time // when the previous request on this connection started
	got      int       // response bytes received in this exchange
}

// probeIdle: a reused connection idle at least this long is checked for a
// close (or stray bytes) from the server before the request is written,
// and goes unsent to a fresh connection if the server is done with it.
// The raw path parks without reading after its write, and the runtime
// drops a readiness event that arrived while the connection was idle, so
// a server's FIN would go unseen until the deadline if the server kept the
// socket half open. The net.Conn path (TLS) would read a stray 408 sent
// on the idle connection as the next request's response. Servers close
// idle connections after a keep-alive timeout of seconds, and a connection
// busier than this costs no extra system call per request; one closed
// within probeIdle answers the write with a reset, which is retried as
// before.
const probeIdle = 10 * time.Millisecond

// bufPool holds read buffers. A connection holds one only while a response
// is being read, so 10,000 users thinking between requests hold none.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 4096); return &b }}

// userClient is the Client a virtual user sees: its own connection to each
// host it talks to (almost always one).
type userClient struct {
	fc    *FastClient
	conns []*fconn
	resp  Response // reused: a user reads its response before sending the next request
}

// ForUser returns a client for one virtual user.
func (fc *FastClient) ForUser() Client { return &userClient{fc: fc} }

// Do is the shared-pool path: take an idle connection, or dial.
func (fc *FastClient) Do(ctx context.Context, r *Request, needBody bool) (*Response, error) {
	var c *fconn
	fc.mu.Lock()
	for i := len(fc.idle) - 1; i >= 0; i-- {
		if fc.idle[i].scheme == r.Scheme && fc.idle[i].addr == r.Addr {
			c = fc.idle[i]
			fc.idle = append(fc.idle[:i], fc.idle[i+1:]...)
			break
		}
	}
	fc.mu.Unlock()
	resp, c, err := fc.roundTrip(ctx, c, r, needBody, &Response{})
	if c != nil && err == nil && !c.broken {
		fc.mu.Lock()
		fc.idle = append(fc.idle, c)
		fc.mu.Unlock()
	}
	return resp, err
}

func (u *userClient) Do(ctx context.Context, r *Request, needBody bool) (*Response, error) {
	idx := -1
	for i, c := range u.conns {
		if c.scheme == r.Scheme && c.addr == r.Addr {
			idx = i
			break
		}
	}
	var old *fconn
	if idx >= 0 {
		old = u.conns[idx]
	}
	resp, c, err := u.fc.roundTrip(ctx, old, r, needBody, &u.resp)
	// roundTrip may have replaced a stale connection with a fresh one.
	switch {
	case c == nil || c.broken:
		if idx >= 0 {
			u.conns = append(u.conns[:idx], u.conns[idx+1:]...)
		}
	case idx >= 0:
		u.conns[idx] = c
	default:
		u.conns = append(u.conns, c)
	}
	return resp, err
}

// CloseIdle closes this user's connections (the user has stopped).
func (u *userClient) CloseIdle() {
	for _, c := range u.conns {
		u.fc.closeConn(c)
	}
	u.conns = nil
}

// CloseIdle closes every connection: the run is over, or was interrupted
// and in-flight requests must end now.
func (fc *FastClient) CloseIdle() {
	fc.mu.Lock()
	fc.closed = true
	conns := fc.conns
	fc.conns = map[*fconn]struct{}{}
	fc.idle = nil
	fc.mu.Unlock()
	for c := range conns {
		c.c.Close()
	}
}

func (fc *FastClient) closeConn(c *fconn) {
	c.broken = true
	c.c.Close()
	fc.mu.Lock()
	delete(fc.conns, c)
	fc.mu.Unlock()
	c.release()
}

func (fc *FastClient) dial(ctx context.Context, r *Request) (*fconn, error) {
	type dialed struct {
		c   *fconn
		err error
	}
	// Dialing and the TLS handshake run on a goroutine of their own: they
	// need a deep stack (resolver, socket set-up, crypto), and a user's
	// goroutine that grew to hold it would keep the larger stack for the
	// whole run (the runtime shrinks stacks only at a GC, by half). With
	// thousands of users that is most of loadgate's memory. The wait is
	// bounded: the dialer and the handshake each have target.timeout, and
	// an interrupted run's ctx cuts both.
	ch := make(chan dialed, 1)
	go func() {
		c, err := fc.connect(ctx, r)
		ch <- dialed{c, err}
	}()
	d := <-ch
	return d.c, d.err
}

// connect dials r's address and, for https, completes the TLS handshake.
func (fc *FastClient) connect(ctx context.Context, r *Request) (*fconn, error) {
	nc, err := fc.dialer.DialContext(ctx, "tcp", r.Addr)
	if err != nil {
		return nil, err
	}
	sock := rawConnOf(nc)
	if r.Scheme == "https" {
		cfg := fc.tlsConf.Clone()
		cfg.ServerName = hostOnly(r.Addr)
		tc := tls.Client(nc, cfg)
		tctx, cancel := context.WithTimeout(ctx, fc.timeout)
		err := tc.HandshakeContext(tctx)
		cancel()
		if err != nil {
			nc.Close()
			return nil, err
		}
		nc = tc
	}
	c := &fconn{c: nc, scheme: r.Scheme, addr: r.Addr, sock: sock}
	if r.Scheme != "https" && sock != nil {
		c.raw, c.step = sock, c.rawStep // crypto/tls owns a TLS socket's reads and writes
	}
	fc.mu.Lock()
	if fc.closed {
		fc.mu.Unlock()
		nc.Close()
		return nil, context.Canceled
	}
	fc.conns[c] = struct{}{}
	fc.mu.Unlock()
	return c, nil
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

// deadlineSlack bounds how early a reused socket deadline may be.
const deadlineSlack = 50 * time.Millisecond

// errStale marks a failure on a reused connection before any response byte
// arrived: the server closed an idle keep-alive connection, so the request
// is retried once on a fresh one, as RFC 9110 (section 9.2.2) allows: when
// nothing of it was sent, or when its method is idempotent. A POST that was
// sent whole may have been acted on, so its closed connection is a failure,
// and the server's count of requests and loadgate's agree.
var errStale = errors.New("stale keep-alive connection")

// idempotent reports RFC 9110's idempotent methods, which a client may
// send again after a connection failed.
func idempotent(method string) bool {
	switch method {
	case "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE":
		return true
	}
	return false
}

// roundTrip sends one request on c (dialing when c is nil) and reads the
// response. It returns the connection for reuse, or a broken/nil one.
func (fc *FastClient) roundTrip(ctx context.Context, c *fconn, r *Request, needBody bool, resp *Response) (*Response, *fconn, error) {
	if err := ctx.Err(); err != nil {
		return nil, c, err
	}
	if err := r.Check(); err != nil {
		return nil, c, err
	}
	sent := r.Sent
	if sent.IsZero() {
		sent = time.Now()
	}
	deadline := sent.Add(fc.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	for attempt := 0; ; attempt++ {
		reused := c != nil
		if c == nil {
			var err error
			if c, err = fc.dial(ctx, r); err != nil {
				return nil, nil, err
			}
		}
		err := c.exchange(r, needBody, sent, deadline, reused, resp, fc.maxBody())
		if err == nil {
			if resp.close {
				fc.closeConn(c)
			}
			return resp, c, nil
		}
		fc.closeConn(c)
		if errors.Is(err, errStale) && attempt == 0 {
			c = nil
			continue
		}
		if errors.Is(err, errStale) {
			err = io.EOF
		}
		return nil, c, err
	}
}

// exchange writes the request and reads the whole response.
func (c *fconn) exchange(r *Request, needBody bool, sent, deadline time.Time, reused bool, resp *Response, maxBody int) error {
	// Moving a socket deadline re-arms runtime timers; on a busy connection
	// that is a measurable share of the request's CPU. The deadline is moved
	// only when it is more than deadlineSlack early or at all late, so a
	// request's timeout is exact to within 1% (at most 50 ms).
	slack := min(deadlineSlack, time.Until(deadline)/100)
	if c.dl.IsZero() || c.dl.After(deadline) || deadline.Sub(c.dl) > slack {
		if err := c.c.SetDeadline(deadline); err != nil {
			return err
		}
		c.dl = deadline
	}
	c.wbuf = appendRequest(c.wbuf[:0], r)
	c.probe = reused && sent.Sub(c.lastSent) >= probeIdle
	c.lastSent = sent
	c.bufp = bufPool.Get().(*[]byte)
	c.buf, c.r, c.w, c.got = *c.bufp, 0, 0, 0
	defer c.release()
	*resp = Response{Headers: resp.Headers[:0], Body: resp.Body[:0], Snippet: resp.Snippet[:0]}
	wrote, err := c.send()
	if !wrote {
		if reused && (c.wn == 0 || idempotent(r.Method)) {
			return errStale
		}
		return err
	}
	if err == nil {
		err = c.readResponse(r.Method == "HEAD", needBody, r.KeepMeta, resp, maxBody)
	}
	// Stale only if nothing of the response came (c.r and c.w go back to
	// 0 whenever the buffer is drained, so they cannot tell).
	if err != nil && reused && c.got == 0 && (errors.Is(err, io.EOF) || isReset(err)) && idempotent(r.Method) {
		return errStale
	}
	return err
}

// send writes the request; wrote reports whether all of it went out. On
// the raw path it also waits for the response and reads its first bytes,
// so err may be a read error with wrote true.
func (c *fconn) send() (wrote bool, err error) {
	c.wn = 0
	if c.raw != nil {
		err := c.rawRun()
		if c.wn == len(c.wbuf) {
			return true, err
		}
		if err != nil {
			return false, err
		}
	} else if c.probe && !c.peekIdle() {
		return false, io.EOF // the server is done with it: nothing sent
	}
	if _, err = c.c.Write(c.wbuf[c.wn:]); err != nil {
		return false, err
	}
	c.wn = len(c.wbuf) // so rawStep only reads from here on
	return true, nil
}

// release returns the read buffer to the pool between requests.
func (c *fconn) release() {
	if c.bufp != nil {
		bufPool.Put(c.bufp)
		c.bufp = nil
	}
	c.buf = nil
}

// appendRequest serialises a request: request line, Host, headers,
// Content-Length, body.
func appendRequest(b []byte, r *Request) []byte {
	b = append(b, r.Method...)
	b = append(b, ' ')
	b = append(b, r.Path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, r.Host...)
	b = append(b, "\r\n"...)
	for _, h := range r.Headers {
		b = append(b, h.Name...)
		b = append(b, ": "...)
		b = append(b, h.Value...)
		b = append(b, "\r\n"...)
	}
	if r.Body != nil || r.Method == "POST" || r.Method == "PUT" || r.Method == "PATCH" {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, int64(len(r.Body)), 10)
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	return append(b, r.Body...)
}

// rawRun hands rawStep to the poller and returns the first error: the
// wait's (deadline, closed) or the system call's.
func (c *fconn) rawRun() error {
	c.rawErr = nil
	if err := fromRaw(c.raw.Read(c.step)); err != nil {
		return err
	}
	return c.rawErr
}

// fromRaw names a failed wait on the raw path as net.Conn names a failed
// read ("read tcp …", not "raw-read tcp …"), so failure reasons that quote
// the error read the same on both paths.
func fromRaw(err error) error {
	if err == nil {
		return nil // before oe, which escapes: no allocation per request
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "raw-read" {
		oe.Op = "read"
	}
	return err
}

func isReset(err error) bool {
	var ne *net.OpError
	return errors.As(err, &ne) && !ne.Timeout()
}

var errMalformed = errors.New("malformed HTTP response")

// fill reads more bytes into the buffer, growing it for large headers.
func (c *fconn) fill() error {
	if c.r > 0 && c.r == c.w {
		c.r, c.w = 0, 0
	}
	if c.w == len(c.buf) {
		if c.r > 0 {
			c.w = copy(c.buf, c.buf[c.r:c.w])
			c.r = 0
		} else {
			if len(c.buf) >= 1<<16 {
				return &LimitError{What: "response header line over 64 KiB"}
			}
			nb := make([]byte, 2*len(c.buf))
			copy(nb, c.buf[:c.w])
			c.release() // the pooled buffer goes back; the big one is dropped after the request
			c.buf = nb
		}
	}
	var err error
	if c.raw != nil {
		// The request is all written, so rawStep reads (outside the
		// scheduler's view, as the first read was).
		w := c.w
		if err = c.rawRun(); c.w > w {
			return nil
		}
	} else {
		var n int
		n, err = c.c.Read(c.buf[c.w:])
		c.w += n
		c.got += n
		if n > 0 {
			return nil
		}
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// line returns the next CRLF-terminated line (without CRLF), reading more
// as needed. The slice is valid until the next fill.
func (c *fconn) line() ([]byte, error) {
	for {
		if i := bytes.IndexByte(c.buf[c.r:c.w], '\n'); i >= 0 {
			l := c.buf[c.r : c.r+i]
			c.r += i + 1
			return bytes.TrimSuffix(l, []byte{'\r'}), nil
		}
		if err := c.fill(); err != nil {
			if err == io.EOF && c.w > c.r {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
}
