package load

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"text/template"
	"time"

	"github.com/loadgate/loadgate/load/config"
	"github.com/loadgate/loadgate/load/httpc"
	"github.com/loadgate/loadgate/load/secret"
	"github.com/tidwall/gjson"
)

// vuser is one virtual user: its own variables, headers and buffers, so
// users never share mutable state on the request path.
type vuser struct {
	id      int
	e       *engine
	cls     *class
	data    map[string]any
	headers []httpc.Header // from set_headers, sent with every later request
	clones  map[*tmpl]*template.Template
	seq     int64
	buf     bytes.Buffer
	scratch bytes.Buffer
	body    bytes.Buffer // the rendered request body; the request is sent before the next is built
	req     httpc.Request
	stop    chan struct{}   // closed to retire this user (ramping down)
	retired atomic.Bool     // set with stop
	client  httpc.Client    // the engine's shared client, or the user's own
	timer   *time.Timer     // think time, or the open model's wait for a distant start; reused
	inStop  bool            // running on_stop: sent and measured after the end too
	failed  string          // the reason of the last failed step, for on_failure
	last    *httpc.Response // the failed response being recorded, for sample
	sess    httpc.Session   // the user's cookies and redirects, over client
}

func newUser(e *engine, id int, cls *class) *vuser {
	u := &vuser{id: id, e: e, cls: cls, data: map[string]any{}, stop: make(chan struct{}), client: e.client}
	if e.fast != nil && !e.fast.Shared {
		u.client = e.fast.ForUser()
	}
	u.sess = httpc.Session{Client: u.client, Cookies: cls.cookies}
	return u
}

// retire tells the user to stop after its current task (a ramp down).
func (u *vuser) retire() {
	u.retired.Store(true)
	close(u.stop)
}

// render executes a template with this user's variables. Templates that
// call seq get a per-user clone whose seq counts for this user only.
func (u *vuser) render(t *tmpl, scratch *bytes.Buffer) (string, error) {
	if t.t == nil {
		return t.lit, nil
	}
	if t.parts != nil {
		scratch.Reset()
		if err := appendParts(scratch, t.parts, u, t.typed); err != nil {
			return "", fmt.Errorf("template: %v", err)
		}
		return scratch.String(), nil
	}
	tt := t.t
	if t.userBound {
		if u.clones == nil {
			u.clones = map[*tmpl]*template.Template{}
		}
		c, ok := u.clones[t]
		if !ok {
			var err error
			if c, err = t.t.Clone(); err != nil {
				return "", err
			}
			c.Funcs(template.FuncMap{"seq": func() int64 { u.seq++; return u.seq }})
			u.clones[t] = c
		}
		tt = c
	}
	return t.render(tt, u.data, scratch)
}

// takeRows gives the user fresh rows of the feeds with the given scope.
func (u *vuser) takeRows(per string) error {
	for _, f := range u.e.plan.feeds {
		if f.per != per {
			continue
		}
		row, err := f.take()
		if err != nil {
			return err
		}
		u.data[f.name] = row
	}
	return nil
}

// stepOutcome tells the journey whether to go on.
type stepOutcome int

const (
	stepOK stepOutcome = iota
	stepFailed
	stepAborted  // the run is ending or was interrupted: not recorded
	stepStopUser // a step with on_failure: stop_user failed: this user stops
)

// absolute points req at an absolute URL a step names instead of a path.
// It and withQuery are kept out of build, which every request calls: their
// locals would otherwise make build's stack frame, and so every user's
// goroutine stack, larger.
func absolute(req *httpc.Request, raw string) (string, error) {
	t, err := httpc.ParseTarget(raw)
	if err != nil {
		return "", err
	}
	req.Scheme, req.Host, req.Addr = t.Scheme, t.Host, t.Addr
	return t.Prefix, nil
}

