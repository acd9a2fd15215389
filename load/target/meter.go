package target

import (
	"context"
	"sync"
	"time"

	"github.com/loadgate/loadgate/load/result"
)

// A Meter reads the app's cumulative CPU time and its resident memory: of
// the process tree loadgate started (meter_linux.go: its cgroup, else
// /proc), or from the process metrics the app exports (meter_prom.go).
type Meter interface {
	// Source names how the app is read, for the report.
	Source() string
	// Read returns the tree's CPU seconds so far, its resident bytes and
	// how many processes it has.
	Read(ctx context.Context) (cpu float64, rss int64, procs int, err error)
}

// instrCounter is a Meter that also counts the app's instructions
// (perf_linux.go): it returns the count so far, or why there is none.
type instrCounter interface {
	instructions() (float64, error)
}

// maxReadings bounds a sampler's memory: a day of seconds.
const maxReadings = 86_400

// Sampler takes a reading of a Meter at each boundary of the measured
// seconds (load.Options.OnSecond). Mark never blocks the engine: readings
// are taken on the sampler's own goroutine, each stamped with the time it
// was actually read, so that a slow scrape widens its own second rather
// than shifting the others.
type Sampler struct {
	m     Meter
	marks chan int
	done  chan struct{}

	mu       sync.Mutex
	readings []result.AppReading
	lastErr  error
	failed   int
	// instrWhy is why the app's instructions were not counted at the last
	// failed count. The counter is cumulative, so a count at the first and
	// last reading suffices whatever failed between.
	instrWhy string
	// The app's last second, for live views.
	latestCPU float64
	latestRSS int64
}

// NewSampler starts a sampler of m; Stop ends it.
func NewSampler(m Meter) *Sampler {
	s := &Sampler{m: m, marks: make(chan int, 64), done: make(chan struct{})}
	if _, ok := m.(instrCounter); !ok {
		s.instrWhy = "instructions are counted for an app loadgate starts and reads itself, not through " + m.Source()
	}
	go s.loop()
	return s
}

// Mark asks for a reading that closes measured second sec (0: the start).
func (s *Sampler) Mark(sec int) {
	select {
	case s.marks <- sec:
	default: // a stuck meter: the second goes unread, as Stop will say
	}
}

// readTimeout bounds one reading: a scrape that takes longer than a second
// would blur the seconds it sits between.
const readTimeout = 900 * time.Millisecond

func (s *Sampler) loop() {
	defer close(s.done)
	for sec := range s.marks {
		ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
		cpu, rss, procs, err := s.m.Read(ctx)
		at := time.Now()
		cancel()
		instr, instrOK, instrWhy := 0.0, false, ""
		if ic, ok := s.m.(instrCounter); ok && err == nil {
			n, err := ic.instructions()
			instr, instrOK = n, err == nil
			if err != nil {
				instrWhy = err.Error()
			}
		}
		s.mu.Lock()
		if instrWhy != "" {
			s.instrWhy = instrWhy
		}
		if err != nil {
			s.lastErr = err
			s.failed++
		} else if len(s.readings) < maxReadings {
			rd := result.AppReading{Sec: sec, At: at, CPU: cpu, RSS: rss, Procs: procs}
			rd.Instr, rd.InstrOK = instr, instrOK
			if n := len(s.readings); n > 0 {
				prev := s.readings[n-1]
				if dt := at.Sub(prev.At).Seconds(); dt > 0 {
					s.latestCPU, s.latestRSS = result.Round3(100*max(0, cpu-prev.CPU)/dt), rss
				}
			}
			s.readings = append(s.readings, rd)
		}
		s.mu.Unlock()
	}
}

// InstrUnavailable says why the app's instructions could not be counted
// (the last failure); call it after Stop, when the run has no count.
func (s *Sampler) InstrUnavailable() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.instrWhy
}

// Latest is the app's CPU % and memory of the last second read, for the
// live dashboard (zero before the second reading).
func (s *Sampler) Latest() (cpuPct float64, rss int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.latestCPU, s.latestRSS
}

// Stop waits for the readings asked for and returns them with the meter's
// source, and why the app could not be measured when too few readings
// succeeded ("" otherwise).
func (s *Sampler) Stop() (source, unavailable string, readings []result.AppReading) {
	close(s.marks)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	// A gap is harmless for the totals (the counters are cumulative), but
	// a meter that failed more often than it read measured nothing.
	if s.failed > 0 && (len(s.readings) < 2 || s.failed > len(s.readings)) {
		return s.m.Source(), s.m.Source() + ": " + s.lastErr.Error(), nil
	}
	return s.m.Source(), "", s.readings
}
