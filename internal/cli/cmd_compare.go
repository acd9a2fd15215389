package cli

import (
	"context"
	"errors"
	"io/fs"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/load/config"
	"github.com/loadgate/loadgate/load/result"
)

// cmdCompare is `loadgate compare BASE.json NEW.json [-c FILE]`: the gate
// of a run, applied to two stored results. BASE may be a baseline file of
// several runs. Thresholds come from the config when one is given.
func cmdCompare(ctx context.Context, args []string, e *environment) error {
	fset, f, err := newRunFlagSet("compare", e.getenv, e.stderr)
	if err != nil {
		return err
	}
	pos, err := parseInterspersed(fset, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("compare takes two files, BASE.json and NEW.json, got %d", len(pos))
	}
	f.markSet(fset)
	cfg := noConfig()
	if f.set["config"] {
		if cfg, err = config.LoadConfigFile(f.Config, config.Overrides{}, e.lookup); err != nil {
			return err
		}
	}
	base, err := result.ReadFile(pos[0])
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return usagef("compare: %s does not exist", pos[0])
		}
		return err
	}
	cur, err := result.ReadResultFile(pos[1])
	if err != nil {
		return err
	}
	names := make([]string, 0, len(cur.Endpoints))
	for _, ep := range cur.Endpoints {
		if ep != nil {
			names = append(names, ep.Name)
		}
	}
	ths, err := gate.Compile(cfg.Thresholds, names, cfg.File)
	if err != nil {
		return err
	}
	ths = gate.WithDefaults(ths)
	j := &job{cfg: cfg, ths: ths, flags: f, env: e}
	v, err := gate.CompareBaseline(cur, base, j.gateOptions(pos[0]))
	if err != nil {
		return err
	}
	th := gate.Evaluate(cur, ths)
	gate.FillThresholdBaselines(th, cur, base, j.gateOptions(pos[0]))
	cur.Verdict = gate.Combine(th, v)
	if cur.Interrupted {
		cur.Warnings = append(cur.Warnings, pos[1]+" is the result of an interrupted run")
	}
	if err := j.writeReports(cur); err != nil {
		return err
	}
	// A stored result is gated as it is: its interruption is a warning
	// here, not exit 130, which means "this invocation was interrupted".
	switch {
	case cur.Verdict.Status == gate.StatusFail:
		return withCode(exitFail, nil)
	case cur.Verdict.Status == gate.StatusInconclusive && j.inconclusivePolicy() == "fail":
		return withCode(exitInconclusive, nil)
	}
	return nil
}

// noConfig is the config of a command that gates stored results without a
// config file: no thresholds, the baseline section's defaults.
func noConfig() *config.Config {
	return &config.Config{Baseline: config.BaselineSpec{Missing: "pass", Inconclusive: "pass", Keep: config.DefaultKeep}}
}
