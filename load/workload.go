package load

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/loadgate/loadgate/load/config"
	"github.com/loadgate/loadgate/load/httpc"
	"github.com/loadgate/loadgate/load/secret"
)

// Plan is a config compiled for running: templates parsed, weights turned
// into choosers, endpoints numbered, feeds loaded. It is read-only while a
// load runs, so every virtual user can share it.
type Plan struct {
	Config    *config.Config
	BaseURL   string
	Timeout   time.Duration
	Classes   []*class
	Endpoints []EndpointInfo
	feeds     []*feed
	baseHdrs  []header
	base      httpc.Target // target.url, split once
}

// EndpointInfo names one statistics row.
type EndpointInfo struct {
	Name   string
	Method string
}

type class struct {
	name    string
	weight  int
	wait    config.WaitTime
	onStart []*step
	onStop  []*step
	tasks   []*task
	cum     []int // cumulative task weights for O(log n) choice
	cookies bool  // each user keeps a cookie jar
}

type task struct {
	name  string
	steps []*step
	think *config.WaitTime // after the task; nil: none
}

type header struct {
	name string
	val  *tmpl
}

type kv = header

type extractor struct {
	name string
	kind string // json | header | regex | cookie
	// re is the pattern of regex, or of header NAME regex PATTERN (nil:
	// the header's first value whole)
	arg string
	re  *regexp.Regexp
}

type jsonExpect struct {
	path string
	want *jnode
}

type step struct {
	ep         int
	name       string
	method     string
	url        *tmpl
	headers    []header
	query      []kv
	json       *jnode
	form       []kv
	body       *tmpl
	ctype      string
	extract    []extractor
	expect     *config.ExpectSpec
	expJSON    []jsonExpect
	contains   *tmpl
	notContain *tmpl
	within     time.Duration // expect.within: a slower response fails
	message    string        // expect.message: the reason of any failure of this step
	onFailure  string        // config.OnFailure*
	redirects  int           // how many redirects to follow
	think      *config.WaitTime
	setHeaders []header
	needBody   bool // extract or expect reads the body
}

// Compile turns a validated config into a Plan. Template and feed errors are
// located in the config file.
func Compile(cfg *config.Config) (*Plan, error) {
	loc := cfg.Loc
	if loc == nil {
		loc = &config.Locator{File: cfg.File}
	}
	p := &Plan{Config: cfg, BaseURL: strings.TrimRight(cfg.Target.URL, "/"), Timeout: cfg.Target.Timeout}
	var errs config.ConfigErrors
	if t, err := httpc.ParseTarget(p.BaseURL); err == nil {
		p.base = t
		if t.Prefix == "/" {
			p.base.Prefix = ""
		}
	}
	add := func(err error) {
		if err == nil {
			return
		}
		if ce, ok := err.(*config.ConfigError); ok {
			errs = append(errs, ce)
		} else {
			errs = append(errs, &config.ConfigError{File: cfg.File, Msg: err.Error()})
		}
	}
	for _, k := range config.SortedKeys(cfg.Target.Headers) {
		secret.AddHeaderSecret(k, cfg.Target.Headers[k])
		t, err := compileTmpl(cfg.Target.Headers[k], false)
		if err != nil {
			add(loc.ErrAt(config.Ypath{"target", "headers", k}, "%v", err))
			continue
		}
		p.baseHdrs = append(p.baseHdrs, header{k, t})
	}
	for _, f := range cfg.Data {
		fd, err := loadFeed(f)
		if err != nil {
			add(&config.ConfigError{File: cfg.File, Line: f.Pos.Line, Col: f.Pos.Col, Field: "data." + f.Name, Msg: err.Error()})
			continue
		}
		p.feeds = append(p.feeds, fd)
	}
	eps := map[string]int{}
	for _, cs := range cfg.Users {
		c := &class{name: cs.Name, weight: cs.Weight, wait: cs.WaitTime, cookies: cs.Cookies}
		for _, s := range cs.OnStart {
			st, err := p.compileStep(&s, eps, loc)
			add(err)
			c.onStart = append(c.onStart, st)
		}
		for _, s := range cs.OnStop {
			st, err := p.compileStep(&s, eps, loc)
			add(err)
			c.onStop = append(c.onStop, st)
		}
		total := 0
		for _, ts := range cs.Tasks {
			t := &task{name: ts.Name, think: ts.Think}
			for i := range ts.Steps {
				st, err := p.compileStep(&ts.Steps[i], eps, loc)
				add(err)
				t.steps = append(t.steps, st)
			}
			total += ts.Weight
			c.tasks, c.cum = append(c.tasks, t), append(c.cum, total)
		}
		p.Classes = append(p.Classes, c)
	}
	if len(errs) > 0 {
		if len(errs) == 1 {
			return nil, errs[0]
		}
		return nil, errs
	}
	return p, nil
}

