package httpc

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Header is one header line. Requests and responses keep headers as ordered
// slices rather than maps: nothing is canonicalised or hashed per request.
type Header struct {
	Name, Value string
}

// Request is one HTTP request as the engine builds it. A virtual user
// reuses one Request, so building allocates only what templates render.
type Request struct {
	Method  string
	Scheme  string // http or https
	Host    string // as in the URL, for the Host header
	Addr    string // host:port to connect to
	Path    string // path and query
	Headers []Header
	Body    []byte
	// Sent is when the request is handed to the client (zero: now); the
	// client's timeout counts from it. It saves a clock read per request.
	Sent time.Time
	// KeepMeta keeps the response's Location and Set-Cookie headers even
	// when the body and other headers are not wanted (redirects, the
	// cookie jar).
	KeepMeta bool
}

// UnsafeError is a request that would not be framed as written: a value in
// its path, a header name or a header value holds a byte that ends or
// splits an HTTP/1.1 line (CR, LF, NUL; in the path also a space or other
// control byte). Such values come from responses (extract) or feeds, never
// from loadgate, and sending them would let a server's reply smuggle a
// second request, with the user's credentials, onto the connection.
// Nothing is sent.
type UnsafeError struct{ Field string }

func (e *UnsafeError) Error() string { return "unsafe value in " + e.Field }

// Check refuses a request whose values would change its framing.
func (r *Request) Check() error {
	for i := 0; i < len(r.Path); i++ {
		if c := r.Path[i]; c <= ' ' || c == 0x7f {
			return &UnsafeError{Field: "path"}
		}
	}
	for _, h := range r.Headers {
		if strings.ContainsAny(h.Name, "\r\n\x00 :") || h.Name == "" {
			return &UnsafeError{Field: "header name"}
		}
		if strings.ContainsAny(h.Value, "\r\n\x00") {
			return &UnsafeError{Field: "header " + h.Name}
		}
	}
	return nil
}

// URL is the request's absolute URL.
func (r *Request) URL() string { return r.Scheme + "://" + r.Host + r.Path }

// Response is what the engine needs back. Headers and Body are kept only
// when the request asked for them (extract or expect); otherwise the body is
// read and dropped.
type Response struct {
	Status  int
	Headers []Header
	Body    []byte
	// Snippet is the start of a body that was not kept (at most 200
	// bytes), so a failed response's reason can show what it said.
	Snippet []byte
	// Size is the body's length in bytes, kept or not.
	Size  int64
	close bool // the connection cannot be reused
}

// Get returns the first value of a header, case-insensitively.
func (r *Response) Get(name string) string {
	for _, h := range r.Headers {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// Client is the seam between the engine and the HTTP implementation, so the
// client can be swapped after measurement without touching the engine.
// Do returns an error only for transport failures (no HTTP response). It
// enforces the request timeout itself. The returned Response may be reused
// by the client for the same user's next request.
type Client interface {
	Do(ctx context.Context, req *Request, needBody bool) (*Response, error)
	CloseIdle()
}

// Bounds on what a server can make loadgate hold for one response: the
// header section (net/http's default for a server's request headers), and
// the body kept for expect and extract (target.max_body; a body that is
// only counted is drained whatever its size).
const (
	MaxHeaderBytes = 1 << 20
	MaxHeaderLines = 1000
	DefaultMaxBody = 1 << 20
)

// LimitError is a response beyond one of those bounds: a failure of that
// request, with the limit named in its reason.
type LimitError struct{ What string }

func (e *LimitError) Error() string { return e.What }

// bodyPool holds the large body buffers of responses kept for checks, so
// that users between requests hold none (200 users of 4 MiB bodies once
// held 1 GB).
var bodyPool sync.Pool

// largeBody is the capacity above which a kept body's buffer is returned
// to bodyPool after its checks.
const largeBody = 64 << 10

// Release returns a large body buffer to the pool once the caller is done
// with the response's body.
func (r *Response) Release() {
	if cap(r.Body) > largeBody {
		b := r.Body[:0]
		bodyPool.Put(&b)
		r.Body = nil
	}
}

// GeneratorPrefix starts the failure reasons that are loadgate's own (its
// file descriptors, its ports, a request it could not build), not the
// target's: reports say so, and never blame the target for them.
const GeneratorPrefix = "loadgate: "

// Reason turns a transport error into a short, stable failure reason, so
// that equal faults group into one row of the failures table.
func Reason(err error) string {
	if err == nil {
		return ""
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var unsafe *UnsafeError
	if errors.As(err, &unsafe) {
		return unsafe.Error()
	}
	var limit *LimitError
	if errors.As(err, &limit) {
		return limit.Error()
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.EPIPE):
		return "broken pipe"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "host unreachable"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return GeneratorPrefix + "no local port available (too many connections opened and closed)"
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return GeneratorPrefix + "too many open files (raise the limit: ulimit -n)"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "connection closed by server"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return "dns: " + dnsErr.Err
	}
	var certErr *tls.CertificateVerificationError
	var uaErr x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	if errors.As(err, &certErr) || errors.As(err, &uaErr) || errors.As(err, &hostErr) {
		return "tls: certificate not trusted"
	}
	var recErr tls.RecordHeaderError
	if errors.As(err, &recErr) {
		return "tls: server did not answer with TLS"
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "HTTP response to HTTPS client"):
		return "tls: server did not answer with TLS"
	case strings.Contains(msg, "malformed HTTP"), strings.Contains(msg, "malformed MIME"):
		return "malformed HTTP response"
	case strings.Contains(msg, "tls:"):
		return "tls: handshake failed"
	case strings.Contains(msg, "server closed idle connection"):
		return "connection closed by server"
	}
	if len(msg) > 80 {
		msg = msg[:80]
	}
	return fmt.Sprintf("error: %s", msg)
}

// target is a URL split for the client: scheme, Host header, dial address
// and path prefix (or, for a request URL, its path and query).
type Target struct {
	Scheme, Host, Addr, Prefix string
}

// parseTarget splits an absolute http(s) URL.
func ParseTarget(raw string) (Target, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Target{}, fmt.Errorf("%q is not an absolute http(s) URL", raw)
	}
	t := Target{Scheme: u.Scheme, Host: u.Host, Addr: u.Host, Prefix: u.RequestURI()}
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "https" {
			port = "443"
		}
		t.Addr = net.JoinHostPort(u.Hostname(), port)
	}
	return t, nil
}

// SetHeader sets a header, replacing an earlier one of the same name, so a
// step's header overrides target.headers.
func (r *Request) SetHeader(name, val string) {
	for i := range r.Headers {
		if strings.EqualFold(r.Headers[i].Name, name) {
			r.Headers[i].Value = val
			return
		}
	}
	r.Headers = append(r.Headers, Header{name, val})
}

// HasHeader reports whether the request has a header of that name.
func (r *Request) HasHeader(name string) bool {
	for _, h := range r.Headers {
		if strings.EqualFold(h.Name, name) {
			return true
		}
	}
	return false
}
