package config

import (
	"encoding/base64"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/loadgate/loadgate/load/result"
	"github.com/loadgate/loadgate/load/secret"
)

// Defaults where the file is silent.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultDuration    = 30 * time.Second
	DefaultReadyWait   = 30 * time.Second
	DefaultStopTimeout = 10 * time.Second
	DefaultKeep        = 5
)

func (v *validator) config(raw *RawConfig, ov Overrides) *Config {
	c := &Config{Version: 1}
	if raw.Version != nil && *raw.Version != 1 {
		v.errf(Ypath{"version"}, "unsupported version %d (this loadgate reads version 1)", *raw.Version)
	}
	v.target(c, raw, ov)
	v.load(c, raw, ov)
	v.data(c, raw)
	v.users(c, raw)
	v.thresholds(c, raw)
	v.baseline(c, raw)
	return c
}

func (v *validator) target(c *Config, raw *RawConfig, ov Overrides) {
	t := raw.Target
	c.Target.URL = strings.TrimRight(t.URL, "/")
	if ov.Host != "" {
		c.Target.URL = strings.TrimRight(ov.Host, "/")
	}
	if c.Target.URL == "" {
		v.errf(Ypath{"target", "url"}, "target.url is required (or give --host)")
	} else if u, err := url.Parse(c.Target.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		if ov.Host != "" { // the flag's value, not the file's: no file position to blame
			v.errs = append(v.errs, &ConfigError{Field: "--host", Msg: fmt.Sprintf("%q must be an absolute http:// or https:// URL", ov.Host)})
		} else {
			v.errf(Ypath{"target", "url"}, "target.url %q must be an absolute http:// or https:// URL", c.Target.URL)
		}
	}
	c.Target.Timeout = v.dur(Ypath{"target", "timeout"}, t.Timeout, DefaultTimeout, false)
	c.Target.Cookies = t.Cookies == nil || *t.Cookies
	c.Target.Redirects = v.redirects(Ypath{"target", "redirects"}, t.Redirects, DefaultRedirects)
	v.redirectDefault = c.Target.Redirects
	if t.MaxBody != "" {
		n, err := ParseSize(t.MaxBody)
		switch {
		case err != nil:
			v.errf(Ypath{"target", "max_body"}, "%v", err)
		case n < 1 || n > MaxBodyLimit:
			v.errf(Ypath{"target", "max_body"}, "max_body must be between 1 B and %d MiB, got %s", MaxBodyLimit>>20, t.MaxBody)
		default:
			c.Target.MaxBody = int(n)
		}
	}
	c.Target.Headers = t.Headers
	// Userinfo in target.url is Basic auth, as curl reads it: sent in an
	// Authorization header (unless the config sets one), masked everywhere,
	// and never part of a URL loadgate prints.
	var basic string
	c.Target.URL, basic = StripUserinfo(c.Target.URL)
	if basic != "" {
		if !hasHeader(c.Target.Headers, "Authorization") {
			h := map[string]string{"Authorization": basic}
			for k, val := range c.Target.Headers {
				h[k] = val
			}
			c.Target.Headers = h
		}
	}
	if t.Metrics != "" {
		c.Target.Metrics, c.Target.MetricsAuth = StripUserinfo(strings.TrimSpace(t.Metrics))
		if u, err := url.Parse(c.Target.Metrics); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.errf(Ypath{"target", "metrics"}, "target.metrics %q must be an absolute http:// or https:// URL of the app's Prometheus metrics", c.Target.Metrics)
		}
	}
	if t.Start == nil {
		return
	}
	s, sp := t.Start, Ypath{"target", "start"}
	st := &StartSpec{CommandLine: s.Command, Env: s.Env, Dir: v.dir}
	for k, val := range s.Env {
		if secret.SecretName(k) {
			secret.AddSecret(val) // the app's log tail goes into the report when it fails
		}
	}
	if s.Dir != "" {
		st.Dir = v.abs(s.Dir)
	}
	words, err := SplitCommand(s.Command)
	switch {
	case strings.TrimSpace(s.Command) == "":
		v.errf(sp.With("command"), "target.start.command is required")
	case err != nil:
		v.errf(sp.With("command"), "cannot split command: %v", err)
	default:
		st.Command = words
	}
	st.ReadyWait = DefaultReadyWait
	if r := s.Ready; r != nil {
		rp := sp.With("ready")
		st.ReadyURL, st.ReadyTCP = r.URL, r.TCP
		if r.URL != "" && r.TCP != "" {
			v.errf(rp, "ready takes url or tcp, not both")
		}
		if r.URL == "" && r.TCP == "" {
			v.errf(rp, "ready needs url or tcp")
		}
		if r.URL != "" {
			if u, err := url.Parse(r.URL); err == nil && u.User != nil {
				pass, _ := u.User.Password()
				secret.AddBasicAuth(u.User.Username(), pass) // the probe sends it; no message shows it
			}
			if u, err := url.Parse(r.URL); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
				v.errf(rp.With("url"), "ready.url %q must be an absolute http(s) URL", r.URL)
			}
		}
		if r.TCP != "" && !strings.Contains(r.TCP, ":") {
			v.errf(rp.With("tcp"), "ready.tcp %q must be host:port", r.TCP)
		}
		st.ReadyWait = v.dur(rp.With("timeout"), r.Timeout, DefaultReadyWait, false)
	}
	st.StopTimeout = v.dur(sp.With("stop_timeout"), s.StopTimeout, DefaultStopTimeout, false)
	c.Target.Start = st
}