func (p *Plan) compileStep(s *config.StepSpec, eps map[string]int, loc *config.Locator) (*step, error) {
	st := &step{name: s.Name, method: s.Method, expect: s.Expect, onFailure: s.OnFailure, think: s.Think, redirects: s.Redirects}
	id, ok := eps[s.Name]
	if !ok {
		id = len(p.Endpoints)
		eps[s.Name] = id
		p.Endpoints = append(p.Endpoints, EndpointInfo{Name: s.Name, Method: s.Method})
	}
	st.ep = id
	// The first error is kept and returned; compiling goes on with an
	// empty template so the code below reads straight.
	var err error
	fail := func(e error) {
		if err == nil {
			err = e
		}
	}
	tp := func(field string, src string, typed bool, sub ...any) *tmpl {
		t, terr := compileTmpl(src, typed)
		if terr != nil {
			fail(loc.ErrAt(s.Path.With(field).With(sub...), "%v", terr))
			return &tmpl{}
		}
		return t
	}
	st.url = tp(strings.ToLower(s.Method), s.URL, false)
	if st.url.isConst() && !strings.HasPrefix(st.url.lit, "http://") && !strings.HasPrefix(st.url.lit, "https://") && !strings.HasPrefix(st.url.lit, "/") {
		fail(loc.ErrAt(s.Path.With(strings.ToLower(s.Method)), "path %q must start with / or be an absolute http(s) URL", st.url.lit))
	}
	for _, k := range config.SortedKeys(s.Headers) {
		secret.AddHeaderSecret(k, s.Headers[k])
		st.headers = append(st.headers, header{k, tp("headers", s.Headers[k], false, k)})
	}
	for _, k := range config.SortedKeys(s.Query) {
		st.query = append(st.query, kv{k, tp("query", s.Query[k], false, k)})
	}
	for _, k := range config.SortedKeys(s.Form) {
		st.form = append(st.form, kv{k, tp("form", s.Form[k], false, k)})
	}
	for _, k := range config.SortedKeys(s.SetHeaders) {
		st.setHeaders = append(st.setHeaders, header{k, tp("set_headers", s.SetHeaders[k], false, k)})
	}
	switch {
	case s.HasJSON:
		j, jerr := compileJSON(s.JSON, s.Path.With("json"), loc)
		if jerr != nil {
			fail(jerr)
		}
		st.json, st.ctype = j, "application/json"
	case s.Form != nil:
		st.ctype = "application/x-www-form-urlencoded"
	case s.Body != nil:
		st.body = tp("body", *s.Body, false)
	}
	for _, name := range config.SortedKeys(s.Extract) {
		kind, arg, _ := strings.Cut(strings.TrimSpace(s.Extract[name]), " ")
		ex := extractor{name: name, kind: kind, arg: strings.TrimSpace(arg)}
		if kind == "header" {
			if name, pat, ok := strings.Cut(ex.arg, " regex "); ok {
				ex.arg, ex.re = strings.TrimSpace(name), regexp.MustCompile(strings.TrimSpace(pat))
			}
		}
		if kind == "regex" {
			ex.re = regexp.MustCompile(ex.arg) // validated when the config was read
		}
		// Every kind needs the response kept: headers (header), the body
		// (json, regex); a cookie is read from the jar, which the response's
		// Set-Cookie headers fill.
		if kind != "cookie" {
			st.needBody = true
		}
		st.extract = append(st.extract, ex)
	}
	if e := s.Expect; e != nil {
		for _, path := range config.SortedKeys(e.JSON) {
			j, jerr := compileJSON(e.JSON[path], s.Path.With("expect", "json", path), loc)
			if jerr != nil {
				fail(jerr)
			}
			st.expJSON = append(st.expJSON, jsonExpect{path: path, want: j})
			st.needBody = true
		}
		if e.Contains != "" {
			st.contains, st.needBody = tp("expect", e.Contains, false, "contains"), true
		}
		if e.NotContains != "" {
			st.notContain, st.needBody = tp("expect", e.NotContains, false, "not_contains"), true
		}
		st.within, st.message = e.Within, e.Message
	}
	if err != nil {
		return nil, err
	}
	return st, nil
}

