package load

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loadgate/loadgate/load/config"
	"github.com/loadgate/loadgate/load/httpc"
	"github.com/loadgate/loadgate/load/result"
	"github.com/loadgate/loadgate/load/secret"
)

// Options configure a run beyond the config file.
type Options struct {
	Client     httpc.Client          // nil: the default HTTP client
	OnProgress func(result.Progress) // called about once a second; must not block long
	// ShardIndex/ShardCount: this process runs shard ShardIndex (1-based) of
	// ShardCount; users and arrival rate are divided (docs/ci.md, sharding).
	ShardIndex, ShardCount int
	// Abort, when set, is asked once a second during the measured time
	// with the result so far; a non-empty answer ends the run at once,
	// with that reason (thresholds with abort, as k6's abortOnFail).
	Abort func(soFar *result.Result) string
	// OnSecond, when set, is called at the measured start (0) and as each
	// measured second closes (1, 2, …), at the moment the timeline's
	// seconds are cut: readings of the app taken then line up with them.
	// A measured time that does not end on a whole second gets one more
	// call at its end, numbered one past the last whole second, which has
	// no timeline point. It must not block.
	OnSecond func(sec int)
}

// engine is the state of one run.
type engine struct {
	plan   *Plan
	opts   Options
	client httpc.Client
	fast   *httpc.FastClient // the default client; nil when Options.Client is set
	rec    *Recorder
	tl     *timeline

	t0, mStart, mEnd time.Time
	stopping         chan struct{} // closed at the end of the measured time
	over             atomic.Bool   // set with stopping; read where a select would cost more
	stopOnce         sync.Once
	users            atomic.Int64 // user goroutines alive
	active           atomic.Int64 // users the controller keeps running (what the timeline shows)
	dropped          atomic.Int64
	notSent          atomic.Int64 // open model: starts whose new user was still in on_start at the end
	maxLag           atomic.Int64 // open model: worst lateness of a start, ns
	nextID           atomic.Int64 // open model: ids of users as they are started
	rate             float64      // open model: this shard's arrival rate
	stoppedUsers     atomic.Int64 // users stopped early (feed exhausted, on_failure: stop_user)
	feedErr          atomic.Value // string
	wg               sync.WaitGroup

	aborted  atomic.Pointer[string] // why a step's on_failure: stop_test ended the run
	abortRun context.CancelFunc     // cancels the run's context
}

// stopTest ends the run now (on_failure: stop_test): the load stops and
// in-flight requests are cut; the result says why.
func (e *engine) stopTest(why string) {
	if e.aborted.CompareAndSwap(nil, &why) {
		e.end()
		e.abortRun()
	}
}

// Run drives the workload and returns the measured result. It returns when
// the measured time is over and in-flight requests have finished (bounded by
// the request timeout), or soon after ctx is cancelled, in which case the
// partial result is returned with Interrupted set.
func Run(ctx context.Context, p *Plan, o Options) (*result.Result, error) {
	e := &engine{plan: p, opts: o, stopping: make(chan struct{})}
	users, rate := e.shardLoad()
	e.client = o.Client
	if e.client == nil {
		e.fast = httpc.NewFastClient(p.Timeout, !p.Config.Load.PerUserConns)
		e.fast.MaxBody = p.Config.Target.MaxBody
		e.client = e.fast
	}
	defer e.client.CloseIdle()
	e.rec = NewRecorder(p.Endpoints, runtime.GOMAXPROCS(0))
	e.t0 = time.Now()
	warm := p.Config.Load.Warmup
	dur := p.Config.Load.TotalDuration()
	e.mStart = e.t0.Add(warm)
	e.mEnd = e.mStart.Add(dur)
	e.tl = newTimeline()

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	e.abortRun = cancel
	// On interruption, cut every connection so in-flight requests end now
	// rather than at their timeout.
	stopCut := context.AfterFunc(runCtx, e.client.CloseIdle)
	defer stopCut()
	tickDone := make(chan struct{})
	if warm <= 0 && o.OnSecond != nil {
		o.OnSecond(0) // the tick's first cut is a second from now
	}
	go e.tick(runCtx, tickDone)
	if rate > 0 {
		e.runOpen(runCtx, users, rate)
	} else {
		e.runClosed(runCtx, users)
	}
	// The measured time is over (or we were interrupted): let in-flight
	// requests finish, bounded by the request timeout.
	e.end()
	done := make(chan struct{})
	go func() { e.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(p.Timeout + 2*time.Second):
		cancel()
		<-done
	case <-ctx.Done():
		cancel()
		<-done
	}
	cancel()
	<-tickDone

	interrupted := ctx.Err() != nil
	aborted := e.aborted.Load()
	secs := dur.Seconds()
	if interrupted || aborted != nil {
		secs = math.Max(0, math.Min(time.Since(e.mStart).Seconds(), dur.Seconds()))
	}
	eps, total := e.rec.Stats(secs)
	r := &result.Result{
		Schema:    result.ResultSchema,
		StartedAt: e.t0.UTC().Truncate(time.Second),
		DurationS: result.Round3(secs),
		// A shard records its share of the spawn rate, as of the users and
		// the rate (desiredUsers starts its users at that share), so that
		// a merge's sums give the configured load.
		Load: result.LoadInfo{Model: p.Model(), Users: users, SpawnRate: p.Config.Load.SpawnRate / float64(e.shards()), // unrounded: Merge rounds the sum
			ArrivalRate: rate, WarmupS: warm.Seconds()},
		Endpoints:   eps,
		Total:       total,
		Timeline:    e.tl.points(),
		Dropped:     e.dropped.Load(),
		NotSent:     e.notSent.Load(),
		Interrupted: interrupted,
	}
	if aborted != nil {
		r.Aborted = *aborted
	}
	// Dropped starts are not repeated as a warning: every report states
	// r.Dropped itself (a merge sums it; per-shard warnings would repeat).
	if lag := time.Duration(e.maxLag.Load()); lag > 100*time.Millisecond {
		r.Warnings = append(r.Warnings, fmt.Sprintf("the load generator fell behind schedule by up to %s: the machine running loadgate is overloaded, so latencies may be overstated", lag.Round(time.Millisecond)))
	}
	if r.NotSent > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%d starts due in the measured time were not sent: each went to a new virtual user "+
			"not ready to send it before the measured time ended (its on_start, such as a login, was still running, or loadgate fell behind); with load.warmup, users log in before measuring begins", r.NotSent))
	}
	if n := e.stoppedUsers.Load(); n > 0 {
		msg, _ := e.feedErr.Load().(string)
		r.Warnings = append(r.Warnings, fmt.Sprintf("%d virtual users stopped early: %s", n, msg))
	}
	return r, nil
}