func (v *validator) load(c *Config, raw *RawConfig, ov Overrides) {
	l, lp := raw.Load, Ypath{"load"}
	c.Load.Warmup = v.dur(lp.With("warmup"), l.Warmup, 0, true)
	c.Load.Duration = v.dur(lp.With("duration"), l.Duration, DefaultDuration, false)
	if ov.Duration != nil {
		c.Load.Duration = time.Duration(*ov.Duration * float64(time.Second))
	}
	if l.Users != nil {
		c.Load.Users = *l.Users
		if *l.Users < 1 {
			v.errf(lp.With("users"), "users must be at least 1, got %d", *l.Users)
		}
	}
	if ov.Users != nil {
		c.Load.Users = *ov.Users
	}
	if l.SpawnRate != nil {
		c.Load.SpawnRate = *l.SpawnRate
		if *l.SpawnRate < 0 || math.IsNaN(*l.SpawnRate) {
			v.errf(lp.With("spawn_rate"), "spawn_rate must not be negative")
		}
	}
	if ov.SpawnRate != nil {
		c.Load.SpawnRate = *ov.SpawnRate
	}
	// A rate of 0 would run the closed model instead, which the user did
	// not ask for; a stage's 0 (a ramp down) is fine.
	c.Load.ArrivalRate = v.rate(lp.With("arrival_rate"), l.ArrivalRate)
	if l.ArrivalRate != "" && c.Load.ArrivalRate == 0 {
		if _, err := ParseRate(l.ArrivalRate); err == nil {
			v.errf(lp.With("arrival_rate"), "%s", zeroRate)
		}
	}
	if ov.ArrivalRate != "" {
		r, err := ParseRate(ov.ArrivalRate)
		switch {
		case err != nil:
			v.errs = append(v.errs, &ConfigError{Field: "--arrival-rate", Msg: err.Error()})
		case r == 0:
			v.errs = append(v.errs, &ConfigError{Field: "--arrival-rate", Msg: zeroRate})
		}
		c.Load.ArrivalRate = r
	}
	c.Load.PerUserConns = true
	switch l.Connections {
	case "", "per_user":
	case "shared":
		c.Load.PerUserConns = false
	default:
		v.errf(lp.With("connections"), "connections must be per_user or shared, got %q", l.Connections)
	}
	var byRate, byUsers bool
	peak := 0.0
	for i, s := range l.Stages {
		p := lp.With("stages", i)
		st := Stage{Duration: v.dur(p.With("duration"), s.Duration, 0, false)}
		if s.Duration == "" {
			v.errf(p, "a stage needs a duration")
		}
		switch {
		case s.Users != nil && s.ArrivalRate != "":
			v.errf(p, "a stage takes users or arrival_rate, not both")
		case s.ArrivalRate != "":
			st.Target = v.rate(p.With("arrival_rate"), s.ArrivalRate)
			byRate = true
		case s.Users != nil:
			st.Target = float64(*s.Users)
			byUsers = true
			if *s.Users < 0 {
				v.errf(p.With("users"), "users must not be negative")
			}
		default:
			v.errf(p, "a stage needs users (closed model) or arrival_rate (open model)")
		}
		peak = math.Max(peak, st.Target)
		c.Load.Stages = append(c.Load.Stages, st)
	}
	if len(c.Load.Stages) > 0 {
		v.stages(c, l, ov, byRate, byUsers, peak)
	}
	if c.Load.Users == 0 {
		c.Load.Users = defaultPool(c.Load.ArrivalRate, c.Target.Timeout)
		c.Load.PoolDefault = c.Load.ArrivalRate > 0
	}
	if d := lp.With("duration"); c.Load.TotalDuration() <= 0 && !v.reported(d) {
		v.errf(d, "duration must be greater than 0")
	}
}

