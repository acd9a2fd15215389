package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

func (v *validator) users(c *Config, raw *RawConfig) {
	short := len(raw.Tasks) > 0 || raw.WaitTime != nil || len(raw.OnStart) > 0 || len(raw.OnStop) > 0
	if short && len(raw.Users) > 0 {
		v.errf(Ypath{"tasks"}, "use either top-level tasks (one user class) or users:, not both")
		return
	}
	if short {
		raw.Users = []rawUser{{Name: "User", WaitTime: raw.WaitTime, OnStart: raw.OnStart, OnStop: raw.OnStop, Tasks: raw.Tasks}}
	}
	if len(raw.Users) == 0 {
		v.errf(Ypath{}, "no tasks: add tasks: (or users: with tasks)")
		return
	}
	total := 0
	for i, u := range raw.Users {
		p := Ypath{"users", i}
		if short {
			p = Ypath{}
		}
		cls := UserClassSpec{Name: u.Name, Weight: 1, Pos: v.loc.pos(p), Cookies: c.Target.Cookies}
		if u.Cookies != nil {
			cls.Cookies = *u.Cookies
		}
		if cls.Name == "" {
			cls.Name = fmt.Sprintf("User%d", i+1)
		}
		if u.Weight != nil {
			cls.Weight = *u.Weight
			if *u.Weight < 0 {
				v.errf(p.With("weight"), "weight must not be negative, got %d", *u.Weight)
			}
		}
		total += cls.Weight
		if u.WaitTime != nil {
			wt, err := ParseWaitTime(*u.WaitTime)
			if err != nil {
				v.errf(p.With("wait_time"), "%v", err)
			}
			cls.WaitTime = wt
		}
		for j, s := range u.OnStart {
			cls.OnStart = append(cls.OnStart, v.step(p.With("on_start", j), &s))
		}
		for j, s := range u.OnStop {
			cls.OnStop = append(cls.OnStop, v.step(p.With("on_stop", j), &s))
		}
		if len(u.Tasks) == 0 {
			v.errf(p, "user class %q has no tasks", cls.Name)
		}
		tw := 0
		for j := range u.Tasks {
			t := v.task(p.With("tasks", j), &u.Tasks[j])
			tw += t.Weight
			cls.Tasks = append(cls.Tasks, t)
		}
		if len(u.Tasks) > 0 && tw == 0 {
			v.errf(p.With("tasks"), "every task has weight 0: nothing would run")
		}
		c.Users = append(c.Users, cls)
	}
	if total == 0 {
		v.errf(Ypath{"users"}, "every user class has weight 0: nothing would run")
	}
}

func (v *validator) task(p Ypath, t *rawTask) TaskSpec {
	ts := TaskSpec{Name: t.Name, Weight: 1, Pos: v.loc.pos(p)}
	if t.Weight != nil {
		ts.Weight = *t.Weight
		if *t.Weight < 0 {
			v.errf(p.With("weight"), "weight must not be negative, got %d", *t.Weight)
		}
	}
	if len(t.Steps) > 0 {
		if m, _ := t.method(); m != "" || t.hasRequestFields() {
			v.errf(p, "a task has either a request (get/post/...) or steps, not both")
		}
		ts.Think = v.think(p.With("think"), t.Think)
		for i := range t.Steps {
			s := &t.Steps[i]
			if s.OnFailure == nil {
				s.OnFailure = t.OnFailure // the task's on_failure is its steps' default
			}
			ts.Steps = append(ts.Steps, v.step(p.With("steps", i), s))
		}
		if ts.Name == "" {
			ts.Name = ts.Steps[0].Name
		}
		return ts
	}
	st := v.step(p, &t.RawStep)
	ts.Name = st.Name
	ts.Steps = []StepSpec{st}
	return ts
}

func (s *rawStep) method() (string, int) {
	m, n := "", 0
	for _, c := range []struct {
		name string
		v    *string
	}{{"GET", s.Get}, {"POST", s.Post}, {"PUT", s.Put}, {"PATCH", s.Patch}, {"DELETE", s.Delete}, {"HEAD", s.Head}} {
		if c.v != nil {
			n++
			if m == "" {
				m = c.name
			}
		}
	}
	return m, n
}

func (s *rawStep) hasRequestFields() bool {
	return s.Headers != nil || s.Query != nil || s.JSON != nil || s.Form != nil || s.Body != nil ||
		s.Extract != nil || s.Expect != nil || s.SetHeaders != nil
}

// think parses a think time: a duration (2s, a constant pause) or any
// wait_time form.
func (v *validator) think(p Ypath, s *string) *WaitTime {
	if s == nil {
		return nil
	}
	if d, err := ParseDuration(*s); err == nil {
		if d < 0 {
			v.errf(p, "think must not be negative")
		}
		return &WaitTime{Kind: WaitConstant, A: d}
	}
	wt, err := ParseWaitTime(*s)
	if err != nil {
		v.errf(p, "think %q: give a duration such as 2s, or a wait time such as between 1s 3s", *s)
		return nil
	}
	return &wt
}

func (s *rawStep) url(method string) string {
	switch method {
	case "GET":
		return *s.Get
	case "POST":
		return *s.Post
	case "PUT":
		return *s.Put
	case "PATCH":
		return *s.Patch
	case "DELETE":
		return *s.Delete
	}
	return *s.Head
}

