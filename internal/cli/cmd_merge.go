package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/load/result"
)

// cmdMerge is `loadgate merge [-c FILE] -o OUT.json SHARD.json...`: the
// exact merge of shard results (docs/ci.md, sharding), then the config's gate and
// every report a run writes. A directory argument stands for the *.json
// files in it, which is how an artifact download lays shards out.
func cmdMerge(ctx context.Context, args []string, e *environment) error {
	fs, f, err := newRunFlagSet("merge", e.getenv, e.stderr)
	if err != nil {
		return err
	}
	fs.StringVar(&f.Out, "o", f.Out, "write the merged result JSON")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	// Flags that shape a load mean nothing here. Given on merge's command
	// line they are a mistake; set in the environment they are ignored,
	// since a merge step often shares its environment with the shards.
	var bad []string
	fs.Visit(func(fl *flag.Flag) {
		for _, row := range flagTable {
			if row.loadOnly && slices.Contains(row.names, fl.Name) {
				bad = append(bad, "-"+fl.Name)
			}
		}
	})
	if len(bad) > 0 {
		return usagef("merge runs no load, so %s does not apply (give it to the shards' runs)", strings.Join(bad, ", "))
	}
	f.markSet(fs)
	for _, row := range flagTable {
		if row.loadOnly {
			delete(f.set, strings.ToLower(row.env))
		}
	}
	f.Host, f.URL, f.ArrivalRate, f.Duration, f.Shard, f.StartAt = "", "", "", "", "", ""
	if f.Out == "" {
		return usagef("merge needs -o OUT.json: where to write the merged result")
	}
	files, err := shardFiles(pos, f.Out)
	if err != nil {
		return err
	}
	shards := make([]*result.Result, len(files))
	for i, name := range files {
		if shards[i], err = result.ReadResultFile(name); err != nil {
			return usagef("%v", err)
		}
	}
	// Without -c and without ./loadgate.yml the merge gates nothing but
	// a baseline, as compare does; a config named and missing is an error.
	j := &job{cfg: noConfig(), ths: gate.WithDefaults(nil), flags: f, env: e}
	if _, statErr := os.Stat(f.Config); f.set["config"] || statErr == nil {
		if j, err = prepare(f, e); err != nil {
			return err
		}
	}
	r, err := result.Merge(files, shards)
	if err != nil {
		return usagef("%v", err)
	}
	r.LoadgateVersion = version
	if h := j.workloadHash(); h != "" && h != r.Provenance.WorkloadHash {
		// The thresholds still apply; a config edited since the shards ran
		// (or other overrides) is worth knowing, not worth refusing.
		r.Warnings = append(r.Warnings, fmt.Sprintf("the shards ran workload %s, but %s describes workload %s: check that the thresholds fit",
			r.Provenance.WorkloadHash, j.cfg.File, h))
	}
	fmt.Fprintf(e.stderr, "loadgate: merged %d shard results (%s): %d requests\n", len(files), r.Provenance.Shard, r.Total.Requests)
	r.Verdict = gate.Evaluate(r, j.ths)
	baseErr := j.compareBaseline(r)
	if r.Interrupted {
		// A shard cut short is less load than asked for: the gate cannot pass
		// on it, and exit 130 would wrongly say the merge was interrupted.
		r.Verdict.Status = gate.StatusFail
	}
	if err := j.writeReports(r); err != nil {
		return err
	}
	if baseErr != nil {
		return baseErr
	}
	if err := j.saveBaseline(r); err != nil {
		return err
	}
	if r.Interrupted {
		fmt.Fprintln(e.stderr, "loadgate: a shard was interrupted; its partial result is merged and the gate fails")
		return withCode(exitFail, nil)
	}
	return verdictErr(r, j.cfg.Baseline.Inconclusive)
}

// workloadHash is the config's workload hash, "" without a config.
func (j *job) workloadHash() string {
	if j.plan == nil {
		return ""
	}
	return j.plan.WorkloadHash()
}

// shardFiles expands directories into their *.json files, in name order,
// leaving out the merge's own output so a re-run does not merge it in.
func shardFiles(args []string, out string) ([]string, error) {
	if len(args) == 0 {
		return nil, usagef("merge needs shard result files: loadgate merge [-c FILE] -o OUT.json SHARD.json...")
	}
	outAbs, _ := filepath.Abs(out)
	var files []string
	for _, a := range args {
		st, err := os.Stat(a)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, usagef("shard %s: not found", a)
		} else if err != nil {
			return nil, usagef("shard %s: %v", a, err)
		}
		if !st.IsDir() {
			files = append(files, a)
			continue
		}
		found, _ := filepath.Glob(filepath.Join(a, "*.json"))
		sort.Strings(found)
		n := 0
		for _, p := range found {
			if abs, _ := filepath.Abs(p); abs != outAbs {
				files = append(files, p)
				n++
			}
		}
		if n == 0 {
			return nil, usagef("shard directory %s holds no *.json result files", a)
		}
	}
	return files, nil
}
