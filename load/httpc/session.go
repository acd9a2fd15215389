package httpc

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"

	"github.com/loadgate/loadgate/load/secret"
)

// Session is one virtual user's view of a Client, as a Locust HttpUser's
// requests session is: a cookie jar (RFC 6265: Domain, Path, Expires and
// Max-Age, Secure, any number of Set-Cookie headers per response), and
// redirects followed. The jar is made at the first Set-Cookie: a workload
// that never sees one pays nothing for it.
type Session struct {
	Client  Client
	Cookies bool // keep a cookie jar
	jar     *cookiejar.Jar
}

// Do sends req with the session's cookies, keeps the cookies the response
// sets, and follows up to redirects redirects. It returns the final
// response, or the reason the chain failed ("redirect loop", "too many
// redirects"), or a transport error.
func (s *Session) Do(ctx context.Context, req *Request, needBody bool, redirects int) (*Response, string, error) {
	req.KeepMeta = redirects > 0 || s.Cookies
	s.addCookies(req)
	resp, err := s.Client.Do(ctx, req, needBody)
	if err != nil {
		return nil, "", err
	}
	s.keepCookies(req, resp)
	if redirects > 0 && isRedirect(resp.Status) {
		return s.follow(ctx, req, resp, needBody, redirects)
	}
	return resp, "", nil
}

// requestURL is the URL of a request, as the jar files cookies.
func requestURL(r *Request) *url.URL {
	path, _, _ := strings.Cut(r.Path, "?")
	return &url.URL{Scheme: r.Scheme, Host: r.Host, Path: path}
}

// addCookies sends the jar's cookies for the request, unless the step sets
// a Cookie header itself.
func (s *Session) addCookies(req *Request) {
	if s.jar == nil || req.HasHeader("Cookie") {
		return
	}
	cs := s.jar.Cookies(requestURL(req))
	if len(cs) == 0 {
		return
	}
	var b strings.Builder
	for i, c := range cs {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(c.Name)
		b.WriteByte('=')
		b.WriteString(c.Value)
	}
	req.Headers = append(req.Headers, Header{Name: "Cookie", Value: b.String()})
}

// keepCookies files the response's Set-Cookie headers in the user's jar.
// Cookie values are secrets.
func (s *Session) keepCookies(req *Request, resp *Response) {
	if !s.Cookies {
		return
	}
	var cs []*http.Cookie
	for _, h := range resp.Headers {
		if !strings.EqualFold(h.Name, "Set-Cookie") {
			continue
		}
		c, err := http.ParseSetCookie(h.Value)
		if err != nil {
			continue
		}
		if secret.SecretName(c.Name) {
			// Session and token cookies are secrets. Others (a load
			// balancer's, rotated on every response) would grow the
			// registry without bound.
			secret.AddSecret(c.Value)
		}
		cs = append(cs, c)
	}
	if len(cs) == 0 {
		return
	}
	if s.jar == nil {
		s.jar, _ = cookiejar.New(nil) // no public-suffix list: targets are hosts, not registrable domains
	}
	s.jar.SetCookies(requestURL(req), cs)
}

// Cookie returns the value of a cookie the jar would send to the last
// request's URL ("" when it holds none of that name).
func (s *Session) Cookie(req *Request, name string) string {
	if s.jar == nil {
		return ""
	}
	for _, c := range s.jar.Cookies(requestURL(req)) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// isRedirect: the statuses a browser follows when they carry a Location.
func isRedirect(status int) bool {
	switch status {
	case 301, 302, 303, 307, 308:
		return true
	}
	return false
}

// follow follows a response's redirects, up to the step's limit, keeping
// cookies set along the way. It returns the final response, or the reason
// the chain failed ("redirect loop", "too many redirects"), or a transport
// error. Like browsers and Python's requests: 303, and 301 and 302 after a
// POST, continue with a GET without a body; 307 and 308 repeat the method
// and body; credentials are not sent to another host.
func (s *Session) follow(ctx context.Context, req *Request, resp *Response, needBody bool, redirects int) (*Response, string, error) {
	// A loop is the same request again: method, URL and the cookies sent
	// (a cookie check redirects to the same URL with a new cookie).
	key := func() string {
		c := ""
		for _, h := range req.Headers {
			if strings.EqualFold(h.Name, "Cookie") {
				c = h.Value
			}
		}
		return req.Method + " " + req.URL() + " " + c
	}
	seen := map[string]bool{key(): true}
	for hop := 0; isRedirect(resp.Status); hop++ {
		loc := resp.Get("Location")
		if loc == "" {
			return resp, "", nil // a 3xx without a Location is measured as sent
		}
		if hop == redirects {
			return resp, fmt.Sprintf("too many redirects (more than %d)", redirects), nil
		}
		next, err := url.Parse(req.URL())
		if err == nil {
			next, err = next.Parse(loc)
		}
		if err != nil || (next.Scheme != "http" && next.Scheme != "https") {
			return resp, "redirect to an unusable Location", nil
		}
		if resp.Status == 303 || (resp.Status == 301 || resp.Status == 302) && req.Method == "POST" {
			if req.Method != "HEAD" {
				req.Method = "GET"
			}
			req.Body = nil
			req.Headers = withoutHeaders(req.Headers, func(name string) bool {
				return strings.EqualFold(name, "Content-Type") || strings.EqualFold(name, "Content-Length")
			})
		}
		req.Headers = withoutHeaders(req.Headers, func(name string) bool { return strings.EqualFold(name, "Cookie") })
		if next.Host != req.Host || req.Scheme == "https" && next.Scheme == "http" {
			// Another host, or a downgrade to plain HTTP: no credential goes along.
			req.Headers = withoutHeaders(req.Headers, secret.SecretName)
		}
		target := next.Scheme + "://" + next.Host
		t, err := ParseTarget(target)
		if err != nil {
			return resp, "redirect to an unusable Location", nil
		}
		req.Scheme, req.Host, req.Addr = t.Scheme, t.Host, t.Addr
		req.Path = next.RequestURI()
		s.addCookies(req)
		if k := key(); seen[k] {
			return resp, "redirect loop", nil
		} else {
			seen[k] = true
		}
		if resp, err = s.Client.Do(ctx, req, needBody); err != nil {
			return nil, "", err
		}
		s.keepCookies(req, resp)
	}
	return resp, "", nil
}

func withoutHeaders(hs []Header, drop func(name string) bool) []Header {
	out := hs[:0]
	for _, h := range hs {
		if !drop(h.Name) {
			out = append(out, h)
		}
	}
	return out
}