func (v *validator) step(p Ypath, s *rawStep) StepSpec {
	m, n := s.method()
	st := StepSpec{Name: s.Name, Method: m, Headers: s.Headers, Query: s.Query, Form: s.Form, Body: s.Body,
		Extract: s.Extract, SetHeaders: s.SetHeaders, Pos: v.loc.pos(p), Path: p}
	switch {
	case n == 0:
		v.errf(p, "a request needs exactly one of get, post, put, patch, delete, head (or steps)")
		return st
	case n > 1:
		v.errf(p, "a request takes exactly one of get, post, put, patch, delete, head; found %d", n)
	}
	st.URL = s.url(m)
	if strings.TrimSpace(st.URL) == "" {
		v.errf(p.With(strings.ToLower(m)), "empty path")
	}
	// An absolute URL's user:password@ is Basic auth for this step, and
	// never part of its name or of any printed URL.
	if clean, basic := StripUserinfo(st.URL); basic != "" {
		st.URL = clean
		if !hasHeader(st.Headers, "Authorization") {
			h := map[string]string{"Authorization": basic}
			for k, val := range st.Headers {
				h[k] = val
			}
			st.Headers = h
		}
	}
	if st.Name == "" {
		st.Name = m + " " + st.URL
	}
	if s.JSON != nil {
		st.JSON, st.HasJSON = s.JSON, true
	}
	bodies := 0
	for _, has := range []bool{st.HasJSON, s.Form != nil, s.Body != nil} {
		if has {
			bodies++
		}
	}
	if bodies > 1 {
		v.errf(p, "a request takes one body: json, form or body")
	}
	for _, name := range SortedKeys(s.Extract) {
		if err := checkExtract(s.Extract[name]); err != nil {
			v.errf(p.With("extract", name), "%v", err)
		}
		if !ValidEnvName(name) {
			v.errf(p.With("extract", name), "variable name %q must be letters, digits and _", name)
		}
	}
	st.OnFailure = OnFailureContinue
	if s.OnFailure != nil {
		st.OnFailure = *s.OnFailure
		if !oneOf(st.OnFailure, OnFailureContinue, OnFailureStopUser, OnFailureStopTest) {
			v.errf(p.With("on_failure"), "on_failure must be continue, stop_user or stop_test, got %q", st.OnFailure)
		}
	}
	st.Think = v.think(p.With("think"), s.Think)
	st.Redirects = v.redirects(p.With("redirects"), s.Redirects, v.redirectDefault)
	if s.Expect != nil {
		st.Expect = &ExpectSpec{JSON: s.Expect.JSON}
		if s.Expect.Contains != nil {
			st.Expect.Contains = *s.Expect.Contains
		}
		if s.Expect.NotContains != nil {
			st.Expect.NotContains = *s.Expect.NotContains
		}
		if s.Expect.Message != nil {
			st.Expect.Message = *s.Expect.Message
		}
		if s.Expect.Within != nil {
			st.Expect.Within = v.dur(p.With("expect", "within"), *s.Expect.Within, 0, false)
		}
		if s.Expect.Status != nil {
			ms, err := parseStatus(s.Expect.Status)
			if err != nil {
				v.errf(p.With("expect", "status"), "%v", err)
			}
			st.Expect.Status = ms
		}
	}
	return st
}

// checkExtract validates `json PATH`, `header NAME [regex PATTERN]`,
// `regex PATTERN` or `cookie NAME`.
func checkExtract(s string) error {
	kind, arg, _ := strings.Cut(strings.TrimSpace(s), " ")
	arg = strings.TrimSpace(arg)
	switch kind {
	case "json", "header", "regex", "cookie":
	default:
		return fmt.Errorf("extract %q must start with json, header, regex or cookie", s)
	}
	if arg == "" {
		return fmt.Errorf("extract %q needs a %s after %q", s, map[string]string{"json": "path", "header": "header name", "regex": "pattern", "cookie": "cookie name"}[kind], kind)
	}
	if kind == "header" {
		// header NAME regex PATTERN: the pattern searches every value of
		// that header (each Set-Cookie line).
		if name, pat, ok := strings.Cut(arg, " regex "); ok {
			if strings.TrimSpace(name) == "" {
				return fmt.Errorf("extract %q needs a header name before regex", s)
			}
			kind, arg = "regex", strings.TrimSpace(pat)
		}
	}
	if kind == "regex" {
		re, err := regexp.Compile(arg)
		if err != nil {
			return fmt.Errorf("extract regex: %v", err)
		}
		if re.NumSubexp() < 1 {
			return fmt.Errorf("extract regex %q needs a capture group ( ) for the value", arg)
		}
	}
	return nil
}

// parseStatus reads expect.status: 200, [200, 201] or "2xx".
func parseStatus(v any) ([]StatusMatch, error) {
	one := func(x any) (StatusMatch, error) {
		s := strings.TrimSpace(fmt.Sprint(x))
		if len(s) == 3 && strings.HasSuffix(strings.ToLower(s), "xx") && s[0] >= '1' && s[0] <= '5' {
			return StatusMatch{Class: int(s[0] - '0')}, nil
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 100 || n > 599 {
			return StatusMatch{}, fmt.Errorf("status %q must be a code from 100 to 599 or a class like 2xx", s)
		}
		return StatusMatch{Code: n}, nil
	}
	if xs, ok := v.([]any); ok {
		if len(xs) == 0 {
			return nil, fmt.Errorf("status list is empty")
		}
		var out []StatusMatch
		for _, x := range xs {
			m, err := one(x)
			if err != nil {
				return nil, err
			}
			out = append(out, m)
		}
		return out, nil
	}
	m, err := one(v)
	if err != nil {
		return nil, err
	}
	return []StatusMatch{m}, nil
}

// Match reports whether a status code satisfies the expectation; without
// one, any 2xx or 3xx succeeds (Locust's rule).
func (e *ExpectSpec) Match(code int) bool {
	if e == nil || len(e.Status) == 0 {
		return code >= 200 && code < 400
	}
	for _, m := range e.Status {
		if (m.Class != 0 && code/100 == m.Class) || m.Code == code {
			return true
		}
	}
	return false
}
