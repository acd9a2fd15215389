package httpc

import (
	"bytes"
	"fmt"
	"io"
	"strconv"

	"github.com/loadgate/loadgate/load/secret"
)

// readResponse parses a status line, headers and body. With keep false,
// the body is read and dropped without being kept anywhere; header values
// are kept only when the caller needs them (extract, expect).
func (c *fconn) readResponse(head, keep, meta bool, resp *Response, maxBody int) error {
	// The header budget covers the whole head, 1xx responses included: a
	// server that sends header lines (or 100 Continue) forever is cut off.
	budget := headerBudget{bytes: MaxHeaderBytes, lines: MaxHeaderLines}
	for {
		st, err := c.line()
		if err != nil {
			return err
		}
		if err := budget.take(st); err != nil {
			return err
		}
		if len(st) == 0 {
			continue // tolerate a stray CRLF before the status line
		}
		if !bytes.HasPrefix(st, []byte("HTTP/1.")) || len(st) < 12 || st[8] != ' ' {
			return fmt.Errorf("%w: bad status line %q", errMalformed, secret.Clip(string(st)))
		}
		code, err := strconv.Atoi(string(st[9:12]))
		if err != nil || code < 100 || code > 999 {
			return fmt.Errorf("%w: bad status code %q", errMalformed, secret.Clip(string(st)))
		}
		resp.Status = code
		http10 := st[7] == '0'
		resp.close = http10
		length, chunked, err := c.headers(resp, keep, meta, http10, &budget)
		if err != nil {
			return err
		}
		if code >= 100 && code < 200 && code != 101 {
			resp.Headers = resp.Headers[:0]
			continue // 100 Continue and friends: the real response follows
		}
		if head || code == 204 || code == 304 || (code >= 100 && code < 200) {
			return nil
		}
		b := bodyReader{keep: keep, max: maxBody}
		switch {
		case chunked:
			err = c.chunked(resp, &b)
		case length >= 0:
			err = c.body(resp, &b, length)
		default:
			resp.close = true // no length: the body ends when the server closes
			err = c.body(resp, &b, -1)
		}
		if err == nil && b.over {
			err = &LimitError{What: fmt.Sprintf("response body over %s (target.max_body), which expect and extract read whole", sizeText(maxBody))}
		}
		return err
	}
}

// snippetLen is how much of an unkept body is kept for failure reasons.
const snippetLen = 200

// headerBudget counts what a response's head has used of the bounds.
type headerBudget struct{ bytes, lines int }

func (b *headerBudget) take(line []byte) error {
	b.bytes -= len(line) + 2
	b.lines--
	switch {
	case b.bytes < 0:
		return &LimitError{What: fmt.Sprintf("response headers over %s", sizeText(MaxHeaderBytes))}
	case b.lines < 0:
		return &LimitError{What: fmt.Sprintf("more than %d response header lines", MaxHeaderLines)}
	}
	return nil
}

// bodyReader is how a body is read: kept (up to max bytes) or drained.
type bodyReader struct {
	keep bool
	max  int
	over bool // more than max arrived: the body is drained, the request fails
}

func sizeText(n int) string {
	if n%(1<<20) == 0 {
		return strconv.Itoa(n>>20) + " MiB"
	}
	return strconv.Itoa(n>>10) + " KiB"
}

// headers parses header lines up to the blank line.
func (c *fconn) headers(resp *Response, keep, meta, http10 bool, budget *headerBudget) (length int64, chunked bool, err error) {
	length = -1
	for {
		l, err := c.line()
		if err != nil {
			return 0, false, err
		}
		if err := budget.take(l); err != nil {
			return 0, false, err
		}
		if len(l) == 0 {
			return length, chunked, nil
		}
		colon := bytes.IndexByte(l, ':')
		if colon <= 0 {
			return 0, false, fmt.Errorf("%w: bad header line %q", errMalformed, secret.Clip(string(l)))
		}
		name, val := l[:colon], bytes.TrimSpace(l[colon+1:])
		switch {
		case asciiEqualFold(name, "content-length"):
			n, ok := parseLength(val)
			if !ok {
				return 0, false, fmt.Errorf("%w: bad Content-Length %q", errMalformed, secret.Clip(string(val)))
			}
			length = n
		case asciiEqualFold(name, "transfer-encoding"):
			chunked = containsFold(val, "chunked")
		case asciiEqualFold(name, "connection"):
			if containsFold(val, "close") {
				resp.close = true
			} else if http10 && containsFold(val, "keep-alive") {
				resp.close = false
			}
		}
		if keep || meta && (asciiEqualFold(name, "location") || asciiEqualFold(name, "set-cookie")) {
			resp.Headers = append(resp.Headers, Header{string(name), string(val)})
		}
	}
}