// withQuery appends a step's rendered query parameters to path.
func (u *vuser) withQuery(st *step, path string) (string, error) {
	q := url.Values{}
	for _, kv := range st.query {
		v, err := u.render(kv.val, &u.scratch)
		if err != nil {
			return "", err
		}
		if !kv.val.isConst() && secret.SecretName(kv.name) {
			secret.AddSecret(v) // a token from a response, sent as ?access_token=
		}
		q.Add(kv.name, v)
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + q.Encode(), nil
}

// build renders a step into the user's reusable request. Constant parts
// (most paths, headers and bodies) are used as compiled, without copying.
func (u *vuser) build(st *step) (*httpc.Request, error) {
	p := u.e.plan
	req := &u.req
	req.Method, req.Headers, req.Body = st.method, req.Headers[:0], nil
	path, err := u.render(st.url, &u.scratch)
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(path, "/") {
		req.Scheme, req.Host, req.Addr = p.base.Scheme, p.base.Host, p.base.Addr
		if p.base.Prefix != "" {
			path = p.base.Prefix + path
		}
	} else if path, err = absolute(req, path); err != nil {
		return nil, err
	}
	if len(st.query) > 0 {
		if path, err = u.withQuery(st, path); err != nil {
			return nil, err
		}
	}
	req.Path = path
	for _, h := range p.baseHdrs {
		v, err := u.render(h.val, &u.scratch)
		if err != nil {
			return nil, err
		}
		req.SetHeader(h.name, v)
	}
	for _, h := range u.headers {
		req.SetHeader(h.Name, h.Value)
	}
	for _, h := range st.headers {
		v, err := u.render(h.val, &u.scratch)
		if err != nil {
			return nil, err
		}
		if !h.val.isConst() {
			secret.AddHeaderSecret(h.name, v) // an extracted token in Authorization, X-Auth-Token, ...
		}
		req.SetHeader(h.name, v)
	}
	switch {
	case st.json != nil && st.json.raw != nil:
		req.Body = st.json.raw
	case st.json != nil:
		u.body.Reset()
		if err := st.json.write(&u.body, u, &u.scratch); err != nil {
			return nil, err
		}
		req.Body = u.body.Bytes()
	case st.form != nil:
		f := url.Values{}
		for _, kv := range st.form {
			v, err := u.render(kv.val, &u.scratch)
			if err != nil {
				return nil, err
			}
			f.Add(kv.name, v)
		}
		req.Body = []byte(f.Encode())
	case st.body != nil:
		s, err := u.render(st.body, &u.scratch)
		if err != nil {
			return nil, err
		}
		req.Body = []byte(s)
	}
	if st.ctype != "" && !req.HasHeader("Content-Type") {
		req.Headers = append(req.Headers, httpc.Header{Name: "Content-Type", Value: st.ctype})
	}
	if !req.HasHeader("User-Agent") {
		req.Headers = append(req.Headers, httpc.Header{Name: "User-Agent", Value: userAgent})
	}
	return req, nil
}

// userAgent is sent unless the config sets its own.
const userAgent = "loadgate"

// timerSlack is the lateness of a scheduled start that is not charged to
// the target: Go's timers wake an idle process with millisecond granularity
// (epoll_wait's), so an on-time start can go out up to 1 ms late. Later
// than that — a generator that fell behind, or a start that waited for a
// free user — counts in the latency.
const timerSlack = time.Millisecond

// latencyOrigin is when a request sent at now for a start scheduled at
// sched counts from: sched, except for up to timerSlack of lateness.
func latencyOrigin(sched, now time.Time) time.Time {
	if now.Sub(sched) > timerSlack {
		return sched.Add(timerSlack)
	}
	return now
}

// do runs one step: build, send, check, extract, record. start is when the
// request counts from: now, or in the open model the scheduled start of the
// task, so that a stalled server shows up in the latency.
func (u *vuser) do(ctx context.Context, st *step, start time.Time) stepOutcome {
	e := u.e
	req, err := u.build(st)
	if err != nil {
		e.record(u, st.ep, start, 0, 0, httpc.GeneratorPrefix+"template: "+strings.TrimPrefix(err.Error(), "template: "), 0)
		return stepFailed
	}
	now := time.Now()
	if start.IsZero() {
		start = now
	}
	origin := latencyOrigin(start, now)
	if !start.Before(e.mEnd) && !u.inStop {
		// Never send what would not be measured: then the target's own
		// request count equals ours. on_stop is the exception: it runs
		// at the end, and is measured then.
		return stepAborted
	}
	req.Sent = now
	// The client enforces target.timeout itself (with socket deadlines,
	// cheaper than a context with a timer per request); the session adds
	// the user's cookies and follows redirects.
	resp, chain, err := u.sess.Do(ctx, req, st.needBody, st.redirects)
	lat := time.Since(origin)
	if err != nil {
		if ctx.Err() != nil {
			return stepAborted // interrupted: the request was cut short by us, not the server
		}
		return u.fail(st, start, lat, 0, httpc.Reason(err))
	}
	reason := chain
	if reason == "" {
		reason = u.check(st, resp)
	}
	if reason == "" && st.within > 0 && lat > st.within {
		reason = fmt.Sprintf("slower than %s", st.within)
	}
	if reason == "" {
		reason = u.extract(st, resp)
	}
	if reason != "" {
		u.last = resp
		out := u.fail(st, start, lat, resp.Status, reason)
		u.last = nil
		resp.Release() // a large body's buffer goes back to the pool
		return out
	}
	resp.Release()
	e.record(u, st.ep, start, lat, resp.Status, "", resp.Size)
	for _, h := range st.setHeaders {
		v, err := u.render(h.val, &u.scratch)
		if err != nil {
			return stepFailed
		}
		secret.AddHeaderSecret(h.name, v)
		u.setHeader(h.name, v)
	}
	return stepOK
}

// sample is the start of the last response's body, redacted and on one
// line, for the failures table ("status 500 — database is down").
func (u *vuser) sample() string {
	r := u.last
	if r == nil {
		return ""
	}
	b := r.Body
	if len(b) == 0 {
		b = r.Snippet
	}
	return secret.Clip(strings.ToValidUTF8(string(b[:min(len(b), 200)]), "?"))
}

// fail records a failed step (under expect.message, when the step has one)
// and keeps its reason for on_failure.
func (u *vuser) fail(st *step, start time.Time, lat time.Duration, status int, reason string) stepOutcome {
	if st.message != "" {
		reason = st.message
	}
	var size int64
	if u.last != nil {
		size = u.last.Size
	}
	u.e.record(u, st.ep, start, lat, status, reason, size)
	u.failed = reason
	return stepFailed
}

func (u *vuser) setHeader(name, val string) {
	for i := range u.headers {
		if strings.EqualFold(u.headers[i].Name, name) {
			u.headers[i].Value = val
			return
		}
	}
	u.headers = append(u.headers, httpc.Header{Name: name, Value: val})
}

// check applies expect (or Locust's 2xx/3xx rule) and returns a reason.
func (u *vuser) check(st *step, r *httpc.Response) string {
	if !st.expect.Match(r.Status) {
		if st.expect == nil || len(st.expect.Status) == 0 {
			return fmt.Sprintf("status %d", r.Status)
		}
		return fmt.Sprintf("expect status: got %d, want %s", r.Status, statusList(st.expect.Status))
	}
	for _, j := range st.expJSON {
		u.buf.Reset()
		if err := j.want.write(&u.buf, u, &u.scratch); err != nil {
			return "template: " + err.Error()
		}
		got := gjson.GetBytes(r.Body, j.path)
		if !got.Exists() {
			return fmt.Sprintf("expect json %s: missing, want %s", j.path, secret.Clip(u.buf.String()))
		}
		if !jsonEqual([]byte(got.Raw), u.buf.Bytes()) {
			return fmt.Sprintf("expect json %s: got %s, want %s", j.path, secret.Clip(got.Raw), secret.Clip(u.buf.String()))
		}
	}
	if st.contains != nil {
		want, err := u.render(st.contains, &u.scratch)
		if err != nil {
			return "template: " + err.Error()
		}
		if !bytes.Contains(r.Body, []byte(want)) {
			return fmt.Sprintf("expect contains %q: not found", secret.Clip(want))
		}
	}
	if st.notContain != nil {
		bad, err := u.render(st.notContain, &u.scratch)
		if err != nil {
			return "template: " + err.Error()
		}
		if bytes.Contains(r.Body, []byte(bad)) {
			return fmt.Sprintf("expect not_contains %q: found", secret.Clip(bad))
		}
	}
	return ""
}

func statusList(ms []config.StatusMatch) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		if m.Class != 0 {
			parts[i] = fmt.Sprintf("%dxx", m.Class)
		} else {
			parts[i] = fmt.Sprint(m.Code)
		}
	}
	return strings.Join(parts, " or ")
}

