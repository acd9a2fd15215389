package config

import "time"

// Config is a parsed and validated loadgate.yml. Durations are
// resolved; templates are compiled later by Compile.
type Config struct {
	File    string // path the config was read from ("" for built-in configs)
	Dir     string // folder relative paths are resolved against
	Version int

	Target     TargetSpec
	Load       LoadSpec
	Data       []FeedSpec
	Users      []UserClassSpec
	Thresholds []ThresholdSpec
	Baseline   BaselineSpec

	// Raw is the config text after ${VAR} expansion; WorkloadHash is taken over
	// the parts that shape the workload.
	Raw []byte

	Loc *Locator // finds line:column of paths for errors found after parsing
}

// Pos is a place in the config file, for error messages.
type Pos struct {
	Line, Col int
}

// TargetSpec is the `target:` section.
type TargetSpec struct {
	URL     string
	Timeout time.Duration
	MaxBody int // bytes of a response body kept for expect and extract; 0: the default (1 MiB)
	// Cookies: each virtual user keeps a cookie jar (the default, as a
	// Locust HttpUser's requests session does).
	Cookies bool
	// Redirects is how many redirects a request follows (default 10; 0
	// measures each 3xx as sent).
	Redirects int
	Headers   map[string]string
	Start     *StartSpec
	// Metrics is the URL of the app's Prometheus metrics: loadgate reads
	// the app's CPU and memory there (process_cpu_seconds_total,
	// process_resident_memory_bytes) rather than from the processes it
	// started. MetricsAuth is the Basic auth its userinfo stood for.
	Metrics, MetricsAuth string
}

// StartSpec is `target.start`: the application loadgate starts and stops.
type StartSpec struct {
	Command     []string // already split like a shell
	CommandLine string   // as written, for reports
	Dir         string   // absolute
	Env         map[string]string
	ReadyURL    string
	ReadyTCP    string
	ReadyWait   time.Duration // ready.timeout
	StopTimeout time.Duration
}

// LoadSpec is the `load:` section.
type LoadSpec struct {
	Duration    time.Duration
	Warmup      time.Duration
	Users       int
	SpawnRate   float64 // users per second; 0 means all at once
	ArrivalRate float64 // task starts per second; > 0 selects the open model
	Stages      []Stage
	// PerUserConns: each virtual user keeps its own keep-alive connections
	// (like a browser or a Locust session); false shares one pool.
	PerUserConns bool
	// PoolDefault: Users is the open model's default pool (rate ×
	// target.timeout), set by neither the config nor -u. The workload hash
	// leaves it out, so a changed timeout is not another workload.
	PoolDefault bool
}

// Stage is one step of a ramp: reach Target users (or starts/s in the open
// model) linearly over Duration.
type Stage struct {
	Duration time.Duration
	Target   float64
}

// TotalDuration is the measured time: the sum of the stages, or Duration.
func (l LoadSpec) TotalDuration() time.Duration {
	if len(l.Stages) == 0 {
		return l.Duration
	}
	var d time.Duration
	for _, s := range l.Stages {
		d += s.Duration
	}
	return d
}

// FeedSpec is one `data:` feed.
type FeedSpec struct {
	Name  string
	CSV   string // absolute path
	Order string // sequential | random | unique
	Per   string // user | iteration
	Pos   Pos
}

// UserClassSpec is one entry of `users:` (or the top-level shorthand).
type UserClassSpec struct {
	Cookies  bool // this class's users keep cookie jars (target.cookies unless the class says)
	Name     string
	Weight   int
	WaitTime WaitTime
	OnStart  []StepSpec
	OnStop   []StepSpec
	Tasks    []TaskSpec
	Pos      Pos
}

// WaitKind enumerates Locust's wait_time forms.
type WaitKind int

// Wait time forms.
const (
	WaitNone WaitKind = iota
	WaitBetween
	WaitConstant
	WaitPacing // a task start every A (throughput N is pacing 1/N)
)

// WaitTime is a parsed wait_time.
type WaitTime struct {
	Kind WaitKind
	A, B time.Duration
}

// TaskSpec is one weighted task: a single request or a chain of steps.
type TaskSpec struct {
	Name   string
	Weight int
	Steps  []StepSpec // a single-request task has exactly one step
	Think  *WaitTime  // after the task (a task of steps); nil: none
	Pos    Pos
}

// On a failed step: go on with the user's next task (continue, the
// default), stop this virtual user, or end the whole run (exit 1).
const (
	OnFailureContinue = "continue"
	OnFailureStopUser = "stop_user"
	OnFailureStopTest = "stop_test"
)

// StepSpec is one request as written in the config (templates not compiled).
type StepSpec struct {
	Name       string // statistics row; default METHOD + path as written
	Method     string
	URL        string
	Headers    map[string]string
	Query      map[string]string
	JSON       any // decoded YAML value, nil when absent
	HasJSON    bool
	Form       map[string]string
	Body       *string
	Extract    map[string]string
	Expect     *ExpectSpec
	SetHeaders map[string]string
	OnFailure  string    // continue | stop_user | stop_test
	Redirects  int       // how many redirects to follow (target.redirects unless the step says)
	Think      *WaitTime // after the step; nil: none
	Pos        Pos
	Path       Ypath // YAML path, for locating template errors
}

// ExpectSpec is a step's `expect:`.
type ExpectSpec struct {
	Status      []StatusMatch // empty: any 2xx/3xx
	JSON        map[string]any
	Contains    string
	NotContains string
	Within      time.Duration // a slower response is a failure; 0: no bound
	Message     string        // the failure reason instead of the detail, as Locust's response.failure(msg)
}

// StatusMatch matches one status code, or a class (2xx) when Class is set.
type StatusMatch struct {
	Code  int
	Class int // 2 for 2xx
}

// ThresholdSpec is one threshold line under a scope.
type ThresholdSpec struct {
	Scope string
	Expr  string
	Pos   Pos
}

// BaselineSpec is the `baseline:` section.
type BaselineSpec struct {
	File         string
	Missing      string // pass | fail
	Tolerance    map[string]Tolerance
	Keep         int
	Inconclusive string // pass | fail
}

// Tolerance is how much worse than the baseline is still a pass: relative
// (percent of the baseline) or absolute points (failure_rate).
type Tolerance struct {
	Pct      float64
	Absolute bool
}