// shardLoad returns this shard's share of users and arrival rate: an exact
// split with the remainder spread over the first shards.
func (e *engine) shardLoad() (int, float64) {
	l := e.plan.Config.Load
	users, rate := l.Users, l.ArrivalRate
	if n := e.shards(); n > 1 {
		i := e.opts.ShardIndex
		share := users / n
		if i <= users%n {
			share++
		}
		users = max(share, 1) // the command refuses more shards than users
		rate = rate / float64(n)
	}
	return users, rate
}

// shards is the number of shards this run is one of (1 when not sharded).
func (e *engine) shards() int {
	i, n := e.opts.ShardIndex, e.opts.ShardCount
	if n > 1 && i >= 1 && i <= n {
		return n
	}
	return 1
}

func (e *engine) end() {
	e.stopOnce.Do(func() {
		e.over.Store(true)
		close(e.stopping)
	})
}

// ending reports whether the measured time is over.
func (e *engine) ending() bool { return e.over.Load() }

// record keeps a request if it started inside the measured window: warmup
// requests and requests started after the end are excluded from every
// statistic, and so are in-flight requests that an interruption cut short.
func (e *engine) record(u *vuser, ep int, start time.Time, lat time.Duration, status int, reason string, size int64) {
	if start.IsZero() {
		start = time.Now()
	}
	if start.Before(e.mStart) || (!start.Before(e.mEnd) && !u.inStop) {
		return
	}
	us := lat.Microseconds()
	if reason != "" {
		reason = secret.Redact(reason) // only failures carry text; successes take no lock
	}
	e.rec.Record(u.id, ep, us, status, reason, u.sample)
	if size > 0 {
		e.rec.AddBytes(u.id, ep, size)
	}
	e.tl.record(us, Timed(status, reason), reason != "")
}

// wait sleeps for the user's think time; false when the user must stop.
func (u *vuser) wait(taskStart time.Time) bool {
	var d time.Duration
	w := u.cls.wait
	switch w.Kind {
	case config.WaitConstant:
		d = w.A
	case config.WaitBetween:
		d = w.A + time.Duration(rand.Int64N(int64(w.B-w.A)+1))
	case config.WaitPacing:
		d = w.A - time.Since(taskStart)
	}
	if d <= 0 {
		return !u.retired.Load() && !u.e.over.Load()
	}
	select {
	case <-u.after(d):
		return true
	case <-u.stop:
		return false
	case <-u.e.stopping:
		return false
	}
}

// after re-arms the user's one timer for d and returns its channel. A new
// timer per task was most of what a user with think time allocated.
func (u *vuser) after(d time.Duration) <-chan time.Time {
	if u.timer == nil {
		u.timer = time.NewTimer(d)
	} else {
		u.timer.Reset(d)
	}
	return u.timer.C
}