// body reads n bytes (n < 0: until the server closes).
func (c *fconn) body(resp *Response, b *bodyReader, n int64) error {
	if b.keep && !b.over && n > int64(b.max)-int64(len(resp.Body)) {
		b.over = true // known too large from its length: drained, never held
		resp.Release()
		resp.Body = resp.Body[:0]
	}
	for n != 0 {
		if c.r == c.w {
			if err := c.fill(); err != nil {
				if n < 0 && err == io.EOF {
					return nil
				}
				if err == io.EOF {
					return io.ErrUnexpectedEOF
				}
				return err
			}
		}
		avail := int64(c.w - c.r)
		if n >= 0 && avail > n {
			avail = n
		}
		resp.Size += avail
		if !b.keep && len(resp.Snippet) < snippetLen {
			resp.Snippet = append(resp.Snippet, c.buf[c.r:c.r+min(int(avail), snippetLen-len(resp.Snippet))]...)
		}
		if b.keep && !b.over {
			if len(resp.Body)+int(avail) > b.max {
				b.over = true
				resp.Release()
				resp.Body = resp.Body[:0]
			} else {
				if resp.Body == nil && (n > largeBody || n < 0) {
					if p, ok := bodyPool.Get().(*[]byte); ok {
						resp.Body = (*p)[:0]
					}
				}
				resp.Body = append(resp.Body, c.buf[c.r:c.r+int(avail)]...)
			}
		}
		c.r += int(avail)
		if n > 0 {
			n -= avail
		}
	}
	return nil
}

// chunked reads a chunked body and its trailer.
func (c *fconn) chunked(resp *Response, b *bodyReader) error {
	for {
		l, err := c.line()
		if err != nil {
			if err == io.EOF {
				return io.ErrUnexpectedEOF
			}
			return err
		}
		if i := bytes.IndexByte(l, ';'); i >= 0 {
			l = l[:i]
		}
		size, err := strconv.ParseInt(string(bytes.TrimSpace(l)), 16, 64)
		if err != nil || size < 0 {
			return fmt.Errorf("%w: bad chunk size %q", errMalformed, secret.Clip(string(l)))
		}
		if size == 0 {
			budget := headerBudget{bytes: MaxHeaderBytes, lines: MaxHeaderLines}
			for { // trailer lines, then the blank line
				t, err := c.line()
				if err != nil {
					return err
				}
				if len(t) == 0 {
					return nil
				}
				if err := budget.take(t); err != nil {
					return err
				}
			}
		}
		if err := c.body(resp, b, size); err != nil {
			return err
		}
		if l, err := c.line(); err != nil || len(l) != 0 {
			if err == nil {
				err = fmt.Errorf("%w: chunk not followed by CRLF", errMalformed)
			}
			return err
		}
	}
}

// asciiEqualFold compares a header name with a lower-case constant.
func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// containsFold reports whether b contains the lower-case ASCII word s in
// any case, without the copy that bytes.ToLower makes for every response.
func containsFold(b []byte, s string) bool {
	for i := 0; i+len(s) <= len(b); i++ {
		if asciiEqualFold(b[i:i+len(s)], s) {
			return true
		}
	}
	return false
}

// parseLength reads a Content-Length: decimal digits only (no sign, as
// RFC 9110 has it), at most 18 of them so it cannot overflow.
func parseLength(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