// extract stores values from the response into the user's variables.
// Numbers keep their exact digits (json.Number).
func (u *vuser) extract(st *step, r *httpc.Response) string {
	for _, ex := range st.extract {
		var val any
		switch ex.kind {
		case "json":
			g := gjson.GetBytes(r.Body, ex.arg)
			if !g.Exists() {
				return fmt.Sprintf("extract %s: json %s not found in response", ex.name, ex.arg)
			}
			switch g.Type {
			case gjson.Number:
				val = json.Number(g.Raw)
			case gjson.String:
				val = g.Str
			case gjson.True, gjson.False:
				val = g.Bool()
			case gjson.Null:
				return fmt.Sprintf("extract %s: json %s is null", ex.name, ex.arg)
			default:
				val = json.RawMessage(g.Raw)
			}
		case "header":
			if ex.re != nil {
				v, ok := headerMatch(r, ex.arg, ex.re)
				if !ok {
					return fmt.Sprintf("extract %s: no %s header matched regex %s", ex.name, ex.arg, secret.Clip(ex.re.String()))
				}
				val = v
				break
			}
			v := r.Get(ex.arg)
			if v == "" {
				return fmt.Sprintf("extract %s: header %s not in response", ex.name, ex.arg)
			}
			val = v
		case "cookie":
			v := u.sess.Cookie(&u.req, ex.arg)
			if v == "" {
				return fmt.Sprintf("extract %s: cookie %s not set", ex.name, ex.arg)
			}
			val = v
		case "regex":
			m := ex.re.FindSubmatch(r.Body)
			if m == nil {
				return fmt.Sprintf("extract %s: regex %s did not match", ex.name, secret.Clip(ex.arg))
			}
			val = string(m[1])
		}
		u.data[ex.name] = val
	}
	return ""
}