// stages checks a ramp and records its peak: the stages set the users
// (closed model) or the rate (open model), so load.users or -u beside
// closed stages, and load.arrival_rate or --arrival-rate beside open ones,
// would only be recorded, not run; the result records the peak instead.
// -t replaces the ramp with a steady load at its peak, in the same model
// (or at -u / --arrival-rate when given).
func (v *validator) stages(c *Config, l rawLoad, ov Overrides, byRate, byUsers bool, peak float64) {
	lp := Ypath{"load"}
	switch {
	case byRate && byUsers:
		v.errf(lp.With("stages"), "the stages ramp users (closed model) in one stage and arrival_rate (open model) in another: use one model")
		return
	case byUsers && ov.ArrivalRate != "":
		v.errs = append(v.errs, &ConfigError{Field: "--arrival-rate", Msg: "load.stages ramp users (the closed model): " +
			"ramp arrival_rate in the stages for the open model, or leave out --arrival-rate"})
		return
	case byUsers && l.ArrivalRate != "":
		v.errf(lp.With("arrival_rate"), "load.stages ramp users (the closed model), so arrival_rate (the open model) does not apply: "+
			"ramp arrival_rate in the stages, or leave it out")
		return
	}
	if peak <= 0 {
		v.errf(lp.With("stages"), "every stage has 0 users or rate: nothing would run")
		return
	}
	if byRate {
		c.Load.ArrivalRate = peak
	} else {
		c.Load.Users = int(math.Ceil(peak))
	}
	if ov.Duration == nil {
		return
	}
	c.Load.Stages = nil
	switch {
	case byRate && ov.ArrivalRate != "":
		c.Load.ArrivalRate, _ = ParseRate(ov.ArrivalRate) // checked in load
	case byUsers && ov.Users != nil:
		c.Load.Users = *ov.Users
	}
}

// defaultPool is load.users when the config leaves it out: 1 user in the
// closed model; in the open model rate × target.timeout, the most starts
// that can be in flight when every request takes its whole timeout, so
// no start is dropped for want of a user. Users are spawned only as
// starts need them; this is a limit, not a number started.
func defaultPool(rate float64, timeout time.Duration) int {
	if rate <= 0 {
		return 1
	}
	return max(1, int(math.Ceil(rate*timeout.Seconds())))
}

const zeroRate = "must be more than 0/s (leave it out for the closed model)"

// dur parses a duration that must carry a unit ("30s", "2m", "500ms").
func (v *validator) dur(p Ypath, s string, def time.Duration, zeroOK bool) time.Duration {
	if s == "" {
		return def
	}
	d, err := ParseDuration(s)
	if err != nil {
		v.errf(p, "%v", err)
		return def
	}
	switch {
	case d < 0 && zeroOK:
		v.errf(p, "%s must not be negative, got %q", p[len(p)-1], s)
	case d < 0 || (d == 0 && !zeroOK):
		v.errf(p, "%s must be greater than 0, got %q", p[len(p)-1], s)
	}
	return d
}

// ParseDuration is time.ParseDuration with a message that says what is wrong.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	d, err := time.ParseDuration(s)
	if err != nil {
		if _, nerr := strconv.ParseFloat(s, 64); nerr == nil {
			return 0, fmt.Errorf("duration %q needs a unit, e.g. %ss or %sms", s, s, s)
		}
		return 0, fmt.Errorf("invalid duration %q (use a number and a unit: 500ms, 30s, 2m)", s)
	}
	return d, nil
}

