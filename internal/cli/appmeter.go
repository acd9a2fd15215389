package cli

import (
	"github.com/loadgate/loadgate/load"
	"github.com/loadgate/loadgate/load/result"
	"github.com/loadgate/loadgate/load/target"
)

// meterApp reads the app's CPU and memory during a run (docs/gate.md,
// "The app's own cost"): from its Prometheus metrics when the config names
// them (also for an app started through a wrapper such as docker, whose
// own process tree is not the app), else from the process tree loadgate
// started. It sets opts to take a reading at each measured second and to
// show the app in the live outputs; the returned func stores the app's
// stats in the finished result. Nothing is read, and nothing stored, when
// there is no app to read.
func (j *job) meterApp(tgt *target.Target, opts *load.Options) func(*result.Result) {
	var meter target.Meter
	unavailable := ""
	switch {
	case j.cfg.Target.Metrics != "":
		meter = &target.PromMeter{URL: j.cfg.Target.Metrics, Auth: j.cfg.Target.MetricsAuth}
	case tgt != nil:
		m, err := tgt.Meter()
		if err != nil {
			unavailable = err.Error()
		}
		meter = m
	}
	if meter == nil {
		return func(r *result.Result) {
			if r != nil && unavailable != "" {
				r.SetApp("", unavailable, nil)
			}
		}
	}
	s := target.NewSampler(meter)
	opts.OnSecond = s.Mark
	if progress := opts.OnProgress; progress != nil {
		opts.OnProgress = func(p result.Progress) {
			if p.Point != nil {
				pt := *p.Point
				pt.AppCPU, pt.AppRSS = s.Latest()
				p.Point = &pt
			}
			progress(p)
		}
	}
	return func(r *result.Result) {
		source, unavailable, readings := s.Stop()
		if r != nil {
			r.SetApp(source, unavailable, readings)
			if a := r.Total.App; a != nil && a.InstrPerReq == nil && a.Unavailable == "" {
				a.InstrUnavailable = s.InstrUnavailable()
			}
		}
	}
}
