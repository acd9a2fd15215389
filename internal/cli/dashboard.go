package cli

import (
	"context"
	"fmt"
	"net"

	"github.com/loadgate/loadgate/load/result"
	"github.com/loadgate/loadgate/report"
)

// webDashboard is the live dashboard of --web.
type webDashboard struct {
	d    *report.Dashboard
	ctx  context.Context
	keep bool
	env  *environment
}

func (w *webDashboard) Update(p result.Progress)      { w.d.Update(p) }
func (w *webDashboard) Finish(r *result.Result) error { return w.d.Finish(r) }

// close stops the dashboard; with --web-keep it first serves the final
// report until the user interrupts loadgate.
func (w *webDashboard) close() {
	if w.keep && w.ctx.Err() == nil {
		fmt.Fprintf(w.env.stderr, "loadgate: the run is over; the report stays at %s until Ctrl-C (--web-keep)\n", w.d.URL())
		<-w.ctx.Done()
	}
	_ = w.d.Close()
}

// startWeb starts the live dashboard when --web (or --web-keep) is given.
// A busy address is a usage error: nothing has been measured yet.
func (j *job) startWeb(ctx context.Context) (*webDashboard, error) {
	addr := j.flags.webAddr()
	if addr == "" {
		return nil, nil
	}
	d, err := report.StartDashboard(addr, j.flags.WebKeep)
	if err != nil {
		return nil, usagef("--web %s: %v (give another address, e.g. --web 127.0.0.1:0 for any free port)", addr, err)
	}
	e := j.env
	fmt.Fprintf(e.stderr, "loadgate: live dashboard at %s\n", d.URL())
	if host, _, err := net.SplitHostPort(addr); err == nil {
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			fmt.Fprintf(e.stderr, "loadgate: warning: the dashboard listens on %s, reachable from other machines; "+
				"it shows endpoint names and failure reasons\n", addr)
		}
	}
	return &webDashboard{d: d, ctx: ctx, keep: j.flags.WebKeep, env: e}, nil
}