func (v *validator) rate(p Ypath, s string) float64 {
	if s == "" {
		return 0
	}
	r, err := ParseRate(s)
	if err != nil {
		v.errf(p, "%v", err)
	}
	return r
}

// ParseRate reads an arrival rate: "200/s", "12000/m", "5/h" or a plain
// number of starts per second.
func ParseRate(s string) (float64, error) {
	num, unit, _ := strings.Cut(strings.TrimSpace(s), "/")
	f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fmt.Errorf("invalid rate %q (use e.g. 200/s)", s)
	}
	switch strings.TrimSpace(unit) {
	case "", "s", "1s":
	case "m", "1m":
		f /= 60
	case "h", "1h":
		f /= 3600
	default:
		return 0, fmt.Errorf("invalid rate unit in %q (use /s, /m or /h)", s)
	}
	return f, nil
}

// ParseWaitTime reads Locust's wait_time forms.
func ParseWaitTime(s string) (WaitTime, error) {
	f := strings.Fields(s)
	bad := func() (WaitTime, error) {
		return WaitTime{}, fmt.Errorf("invalid wait_time %q (use: between 1s 2s | constant 500ms | pacing 2s | throughput 0.5 | none)", s)
	}
	if len(f) == 0 {
		return bad()
	}
	arg := func(i int) (time.Duration, error) { return ParseDuration(f[i]) }
	switch f[0] {
	case "none":
		if len(f) != 1 {
			return bad()
		}
		return WaitTime{Kind: WaitNone}, nil
	case "between":
		if len(f) != 3 {
			return bad()
		}
		a, err := arg(1)
		if err != nil {
			return WaitTime{}, err
		}
		b, err := arg(2)
		if err != nil {
			return WaitTime{}, err
		}
		if a < 0 || b < a {
			return WaitTime{}, fmt.Errorf("wait_time between %s %s: the second must not be less than the first", f[1], f[2])
		}
		return WaitTime{Kind: WaitBetween, A: a, B: b}, nil
	case "constant", "pacing":
		if len(f) != 2 {
			return bad()
		}
		a, err := arg(1)
		if err != nil {
			return WaitTime{}, err
		}
		if a < 0 {
			return bad()
		}
		if f[0] == "constant" {
			return WaitTime{Kind: WaitConstant, A: a}, nil
		}
		return WaitTime{Kind: WaitPacing, A: a}, nil
	case "throughput":
		if len(f) != 2 {
			return bad()
		}
		n, err := strconv.ParseFloat(f[1], 64)
		if err != nil || n <= 0 || math.IsInf(n, 0) {
			return WaitTime{}, fmt.Errorf("wait_time throughput needs a positive number of tasks per second, got %q", f[1])
		}
		return WaitTime{Kind: WaitPacing, A: time.Duration(float64(time.Second) / n)}, nil
	}
	return bad()
}

func (v *validator) data(c *Config, raw *RawConfig) {
	for _, name := range SortedKeys(raw.Data) {
		f, p := raw.Data[name], Ypath{"data", name}
		if !ValidEnvName(name) {
			v.errf(p, "feed name %q must be letters, digits and _ (it is used as {{ .%s.column }})", name, name)
		}
		fs := FeedSpec{Name: name, CSV: v.abs(f.CSV), Order: orDefault(f.Order, "sequential"), Per: orDefault(f.Per, "user"), Pos: v.loc.pos(p)}
		if f.CSV == "" {
			v.errf(p, "a data feed needs csv: FILE")
		}
		if !oneOf(fs.Order, "sequential", "random", "unique") {
			v.errf(p.With("order"), "order must be sequential, random or unique, got %q", f.Order)
		}
		if !oneOf(fs.Per, "user", "iteration") {
			v.errf(p.With("per"), "per must be user or iteration, got %q", f.Per)
		}
		c.Data = append(c.Data, fs)
	}
}

func (v *validator) thresholds(c *Config, raw *RawConfig) {
	for _, scope := range SortedKeys(raw.Thresholds) {
		for i, expr := range raw.Thresholds[scope] {
			c.Thresholds = append(c.Thresholds, ThresholdSpec{Scope: scope, Expr: expr, Pos: v.loc.pos(Ypath{"thresholds", scope, i})})
		}
	}
	sort.SliceStable(c.Thresholds, func(i, j int) bool { return c.Thresholds[i].Pos.Line < c.Thresholds[j].Pos.Line })
}

