package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// harRecorder writes what a headless Chromium tab sends and receives as a
// HAR 1.2 log, with the fields and layout Chromium's devtools use when
// they "Save all as HAR": a redirect is an entry of its own, bodies are
// text (base64 when binary), and _resourceType says what asked.
type harRecorder struct {
	mu   sync.Mutex
	recs []*harRec
	cur  map[network.RequestID]*harRec // the request's latest hop
}

type harRec struct {
	id                network.RequestID
	started           time.Time
	ts, end           float64 // monotonic seconds
	method, url       string
	reqHeaders        network.Headers
	post              []byte
	resType           string
	status            int64
	statusText, mime  string
	respHeaders       network.Headers
	redirectURL       string
	finished, redirct bool
	body              string
	base64            bool
}

func recordHAR(t *testing.T, ctx context.Context) *harRecorder {
	t.Helper()
	r := &harRecorder{cur: map[network.RequestID]*harRec{}}
	err := chromedp.Listen(ctx, func(ev any) {
		r.mu.Lock()
		defer r.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			if prev := r.cur[ev.RequestID]; prev != nil && ev.RedirectResponse != nil {
				prev.respond(ev.RedirectResponse)
				prev.redirectURL, prev.redirct, prev.end = ev.Request.URL, true, ev.Timestamp.Float64()
			}
			rec := &harRec{id: ev.RequestID, started: wallTime(ev.WallTime.Float64()), ts: ev.Timestamp.Float64(),
				method: ev.Request.Method, url: ev.Request.URL, reqHeaders: ev.Request.Headers, resType: strings.ToLower(string(ev.Type))}
			for _, p := range ev.Request.PostDataEntries {
				rec.post = append(rec.post, p.Bytes...)
			}
			r.cur[ev.RequestID] = rec
			r.recs = append(r.recs, rec)
		case *network.EventResponseReceived:
			if rec := r.cur[ev.RequestID]; rec != nil {
				rec.respond(ev.Response)
			}
		case *network.EventLoadingFinished:
			if rec := r.cur[ev.RequestID]; rec != nil {
				rec.finished, rec.end = true, ev.Timestamp.Float64()
			}
		case *network.EventLoadingFailed:
			if rec := r.cur[ev.RequestID]; rec != nil {
				rec.end = ev.Timestamp.Float64()
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	return r
}

func (rec *harRec) respond(resp *network.Response) {
	rec.status, rec.statusText, rec.mime, rec.respHeaders = resp.Status, resp.StatusText, resp.MimeType, resp.Headers
}

// bodies fetches the response bodies of finished requests, as devtools
// does when it saves with content.
func (r *harRecorder) bodies(t *testing.T, ctx context.Context) {
	r.mu.Lock()
	recs := append([]*harRec(nil), r.recs...)
	r.mu.Unlock()
	for _, rec := range recs {
		if !rec.finished || rec.redirct {
			continue
		}
		res, err := chromedp.Call(ctx, network.GetResponseBody, network.GetResponseBodyParams{RequestID: rec.id})
		if err != nil {
			continue
		}
		r.mu.Lock()
		if isText(res.Body) {
			rec.body = string(res.Body)
		} else {
			rec.body, rec.base64 = base64.StdEncoding.EncodeToString(res.Body), true
		}
		r.mu.Unlock()
	}
}

func isText(b []byte) bool {
	return strings.ToValidUTF8(string(b), "\uFFFD") == string(b)
}

// har marshals the log.
func (r *harRecorder) har(t *testing.T) []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	type nv struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	headers := func(h network.Headers) []nv {
		out := []nv{}
		for k, v := range h {
			for _, line := range strings.Split(toString(v), "\n") {
				out = append(out, nv{k, line})
			}
		}
		sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
		return out
	}
	var entries []any
	for _, rec := range r.recs {
		if rec.status == 0 {
			continue // never answered (cancelled)
		}
		u, _ := url.Parse(rec.url)
		query := []nv{}
		for k, vs := range u.Query() {
			for _, v := range vs {
				query = append(query, nv{k, v})
			}
		}
		req := map[string]any{"method": rec.method, "url": rec.url, "httpVersion": "HTTP/1.1", "headers": headers(rec.reqHeaders),
			"queryString": query, "cookies": []any{}, "headersSize": -1, "bodySize": len(rec.post)}
		if len(rec.post) > 0 {
			ct := ""
			for k, v := range rec.reqHeaders {
				if strings.EqualFold(k, "content-type") {
					ct = toString(v)
				}
			}
			req["postData"] = map[string]any{"mimeType": ct, "text": string(rec.post)}
		}
		content := map[string]any{"size": len(rec.body), "mimeType": rec.mime, "text": rec.body}
		if rec.base64 {
			content["encoding"] = "base64"
		}
		elapsed := (rec.end - rec.ts) * 1000
		if elapsed < 0 {
			elapsed = 0
		}
		entries = append(entries, map[string]any{
			"pageref": "page_1", "startedDateTime": rec.started.UTC().Format("2006-01-02T15:04:05.000Z"),
			"time": elapsed, "request": req,
			"response": map[string]any{"status": rec.status, "statusText": rec.statusText, "httpVersion": "HTTP/1.1",
				"headers": headers(rec.respHeaders), "cookies": []any{}, "content": content, "redirectURL": rec.redirectURL,
				"headersSize": -1, "bodySize": -1},
			"cache": map[string]any{}, "timings": map[string]any{"send": 0, "wait": elapsed, "receive": 0},
			"_resourceType": rec.resType,
		})
	}
	b, err := json.MarshalIndent(map[string]any{"log": map[string]any{
		"version": "1.2", "creator": map[string]any{"name": "loadgate test recorder (Chromium DevTools protocol)", "version": "1"},
		"pages":   []any{map[string]any{"id": "page_1", "title": "demo", "startedDateTime": r.recs[0].started.UTC().Format("2006-01-02T15:04:05.000Z"), "pageTimings": map[string]any{}}},
		"entries": entries,
	}}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// wallTime is a DevTools wall time (seconds since the epoch).
func wallTime(s float64) time.Time {
	return time.Unix(0, int64(s*1e9))
}