// runSteps runs a journey in order and stops it at the first failure: a
// real user does not read back an item whose creation failed.
func (u *vuser) runSteps(ctx context.Context, steps []*step, first time.Time) stepOutcome {
	for i, st := range steps {
		if i > 0 && u.e.ending() {
			return stepAborted
		}
		start := time.Time{}
		if i == 0 {
			start = first
		}
		if out := u.do(ctx, st, start); out != stepOK {
			return u.onFailure(st, out)
		}
		if st.think != nil && !u.pause(ctx, st.think) {
			return stepAborted
		}
	}
	return stepOK
}

// onFailure applies a failed step's on_failure: go on with the next task
// (continue), stop this user, or end the run.
func (u *vuser) onFailure(st *step, out stepOutcome) stepOutcome {
	if out != stepFailed {
		return out
	}
	switch st.onFailure {
	case config.OnFailureStopUser:
		u.e.stoppedUsers.Add(1)
		u.e.feedErr.Store(fmt.Sprintf("step %s failed (%s) and has on_failure: stop_user", st.name, u.failed))
		return stepStopUser
	case config.OnFailureStopTest:
		u.e.stopTest(fmt.Sprintf("step %s failed (%s) and has on_failure: stop_test", st.name, u.failed))
		return stepAborted
	}
	return out
}

// pause waits a think time; false when the user must stop instead.
func (u *vuser) pause(ctx context.Context, w *config.WaitTime) bool {
	d := w.A
	if w.Kind == config.WaitBetween {
		d = w.A + time.Duration(rand.Int64N(int64(w.B-w.A)+1))
	}
	if d <= 0 {
		return !u.e.ending()
	}
	select {
	case <-u.after(d):
		return !u.e.ending() && !u.retired.Load()
	case <-ctx.Done():
	case <-u.e.stopping:
	case <-u.stop:
	}
	return false
}

// headerMatch is the first group of re in the values of the header name,
// searched in order (every Set-Cookie line, for one).
func headerMatch(r *httpc.Response, name string, re *regexp.Regexp) (string, bool) {
	for _, h := range r.Headers {
		if strings.EqualFold(h.Name, name) {
			if m := re.FindStringSubmatch(h.Value); m != nil {
				return m[1], true
			}
		}
	}
	return "", false
}