// pick chooses a task by weight in O(log n).
func (c *class) pick() *task {
	total := c.cum[len(c.cum)-1]
	r := rand.IntN(total)
	i := sort.SearchInts(c.cum, r+1)
	return c.tasks[i]
}

// SplitUsers divides n users across class weights by largest remainder; a
// class with weight > 0 never gets 0 users when n >= the number of such classes.
func SplitUsers(n int, weights []int) []int {
	out := make([]int, len(weights))
	total, active := 0, 0
	for _, w := range weights {
		total += w
		if w > 0 {
			active++
		}
	}
	if total == 0 || n <= 0 {
		return out
	}
	type rem struct {
		i int
		r float64
	}
	var rems []rem
	given := 0
	for i, w := range weights {
		exact := float64(n) * float64(w) / float64(total)
		out[i] = int(exact)
		given += out[i]
		rems = append(rems, rem{i, exact - float64(out[i])})
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].r > rems[b].r })
	for k := 0; given < n; k++ {
		out[rems[k%len(rems)].i]++
		given++
	}
	if n >= active {
		// Take from the largest class to give each weighted class one user.
		for i, w := range weights {
			if w > 0 && out[i] == 0 {
				big := 0
				for j := range out {
					if out[j] > out[big] {
						big = j
					}
				}
				out[big]--
				out[i]++
			}
		}
	}
	return out
}

// classOrder returns the class of each user in start order, so that every
// prefix of a ramp is as close to the weights as it can be.
func classOrder(n int, weights []int) []int {
	counts := SplitUsers(n, weights)
	order := make([]int, 0, n)
	started := make([]int, len(counts))
	for k := 1; k <= n; k++ {
		best, bestDef := -1, -1.0
		for i, c := range counts {
			if started[i] >= c {
				continue
			}
			def := float64(c)*float64(k)/float64(n) - float64(started[i])
			if def > bestDef {
				best, bestDef = i, def
			}
		}
		started[best]++
		order = append(order, best)
	}
	return order
}

// WorkloadHash identifies the workload: the parts of the config that shape
// the load (tasks, users, data, load shape), not the target URL or thresholds,
// so results of the same workload compare across machines and commits.
func (p *Plan) WorkloadHash() string {
	h := sha256.New()
	users := p.Config.Load.Users
	if p.Config.Load.PoolDefault {
		users = 0 // derived from target.timeout, which is not the workload
	}
	fmt.Fprintf(h, "model=%s users=%d arrival=%g stages=%v\n", p.Model(), users, p.Config.Load.ArrivalRate, p.Config.Load.Stages)
	for _, c := range p.Config.Users {
		fmt.Fprintf(h, "class %q w=%d wait=%v\n", c.Name, c.Weight, c.WaitTime)
		for _, s := range append(append([]config.StepSpec{}, c.OnStart...), c.OnStop...) {
			fmt.Fprintf(h, " hook %s %s %s %v %v\n", s.Name, s.Method, s.URL, s.JSON, s.Expect)
		}
		for _, t := range c.Tasks {
			fmt.Fprintf(h, " task %q w=%d\n", t.Name, t.Weight)
			for _, s := range t.Steps {
				fmt.Fprintf(h, "  %s %s %s q=%v j=%v f=%v b=%v\n", s.Name, s.Method, s.URL, s.Query, s.JSON, s.Form, s.Body != nil)
			}
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))[:16]
}

// Model is "open" for an arrival rate, else "closed".
func (p *Plan) Model() string {
	if p.Config.Load.ArrivalRate > 0 {
		return "open"
	}
	return "closed"
}