// runClosed starts users at the spawn rate (or along the stages) and keeps
// each running task after task until the end.
func (e *engine) runClosed(ctx context.Context, maxUsers int) {
	l := e.plan.Config.Load
	weights := make([]int, len(e.plan.Classes))
	for i, c := range e.plan.Classes {
		weights[i] = c.weight
	}
	order := classOrder(maxUsers, weights)
	var running []*vuser
	tk := time.NewTicker(20 * time.Millisecond)
	defer tk.Stop()
	for {
		now := time.Now()
		if !now.Before(e.mEnd) || ctx.Err() != nil {
			return
		}
		want := e.desiredUsers(now, maxUsers, l)
		for len(running) < want {
			id := len(running)
			u := newUser(e, id, e.plan.Classes[order[id%len(order)]])
			running = append(running, u)
			e.wg.Add(1)
			go u.runClosed(ctx)
		}
		for len(running) > want {
			running[len(running)-1].retire()
			running = running[:len(running)-1]
		}
		e.active.Store(int64(len(running)))
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
	}
}

// desiredUsers is the number of users the closed model wants at time now.
func (e *engine) desiredUsers(now time.Time, maxUsers int, l config.LoadSpec) int {
	if len(l.Stages) > 0 {
		return int(math.Round(e.stageLevel(now) * float64(maxUsers) / float64(max(l.Users, 1))))
	}
	if l.SpawnRate <= 0 {
		return maxUsers
	}
	// N shards together start users at the configured rate, each at 1/N.
	n := int(now.Sub(e.t0).Seconds()*l.SpawnRate/float64(e.shards())) + 1
	return min(n, maxUsers)
}

// stageLevel interpolates the stages linearly (as k6's ramping executors do).
// The ramp begins at the measured start; a warmup runs at the first stage's
// target so the app is warm when the ramp begins.
func (e *engine) stageLevel(now time.Time) float64 {
	st := e.plan.Config.Load.Stages
	prev := 0.0
	if e.plan.Config.Load.Warmup > 0 {
		prev = st[0].Target
	}
	if now.Before(e.mStart) {
		return prev
	}
	el := now.Sub(e.mStart)
	for _, s := range st {
		if el < s.Duration {
			return prev + (s.Target-prev)*float64(el)/float64(s.Duration)
		}
		el -= s.Duration
		prev = s.Target
	}
	return prev
}

func (u *vuser) runClosed(ctx context.Context) {
	e := u.e
	defer u.enter()()
	if !u.start(ctx) {
		return
	}
	for !e.ending() && ctx.Err() == nil {
		if err := u.takeRows("iteration"); err != nil {
			u.feedStop(err)
			return
		}
		start := time.Now()
		t := u.cls.pick()
		if out := u.runSteps(ctx, t.steps, time.Time{}); out == stepAborted || out == stepStopUser {
			break
		}
		if t.think != nil && !u.pause(ctx, t.think) {
			break
		}
		if !u.wait(start) {
			break
		}
	}
	u.stopSteps(ctx)
}

// stopSteps runs the user's on_stop steps (a logout), as Locust does when
// a user stops: after a ramp-down, and at the end of the run, when they
// are sent and measured after the measured time (bounded, as in-flight
// requests are, by the request timeout). Every step runs even if one
// fails. An interrupted run skips them.
func (u *vuser) stopSteps(ctx context.Context) {
	if ctx.Err() != nil || len(u.cls.onStop) == 0 {
		return
	}
	u.inStop = true
	for _, st := range u.cls.onStop {
		u.do(ctx, st, time.Time{})
	}
}

// enter counts a user in; the returned func counts it out and closes its
// own connections.
func (u *vuser) enter() func() {
	e := u.e
	e.users.Add(1)
	return func() {
		if u.client != e.client {
			u.client.CloseIdle()
		}
		e.users.Add(-1)
		e.wg.Done()
	}
}

// start does what a user does once before its tasks, in both models: take
// its feed rows and run on_start. false: it cannot run (feed exhausted).
func (u *vuser) start(ctx context.Context) bool {
	if err := u.takeRows("user"); err != nil {
		u.feedStop(err)
		return false
	}
	for _, st := range u.cls.onStart {
		if out := u.onFailure(st, u.do(ctx, st, time.Time{})); out != stepOK {
			if out == stepStopUser || u.e.aborted.Load() != nil {
				return false // on_failure: stop_user or stop_test
			}
			break // like a Locust on_start that failed: the user carries on without what it set
		}
	}
	return true
}

func (u *vuser) feedStop(err error) {
	u.e.stoppedUsers.Add(1)
	u.e.feedErr.Store(err.Error())
}