var tolRe = regexp.MustCompile(`^\s*([0-9]+(?:\.[0-9]+)?)\s*%?\s*$`)

func (v *validator) baseline(c *Config, raw *RawConfig) {
	b, p := raw.Baseline, Ypath{"baseline"}
	c.Baseline = BaselineSpec{File: b.File, Missing: orDefault(b.Missing, "pass"), Inconclusive: orDefault(b.Inconclusive, "pass"), Keep: DefaultKeep}
	if b.File != "" {
		c.Baseline.File = v.abs(b.File)
	}
	if !oneOf(c.Baseline.Missing, "pass", "fail") {
		v.errf(p.With("missing"), "missing must be pass or fail, got %q", b.Missing)
	}
	if !oneOf(c.Baseline.Inconclusive, "pass", "fail") {
		v.errf(p.With("inconclusive"), "inconclusive must be pass or fail, got %q", b.Inconclusive)
	}
	if b.Keep != nil {
		c.Baseline.Keep = *b.Keep
		if *b.Keep < 1 || *b.Keep > 100 {
			v.errf(p.With("keep"), "keep must be between 1 and 100, got %d", *b.Keep)
		}
	}
	c.Baseline.Tolerance = map[string]Tolerance{}
	for _, m := range SortedKeys(b.Tolerance) {
		tp := p.With("tolerance", m)
		metric, ok := result.Lookup(m)
		if !ok || !metric.Tolerable {
			v.errf(tp, "unknown metric %q in tolerance (known: %s)", m, strings.Join(result.MetricNames(true), " "))
			continue
		}
		s := fmt.Sprint(b.Tolerance[m])
		if metric.Kind == result.Bytes && metric.ByDifference {
			// A memory growth near zero has no ratio: its tolerance is a size.
			n, err := result.ParseBytes(metric.Name, strings.TrimSpace(s))
			if err != nil || n < 0 {
				v.errf(tp, "tolerance %q of %s must be a size such as 512KiB or 1MiB", s, metric.Name)
				continue
			}
			c.Baseline.Tolerance[metric.Name] = Tolerance{Pct: n, Absolute: true}
			continue
		}
		mm := tolRe.FindStringSubmatch(s)
		if mm == nil {
			v.errf(tp, "tolerance %q must be a percentage such as 10%%", s)
			continue
		}
		f, _ := strconv.ParseFloat(mm[1], 64)
		c.Baseline.Tolerance[metric.Name] = Tolerance{Pct: f, Absolute: metric.ByDifference}
	}
}

// StripUserinfo removes user:password@ from an absolute URL and returns the
// Basic auth header value it stood for ("" when there was none). The
// password and the header's credential are registered as secrets.
func StripUserinfo(raw string) (clean, basic string) {
	if strings.Contains(raw, "{{") {
		return raw, "" // a template: its userinfo, if any, is rendered per request
	}
	u, err := url.Parse(raw)
	if err != nil || u.User == nil || u.Host == "" {
		return raw, ""
	}
	user := u.User.Username()
	pass, _ := u.User.Password()
	secret.AddBasicAuth(user, pass)
	u.User = nil
	cred := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	return u.String(), "Basic " + cred
}

func hasHeader(h map[string]string, name string) bool {
	for k := range h {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

// MaxBodyLimit bounds target.max_body: every user may hold that much.
const MaxBodyLimit = 256 << 20

// ParseSize reads a size such as 512KiB or 2MiB (the metric table's one
// spelling of sizes).
var ParseSize = result.ParseSize

// DefaultRedirects is how many redirects a request follows unless the
// config says otherwise, as Python's requests (Locust's HttpUser) does
// with up to 30, and browsers with about 20.
const DefaultRedirects = 10

// maxRedirects bounds target.redirects and a step's redirects.
const maxRedirects = 50

func (v *validator) redirects(p Ypath, n *int, def int) int {
	if n == nil {
		return def
	}
	if *n < 0 || *n > maxRedirects {
		v.errf(p, "redirects must be between 0 (measure each 3xx as sent) and %d, got %d", maxRedirects, *n)
		return def
	}
	return *n
}
